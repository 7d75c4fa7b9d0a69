package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dongnai-gis/gisd/api"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// call performs a request with optional headers and returns status, headers and body.
func call(t testing.TB, h http.Handler, method, target string, headers map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

func bearer(secret string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + secret}
}

func mustKey(t testing.TB, s *store.Store, name string, scopes []string, mod func(*store.NewKey)) (store.APIKey, string) {
	t.Helper()
	nk := store.NewKey{Name: name, Scopes: scopes}
	if mod != nil {
		mod(&nk)
	}
	k, secret, err := s.CreateKey(context.Background(), nk)
	if err != nil {
		t.Fatal(err)
	}
	return k, secret
}

func TestAuth_KeysAreCheckedOnEveryRequest(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := newServer(t, s)
	_, admin := mustKey(t, s, "Quản trị", []string{"admin"}, nil)
	_, reader := mustKey(t, s, "Sở Nông nghiệp", []string{"parcels:read"}, nil)
	revokedKey, revoked := mustKey(t, s, "cũ", []string{"parcels:read"}, nil)
	if _, err := s.RevokeKey(context.Background(), strconv.FormatInt(revokedKey.ID, 10)); err != nil {
		t.Fatal(err)
	}
	// A key cannot be created already expired, so this one gets a day and then, in the
	// database, its expiry moves to a minute ago: expired for certain, with no sleep.
	expiredKey, expired := mustKey(t, s, "hết hạn", []string{"parcels:read"}, func(nk *store.NewKey) {
		tomorrow := time.Now().Add(24 * time.Hour)
		nk.ExpiresAt = &tomorrow
	})
	if _, err := storetest.DB(t, s).Exec(context.Background(), `UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, expiredKey.ID); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		target  string
		headers map[string]string
		want    int
	}{
		{"anonymous reads the public catalog", "/api/v1/layers", nil, 200},
		{"anonymous may not list keys", "/api/v1/keys", nil, 401},
		{"reader may not list keys", "/api/v1/keys", bearer(reader), 403},
		{"admin lists keys", "/api/v1/keys", bearer(admin), 200},
		{"admin key in X-API-Key", "/api/v1/keys", map[string]string{"X-API-Key": admin}, 200},
		{"malformed Authorization", "/api/v1/layers", map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}, 401},
		{"garbage key", "/api/v1/layers", bearer("not-a-key"), 401},
		{"unknown key", "/api/v1/layers", bearer("gisd_abcdefgh_" + strings.Repeat("x", 43)), 401},
		{"right prefix, wrong secret", "/api/v1/layers", bearer(admin[:14] + strings.Repeat("y", 43)), 401},
		{"revoked key", "/api/v1/layers", bearer(revoked), 401},
		{"expired key", "/api/v1/layers", bearer(expired), 401},
		{"SQL in a key", "/api/v1/layers", bearer("gisd_' OR 1=1 --_" + strings.Repeat("z", 30)), 401},
		{"reader may not read the audit log", "/api/v1/audit", bearer(reader), 403},
		{"admin reads the audit log", "/api/v1/audit", bearer(admin), 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, hdr, body := call(t, h, "GET", tc.target, tc.headers)
			if code != tc.want {
				t.Fatalf("status %d, want %d: %s", code, tc.want, body)
			}
			if code >= 400 && hdr.Get("Content-Type") != "application/problem+json" {
				t.Errorf("Content-Type %q", hdr.Get("Content-Type"))
			}
			if code == 401 && hdr.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if strings.Contains(string(body), "secret_hash") {
				t.Error("a key's hash leaked")
			}
		})
	}
}

func TestAuth_KeysAPIAndSecretsHashed(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := newServer(t, s)
	// A key grants only what it holds (TestKeys_GrantOnlyWhatIsHeld).
	_, admin := mustKey(t, s, "Quản trị", []string{"admin", "*:write", "*:personal"}, nil)
	req := httptest.NewRequest("POST", "/api/v1/keys", strings.NewReader(
		`{"name":"Sở Xây dựng","scopes":["parcels:read","constructions:write"],"personal":true,"expires_at":"2027-12-31"}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create key: %d %s", rec.Code, rec.Body)
	}
	var created struct {
		Key    store.APIKey `json:"key"`
		Secret string       `json:"secret"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	wantScopes := "parcels:read,constructions:write,parcels:personal,constructions:personal"
	if got := strings.Join(created.Key.Scopes, ","); got != wantScopes {
		t.Errorf("scopes %s, want %s", got, wantScopes)
	}
	if code, _, body := call(t, h, "GET", "/api/v1/layers", bearer(created.Secret)); code != 200 {
		t.Errorf("the new key does not work: %d %s", code, body)
	}
	// Only the hash is stored: the secret appears nowhere in the table.
	var leaked bool
	if err := storetest.DB(t, s).QueryRow(context.Background(),
		`SELECT EXISTS (SELECT 1 FROM api_keys k WHERE k::text LIKE '%' || $1 || '%')`, created.Secret[14:]).Scan(&leaked); err != nil {
		t.Fatal(err)
	}
	if leaked {
		t.Error("the secret is stored in clear")
	}
	// A body that does not parse or has the wrong shape is 400, a refused value in a
	// well-formed one 422 (the README's rule; this test accepted either before).
	for _, bad := range []struct {
		body string
		want int
	}{
		{`{"name":"x","scopes":["parcels:delete"]}`, 422},
		{`{"name":"","scopes":["parcels:read"]}`, 422},
		{`{"name":"x","scopes":["parcels:read"],"expires_at":"2001-01-01"}`, 422},
		{`{"name":"x","scopes":["parcels:read"],"expires_at":"tomorrow"}`, 422},
		{`{"name":"x","scopes":["parcels:read"],"rate_limit":0}`, 422},
		{`{"name":"x","scope":["parcels:read"]}`, 400},
		{`{"name":"x","scopes":"parcels:read"}`, 400},
		{`{"name":"x\u0000","scopes":["parcels:read"]}`, 400},
		{`not json`, 400},
	} {
		req := httptest.NewRequest("POST", "/api/v1/keys", strings.NewReader(bad.body))
		req.Header.Set("Authorization", "Bearer "+admin)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != bad.want || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("create key with %s: %d %s, want %d", bad.body, rec.Code, rec.Body, bad.want)
		}
	}
	// Revoking through the API takes effect on the next request.
	req = httptest.NewRequest("DELETE", "/api/v1/keys/"+created.Key.Prefix, nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	if code, _, _ := call(t, h, "GET", "/api/v1/layers", bearer(created.Secret)); code != 401 {
		t.Errorf("revoked key: %d, want 401", code)
	}
	code, _, body := call(t, h, "GET", "/api/v1/audit", bearer(admin))
	if code != 200 || !strings.Contains(string(body), "create key") || !strings.Contains(string(body), "revoke key") {
		t.Errorf("audit after key changes: %d %s", code, body)
	}
}

func TestAuth_AuditIsAppendOnly(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	ctx := context.Background()
	if err := s.Audit(ctx, store.AuditEntry{Method: "GET", Route: "/x", Status: 200}); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{`UPDATE audit_log SET status = 500`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := storetest.DB(t, s).Exec(ctx, sql); err == nil {
			t.Errorf("%s succeeded on the append-only audit log", sql)
		}
	}
}

func TestAuth_RateLimit(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := api.New(api.Config{Store: s, RateLimit: 600, Logger: slog.New(slog.DiscardHandler)})
	limit := 30
	_, slow := mustKey(t, s, "giới hạn", []string{"parcels:read"}, func(nk *store.NewKey) { nk.RateLimit = &limit })
	var got429 bool
	for i := 0; i < 20; i++ {
		code, hdr, body := call(t, h, "GET", "/healthz", bearer(slow))
		if code == http.StatusTooManyRequests {
			got429 = true
			ra, err := strconv.Atoi(hdr.Get("Retry-After"))
			if err != nil || ra < 1 {
				t.Errorf("429 with Retry-After %q", hdr.Get("Retry-After"))
			}
			if !strings.Contains(string(body), "rate limit") {
				t.Errorf("429 body %s", body)
			}
			if i < 10 {
				t.Errorf("limited after %d requests; the burst is 10", i)
			}
			break
		}
	}
	if !got429 {
		t.Error("a flood of 20 requests at 30/min was never limited")
	}
	// Another caller is not affected.
	if code, _, _ := call(t, h, "GET", "/healthz", nil); code != 200 {
		t.Errorf("anonymous caller limited by another key's flood: %d", code)
	}
}

// syncCopy is what a sector application keeps: each parcel's version and address.
type syncCopy map[int64][2]string

func applyPage(t testing.TB, h http.Handler, since string, local syncCopy) (next string, n int) {
	t.Helper()
	code, _, body := call(t, h, "GET", "/api/v1/changes?layers=parcels&limit=37&since="+since, nil)
	if code != 200 {
		t.Fatalf("changes since %s: %d %s", since, code, body)
	}
	var page struct {
		Changes []struct {
			Op        string `json:"op"`
			FeatureID int64  `json:"feature_id"`
			Version   int    `json:"version"`
			Feature   struct {
				Properties map[string]any `json:"properties"`
			} `json:"feature"`
		} `json:"changes"`
		Next string `json:"next"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	for _, ch := range page.Changes {
		switch ch.Op {
		case "delete":
			delete(local, ch.FeatureID)
		default:
			if _, personal := ch.Feature.Properties["owner_name"]; personal {
				t.Fatal("personal field in an anonymous change feed")
			}
			addr, _ := ch.Feature.Properties["address"].(string)
			local[ch.FeatureID] = [2]string{strconv.Itoa(ch.Version), addr}
		}
	}
	return page.Next, len(page.Changes)
}

// A sync client follows the feed while writers insert, update and delete concurrently, in
// transactions that commit out of order; at the end its copy equals the database.
func TestChanges_SyncClientConvergesUnderConcurrentWriters(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := newServer(t, s)
	pool := storetest.DB(t, s)
	ctx := context.Background()

	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			writer(t, pool, w)
		}(w)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	local := syncCopy{}
	since := "0"
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		since, _ = applyPage(t, h, since, local)
	}
	for {
		var n int
		if since, n = applyPage(t, h, since, local); n == 0 {
			break
		}
	}
	rows, err := pool.Query(ctx, `SELECT id, version, address FROM parcels`)
	if err != nil {
		t.Fatal(err)
	}
	want := syncCopy{}
	for rows.Next() {
		var id int64
		var v int
		var addr string
		if err := rows.Scan(&id, &v, &addr); err != nil {
			t.Fatal(err)
		}
		want[id] = [2]string{strconv.Itoa(v), addr}
	}
	if len(want) == 0 {
		t.Fatal("the writers left no parcels; the test proves nothing")
	}
	if len(local) != len(want) {
		t.Errorf("copy has %d parcels, database %d", len(local), len(want))
	}
	for id, w := range want {
		if local[id] != w {
			t.Errorf("parcel %d: copy %v, database %v", id, local[id], w)
		}
	}
}

