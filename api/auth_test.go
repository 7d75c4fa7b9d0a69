package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/dongnai-gis/gisd/api"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
	"github.com/dongnai-gis/gisd/tiles"
)

// request sends one request from a client address with the given header values (a header given
// with an empty value is sent empty; "Authorization" may be given twice with "Authorization#2").
func request(t testing.TB, h http.Handler, method, target, addr string, headers [][2]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	if addr != "" {
		req.RemoteAddr = addr + ":40000"
	}
	for _, kv := range headers {
		req.Header.Add(kv[0], kv[1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// ownerParcel inserts a parcel with owner fields and returns its id.
func ownerParcel(t testing.TB, s *store.Store, parcelNo int, owner, idNumber string) int64 {
	t.Helper()
	var id int64
	if err := storetest.DB(t, s).QueryRow(context.Background(), `INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, address, owner_name, owner_id_number, certificate_no, geom)
		VALUES ('25195', 7, $1::int, '[{"code":"ONT","area":400}]', 'Ấp 1', $2, $3, 'CS 0' || $1::int,
		ST_Multi(ST_Transform(ST_MakeEnvelope(569600 + $1::int * 30, 1275700, 569620 + $1::int * 30, 1275720, 9212), 4326))) RETURNING id`,
		parcelNo, owner, idNumber).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// A credential header that is present is a credential: present but empty, repeated, of an
// unknown scheme or undecodable is 401, never anonymous.
func TestAuth_PresentButEmptyOrMalformedCredentialIs401(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := newServer(t, s)
	_, key := mustKey(t, s, "Sở Tài nguyên", []string{"parcels:read"}, nil)
	for _, tc := range []struct {
		name    string
		headers [][2]string
	}{
		{"empty X-API-Key", [][2]string{{"X-API-Key", ""}}},
		{"blank X-API-Key", [][2]string{{"X-API-Key", "   "}}},
		{"empty Authorization", [][2]string{{"Authorization", ""}}},
		{"Bearer without a key", [][2]string{{"Authorization", "Bearer"}}},
		{"Bearer and spaces", [][2]string{{"Authorization", "Bearer    "}}},
		{"unknown scheme", [][2]string{{"Authorization", "Token " + key}}},
		{"Basic, not base64", [][2]string{{"Authorization", "Basic %%%"}}},
		{"Basic without a colon", [][2]string{{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(key))}}},
		{"Basic with an empty password", [][2]string{{"Authorization", basic("qgis", "")}}},
		{"two Authorization headers", [][2]string{{"Authorization", "Bearer " + key}, {"Authorization", "Bearer " + key}}},
		{"Authorization and X-API-Key", [][2]string{{"Authorization", "Bearer " + key}, {"X-API-Key", key}}},
		{"a key with a control character", [][2]string{{"X-API-Key", key + "\x01"}}},
		{"an empty X-API-Key beside nothing else on a public route", [][2]string{{"X-API-Key", ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := "/api/v1/layers"
			if strings.Contains(tc.name, "public route") {
				target = "/healthz"
			}
			// One client address per case: each failure counts against its address's budget.
			rec := request(t, h, "GET", target, "192.0.2."+strconv.Itoa(len(tc.name)), tc.headers)
			if rec.Code != 401 || rec.Header().Get("Content-Type") != "application/problem+json" || rec.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("%d %v %s, want a 401 problem with WWW-Authenticate", rec.Code, rec.Header(), rec.Body)
			}
		})
	}
	// No header at all is anonymous, as before; the key itself works in either header.
	for _, hdr := range [][][2]string{nil, {{"X-API-Key", key}}, {{"Authorization", "Bearer " + key}}, {{"Authorization", "bearer  " + key + " "}}} {
		if rec := request(t, h, "GET", "/api/v1/layers", "", hdr); rec.Code != 200 {
			t.Errorf("%v: %d %s, want 200", hdr, rec.Code, rec.Body)
		}
	}
}

// Desktop GIS signs in with its stock "Basic" method: the key is the password, the user name
// anything. The key's scopes then hold as with Bearer, personal fields included.
func TestAuth_BasicCarriesTheKeyAsPassword(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := newServer(t, s)
	id := ownerParcel(t, s, 1, "Nguyễn Văn An", "079080001234")
	_, key := mustKey(t, s, "Văn phòng đăng ký", []string{"parcels:read", "parcels:personal"}, nil)
	item := "/ogc/collections/parcels/items/" + itoa64(id)
	for _, user := range []string{"qgis", "", "any user, with spaces"} {
		rec := request(t, h, "GET", item, "", [][2]string{{"Authorization", basic(user, key)}})
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "079080001234") {
			t.Errorf("Basic as %q: %d %.300s, want the owner's ID number", user, rec.Code, rec.Body)
		}
	}
	// A wrong password is refused, and the refusal asks for Basic again (so QGIS prompts); a
	// Bearer client is challenged for Bearer only, so no browser shows a password dialog.
	rec := request(t, h, "GET", item, "", [][2]string{{"Authorization", basic("qgis", "gisd_wrongpre_"+strings.Repeat("x", 43))}})
	if rec.Code != 401 || !strings.Contains(strings.Join(rec.Header().Values("WWW-Authenticate"), ";"), "Basic") {
		t.Errorf("wrong Basic password: %d, WWW-Authenticate %q", rec.Code, rec.Header().Values("WWW-Authenticate"))
	}
	rec = request(t, h, "GET", item, "", [][2]string{{"Authorization", "Bearer gisd_wrongpre_" + strings.Repeat("x", 43)}})
	if rec.Code != 401 || strings.Contains(strings.Join(rec.Header().Values("WWW-Authenticate"), ";"), "Basic") {
		t.Errorf("wrong Bearer key: %d, WWW-Authenticate %q", rec.Code, rec.Header().Values("WWW-Authenticate"))
	}
	// Anonymous callers still get no owner fields.
	if rec := request(t, h, "GET", item, "", nil); rec.Code != 200 || strings.Contains(rec.Body.String(), "079080001234") {
		t.Errorf("anonymous: %d %.300s", rec.Code, rec.Body)
	}
}

// Wrong keys cannot be tried at line rate: failed sign-ins are limited per client address, the
// answer after the budget is 429 with Retry-After whatever the guess, a forged X-Forwarded-For
// does not help, and keys already working from that address are not blocked.
func TestAuth_FailedSignInsAreRateLimitedPerAddress(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	// No request limit at all: only the failed sign-ins are counted.
	h := api.New(api.Config{Store: s, Logger: slog.New(slog.DiscardHandler)})
	_, good := mustKey(t, s, "Chi cục Thuế", []string{"parcels:read"}, nil)
	_, fresh := mustKey(t, s, "chưa dùng", []string{"parcels:read"}, nil)
	const attacker, office = "198.51.100.7", "203.0.113.9"
	if rec := request(t, h, "GET", "/api/v1/layers", attacker, [][2]string{{"X-API-Key", good}}); rec.Code != 200 {
		t.Fatalf("the good key: %d", rec.Code)
	}
	first429 := -1
	for i := 0; i < 200; i++ {
		guess := "gisd_" + good[5:13] + "_" + strings.Repeat(string(rune('a'+i%26)), 43)
		rec := request(t, h, "GET", "/api/v1/layers", attacker, [][2]string{{"X-API-Key", guess}, {"X-Forwarded-For", "10.0.0." + strconv.Itoa(i%250)}})
		switch rec.Code {
		case 401:
			if first429 >= 0 {
				t.Fatalf("guess %d answered 401 after a 429: the limit leaks which guesses were checked", i)
			}
		case 429:
			if first429 < 0 {
				first429 = i
			}
			if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 1 {
				t.Fatalf("429 with Retry-After %q", rec.Header().Get("Retry-After"))
			}
		default:
			t.Fatalf("guess %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	if first429 < 0 || first429 > 20 {
		t.Fatalf("first 429 at guess %d; want one within 20 guesses", first429)
	}
	// The key that already worked from this address keeps working; one never seen succeed is
	// held back with the guesses until the budget refills (it is not checked, so a 429 says
	// nothing about a guess).
	if rec := request(t, h, "GET", "/api/v1/layers", attacker, [][2]string{{"Authorization", "Bearer " + good}}); rec.Code != 200 {
		t.Errorf("a working key from the blocked address: %d %s", rec.Code, rec.Body)
	}
	if rec := request(t, h, "GET", "/api/v1/layers", attacker, [][2]string{{"X-API-Key", fresh}}); rec.Code != 429 {
		t.Errorf("an unproven key from the blocked address: %d, want 429", rec.Code)
	}
	// Another address is not affected, and anonymous requests from the blocked one are not either.
	if rec := request(t, h, "GET", "/api/v1/layers", office, [][2]string{{"X-API-Key", "gisd_nothing0_" + strings.Repeat("z", 43)}}); rec.Code != 401 {
		t.Errorf("a wrong key from another address: %d, want 401", rec.Code)
	}
	if rec := request(t, h, "GET", "/api/v1/layers", office, [][2]string{{"X-API-Key", fresh}}); rec.Code != 200 {
		t.Errorf("a good key from another address: %d", rec.Code)
	}
	if rec := request(t, h, "GET", "/api/v1/layers", attacker, nil); rec.Code != 200 {
		t.Errorf("anonymous from the blocked address: %d", rec.Code)
	}
	// gisd_auth_total counts what happened.
	rec := request(t, h, "GET", "/metrics", office, nil)
	for _, want := range []string{`gisd_auth_total{credential="key",result="blocked"}`, `gisd_auth_total{credential="key",result="refused"}`, `gisd_rate_limited_total{policy="auth-failures"}`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// Limits are per key, so applications behind one address do not share a budget; anonymous
// public tiles have their own, generous budget per address; other anonymous requests keep the
// default one.
func TestRateLimit_PerKeyAndAGenerousPolicyForAnonymousTiles(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	svc := tiles.New(s, tiles.Options{CacheBytes: 1 << 20, Logger: slog.New(slog.DiscardHandler)})
	h := api.New(api.Config{Store: s, Logger: slog.New(slog.DiscardHandler), Tiles: svc, RateLimit: 60})
	const nat = "203.0.113.50"
	_, a := mustKey(t, s, "Sở Xây dựng", []string{"parcels:read"}, nil)
	_, b := mustKey(t, s, "Sở Nông nghiệp", []string{"parcels:read"}, nil)
	count := func(n int, target string, headers [][2]string) (served int, retry string) {
		for i := 0; i < n; i++ {
			rec := request(t, h, "GET", target, nat, headers)
			if rec.Code == 429 {
				return served, rec.Header().Get("Retry-After")
			}
			served++
		}
		return served, ""
	}
	// The default budget: 60 a minute, a burst of 10.
	if got, retry := count(30, "/api/v1/layers", [][2]string{{"X-API-Key", a}}); got != 10 || retry == "" {
		t.Errorf("key A: %d served before 429 (Retry-After %q), want 10", got, retry)
	}
	if got, _ := count(30, "/api/v1/layers", [][2]string{{"X-API-Key", b}}); got != 10 {
		t.Errorf("key B behind the same address: %d served, want its own 10", got)
	}
	// Anonymous tiles from the same address: ten times the default, a burst of 60.
	if got, _ := count(100, "/tiles/parcels/14/13056/7675.mvt", nil); got != 60 {
		t.Errorf("anonymous tiles: %d served before 429, want 60", got)
	}
	if got, _ := count(30, "/api/v1/layers", nil); got != 10 {
		t.Errorf("anonymous non-tile requests: %d served, want 10", got)
	}
}

// A key may only grant what it holds: an admin key without personal data cannot mint a key that
// has it; admin may grant admin; *:x covers LAYER:x; admin reads every layer, so it may grant
// read scopes.
func TestKeys_GrantOnlyWhatIsHeld(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := newServer(t, s)
	_, admin := mustKey(t, s, "Quản trị", []string{"admin"}, nil)
	_, landAdmin := mustKey(t, s, "Quản trị đất đai", []string{"admin", "parcels:write", "parcels:personal"}, nil)
	_, allAdmin := mustKey(t, s, "Quản trị toàn bộ", []string{"admin", "*:write", "*:personal"}, nil)
	for _, tc := range []struct {
		key, body string
		want      int
	}{
		{admin, `{"name":"x","scopes":["*:personal"]}`, 403},
		{admin, `{"name":"x","scopes":["parcels:personal"]}`, 403},
		{admin, `{"name":"x","scopes":["parcels:read"],"personal":true}`, 403},
		{admin, `{"name":"x","scopes":["parcels:write"]}`, 403},
		{admin, `{"name":"x","scopes":["parcels:read","*:read"]}`, 201},
		{admin, `{"name":"x","scopes":["admin"]}`, 201},
		{landAdmin, `{"name":"x","scopes":["parcels:read"],"personal":true}`, 201},
		{landAdmin, `{"name":"x","scopes":["parcels:write","parcels:personal"]}`, 201},
		{landAdmin, `{"name":"x","scopes":["constructions:personal"]}`, 403},
		{landAdmin, `{"name":"x","scopes":["*:personal"]}`, 403},
		{allAdmin, `{"name":"x","scopes":["*:personal","constructions:write","admin"]}`, 201},
	} {
		req := httptest.NewRequest("POST", "/api/v1/keys", strings.NewReader(tc.body))
		req.Header.Set("X-API-Key", tc.key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s by %s: %d %s, want %d", tc.body, tc.key[:13], rec.Code, rec.Body, tc.want)
		}
		if tc.want == 403 && !strings.Contains(rec.Body.String(), "scopes") {
			t.Errorf("%s: the refusal does not name the scopes: %s", tc.body, rec.Body)
		}
	}
	keys, err := s.Keys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Name == "x" && strings.Contains(strings.Join(k.Scopes, ","), "personal") && k.CreatedBy == "Quản trị" {
			t.Errorf("key %d with %v was minted by an admin key without personal data", k.ID, k.Scopes)
		}
	}
}

// What a personal read searched for is personal data too: the audit log shows the values compared
// to personal attributes only to readers with the personal scope on that layer.
func TestAudit_PersonalFilterValuesAreMasked(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := newServer(t, s)
	ownerParcel(t, s, 1, "Nguyễn Văn An", "079080001234")
	_, clerk := mustKey(t, s, "Văn phòng đăng ký", []string{"parcels:read", "parcels:personal"}, nil)
	_, admin := mustKey(t, s, "Quản trị", []string{"admin"}, nil)
	_, dpo := mustKey(t, s, "Thanh tra", []string{"admin", "parcels:personal"}, nil)
	for _, target := range []string{
		"/ogc/collections/parcels/items?filter=" + escape("owner_id_number = '079080001234' AND address = 'Ấp 1'"),
		"/ogc/collections/parcels/items?owner_name=" + escape("Nguyễn Văn An"),
		"/ogc/collections/parcels/items?filter-lang=cql2-json&filter=" + escape(`{"op":"like","args":[{"op":"casei","args":[{"property":"owner_name"}]},{"op":"casei","args":["nguyễn%"]}]}`),
	} {
		if rec := request(t, h, "GET", target, "", [][2]string{{"X-API-Key", clerk}}); rec.Code != 200 || !strings.Contains(rec.Body.String(), "079080001234") {
			t.Fatalf("%s: %d %.300s", target, rec.Code, rec.Body)
		}
	}
	read := func(key string) []string {
		rec := request(t, h, "GET", "/api/v1/audit?personal=true&layer=parcels", "", [][2]string{{"X-API-Key", key}})
		var out struct {
			Entries []struct {
				Filter string `json:"filter"`
				Caller string `json:"caller"`
			} `json:"entries"`
		}
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
			t.Fatalf("audit: %d %s", rec.Code, rec.Body)
		}
		var filters []string
		for _, e := range out.Entries {
			if !strings.HasPrefix(e.Caller, "key:") {
				t.Errorf("entry caller %q", e.Caller)
			}
			filters = append(filters, e.Filter)
		}
		return filters
	}
	masked := strings.Join(read(admin), "\n")
	for _, secret := range []string{"079080001234", "Nguyễn", "nguyễn", "An'"} {
		if strings.Contains(masked, secret) {
			t.Errorf("an admin key without personal data reads %q in the audit log:\n%s", secret, masked)
		}
	}
	for _, want := range []string{"owner_id_number = '***'", "address = 'Ấp 1'", "owner_name = '***'", "CASEI(owner_name) LIKE CASEI('***')"} {
		if !strings.Contains(strings.ToUpper(masked), strings.ToUpper(want)) {
			t.Errorf("masked audit lacks %s:\n%s", want, masked)
		}
	}
	clear := strings.Join(read(dpo), "\n")
	for _, want := range []string{"079080001234", "Nguyễn Văn An"} {
		if !strings.Contains(clear, want) {
			t.Errorf("a reader with parcels:personal does not see %q:\n%s", want, clear)
		}
	}
}

func escape(s string) string { return url.QueryEscape(s) }