// writer inserts parcels and updates and deletes its own ones, sometimes holding a transaction
// open across another writer's commit.
func writer(t testing.TB, pool *pgxpool.Pool, w int) {
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(uint64(w), 7))
	var mine []int64
	for i := 0; i < 40; i++ {
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		x := 569000 + float64(w)*1000 + float64(i)*20
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, address, geom)
			VALUES ('25195', $1, $2, '[{"code":"CLN","area":100}]', 'Ấp 1',
			ST_Multi(ST_Transform(ST_MakeEnvelope($3::float8, 1275700, $3::float8 + 10, 1275710, 9212), 4326))) RETURNING id`,
			100+w, i+1, x).Scan(&id)
		if err != nil {
			t.Error(err)
			tx.Rollback(ctx)
			return
		}
		mine = append(mine, id)
		if len(mine) > 2 && rnd.IntN(2) == 0 {
			target := mine[rnd.IntN(len(mine)-1)]
			if _, err := tx.Exec(ctx, `UPDATE parcels SET address = $2 WHERE id = $1`, target, fmt.Sprintf("Ấp %d", i)); err != nil {
				t.Error(err)
			}
		}
		if len(mine) > 5 && rnd.IntN(4) == 0 {
			j := rnd.IntN(len(mine) - 1)
			if _, err := tx.Exec(ctx, `DELETE FROM parcels WHERE id = $1`, mine[j]); err != nil {
				t.Error(err)
			}
			mine = append(mine[:j], mine[j+1:]...)
		}
		// Hold some transactions open so that later-numbered ones commit first.
		if rnd.IntN(3) == 0 {
			time.Sleep(time.Duration(rnd.IntN(20)) * time.Millisecond)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Error(err)
			return
		}
	}
}

func TestChanges_BadCursors(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := newServer(t, s)
	for _, tc := range []struct{ name, query string }{
		{"garbage", "since=abc"},
		{"negative", "since=-1.5"},
		{"from the future", "since=999999.1"},
		{"SQL", "since=1%3BDROP%20TABLE%20parcels"},
		{"unknown layer", "layers=nope"},
		{"limit too large", "limit=100000"},
		{"unknown parameter", "sinse=0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, hdr, body := call(t, h, "GET", "/api/v1/changes?"+tc.query, nil)
			if code != 400 || hdr.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: %d %s, want 400 problem", tc.query, code, body)
			}
		})
	}
}

func TestChanges_StreamPushesAndResumes(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	go s.Listen(ctx, ready)
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("the store did not start listening for changes within 30 s")
	}
	srv := httptest.NewServer(newServer(t, s))
	defer srv.Close()

	insert := func(n int) {
		_, err := storetest.DB(t, s).Exec(ctx, `INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
			VALUES ('25195', 9, $1, '[{"code":"CLN","area":100}]',
			ST_Multi(ST_Transform(ST_MakeEnvelope(569000 + $1 * 20, 1275700, 569010 + $1 * 20, 1275710, 9212), 4326)))`, n)
		if err != nil {
			t.Fatal(err)
		}
	}
	insert(1)
	// read takes n events from the stream, or what came within 30 s (the caller says how many
	// it wanted): a stream that stops pushing fails with a message, not at go test's timeout.
	read := func(lastID string, n int) []string {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/changes/stream", nil)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("Content-Type %q", ct)
		}
		var ids []string
		sc := bufio.NewScanner(res.Body)
		for len(ids) < n && sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
				ids = append(ids, id)
				if len(ids) == 1 && n > 1 {
					insert(2) // pushed live, while the stream is open
				}
			}
		}
		return ids
	}
	ids := read("", 2)
	if len(ids) != 2 {
		t.Fatalf("got events %v within 30 s, want 2", ids)
	}
	insert(3)
	resumed := read(ids[1], 1)
	if len(resumed) != 1 || resumed[0] == ids[1] || resumed[0] == ids[0] {
		t.Errorf("resumed after %s: %v, want exactly the third change", ids[1], resumed)
	}
}
