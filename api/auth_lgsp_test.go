package api_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/dongnai-gis/gisd/api"
	"github.com/dongnai-gis/gisd/auth/lgsp"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// A local issuer of the integration platform: an HTTPS JWKS endpoint and the key that signs its
// tokens.

const (
	lgspIssuer   = "https://lgsp.dongnai.gov.vn/oauth2/token"
	lgspAudience = "gisd"
	lgspKID      = "lgsp-2026"
)

var (
	rsaOnce sync.Once
	rsaPair [2]*rsa.PrivateKey // the issuer's key and a forger's
)

func lgspKeys(t testing.TB) (issuer, forger *rsa.PrivateKey) {
	t.Helper()
	rsaOnce.Do(func() {
		for i := range rsaPair {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaPair[i] = k
		}
	})
	return rsaPair[0], rsaPair[1]
}

// jwksServer publishes the issuer's public key; down makes it answer 503.
func jwksServer(t testing.TB, down bool) *httptest.Server {
	t.Helper()
	key, _ := lgspKeys(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		set := jwkset.NewMemoryStorage()
		jwk, err := jwkset.NewJWKFromKey(key.Public(), jwkset.JWKOptions{
			Metadata: jwkset.JWKMetadataOptions{KID: lgspKID, ALG: jwkset.AlgRS256, USE: jwkset.UseSig},
		})
		if err == nil {
			err = set.KeyWrite(r.Context(), jwk)
		}
		body, err2 := set.JSONPublic(r.Context())
		if err != nil || err2 != nil {
			http.Error(w, "no keys", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// lgspVerifier trusts srv with a scope map of three grants.
func lgspVerifier(t testing.TB, srv *httptest.Server) *lgsp.Verifier {
	t.Helper()
	scopes, err := lgsp.ParseScopeMap([]byte(`{
  "claim": "scope",
  "grants": {
    "gisd.parcels.read":     ["parcels:read"],
    "gisd.parcels.personal": ["parcels:read", "parcels:personal"],
    "gisd.constructions":    ["constructions:write", "parcels:read"]
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	v, err := lgsp.New(t.Context(), lgsp.Config{
		JWKSURL: srv.URL + "/oauth2/jwks", Issuer: lgspIssuer, Audiences: []string{lgspAudience},
		Scopes: scopes, ValidScope: api.ValidScope, HTTPClient: srv.Client(),
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// token signs claims for client with scope; change edits the claims before signing.
func token(t testing.TB, key *rsa.PrivateKey, client, scope string, change func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	c := jwt.MapClaims{
		"iss": lgspIssuer, "aud": lgspAudience, "sub": client, "client_id": client, "scope": scope,
		"iat": now.Add(-time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
	if change != nil {
		change(c)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = lgspKID
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// unsigned is a token with "alg": "none" and no signature.
func unsigned(t testing.TB, client, scope string) string {
	t.Helper()
	seg := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	now := time.Now()
	return seg(map[string]any{"alg": "none", "typ": "JWT", "kid": lgspKID}) + "." + seg(map[string]any{
		"iss": lgspIssuer, "aud": lgspAudience, "client_id": client, "scope": scope,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}) + "."
}

func lgspServer(t testing.TB, s *store.Store, v api.TokenVerifier, rateLimit int) http.Handler {
	t.Helper()
	return api.New(api.Config{Store: s, Logger: slog.New(slog.DiscardHandler), Tokens: v, RateLimit: rateLimit})
}

// A platform token is a caller like a key: it reads what its scopes allow, personal fields only
// with the personal scope, writes with the write scope, and is named lgsp:<client_id> in the
// audit log and in history.
func TestLGSP_TokensGetTheRulesOfKeys(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := lgspServer(t, s, lgspVerifier(t, jwksServer(t, false)), 0)
	key, _ := lgspKeys(t)
	id := ownerParcel(t, s, 1, "Nguyễn Văn An", "079080001234")
	item := "/ogc/collections/parcels/items/" + itoa64(id)
	reader := token(t, key, "so-nong-nghiep", "gisd.parcels.read openid", nil)
	tax := token(t, key, "chi-cuc-thue", "gisd.parcels.personal", nil)
	builder := token(t, key, "so-xay-dung", "gisd.constructions", nil)
	nothing := token(t, key, "ung-dung-khac", "openid", nil)

	for _, tc := range []struct {
		name, token string
		owner       bool
	}{{"read scope", reader, false}, {"personal scope", tax, true}, {"no gisd scope", nothing, false}} {
		rec := request(t, h, "GET", item, "", [][2]string{{"Authorization", "Bearer " + tc.token}})
		if rec.Code != 200 || strings.Contains(rec.Body.String(), "079080001234") != tc.owner {
			t.Errorf("%s: %d, owner fields shown %v, want %v: %.300s", tc.name, rec.Code, !tc.owner, tc.owner, rec.Body)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q", tc.name, cc)
		}
	}
	// The same token as the password of Basic, as QGIS sends it.
	if rec := request(t, h, "GET", item, "", [][2]string{{"Authorization", basic("qgis", tax)}}); rec.Code != 200 || !strings.Contains(rec.Body.String(), "079080001234") {
		t.Errorf("token in Basic: %d %.300s", rec.Code, rec.Body)
	}
	var audited int
	if err := storetest.DB(t, s).QueryRow(context.Background(), `SELECT count(*) FROM audit_log
		WHERE key_id IS NULL AND key_name = 'lgsp:chi-cuc-thue' AND personal AND $1 = ANY(feature_ids)`, id).Scan(&audited); err != nil || audited != 2 {
		t.Errorf("personal reads by the token audited %d times (%v), want 2", audited, err)
	}

	// Writes need the write scope; history names the application.
	if rec := request(t, h, "DELETE", item, "", [][2]string{{"Authorization", "Bearer " + reader}, {"If-Match", "*"}}); rec.Code != 403 {
		t.Errorf("DELETE with a read token: %d, want 403", rec.Code)
	}
	code, hdr, body := send(t, h, "POST", "/ogc/collections/constructions/items", houseVN2000,
		map[string]string{"Authorization": "Bearer " + builder, "Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/9212>"})
	if code != 201 {
		t.Fatalf("POST with the construction token: %d %s", code, body)
	}
	var changedBy string
	if err := storetest.DB(t, s).QueryRow(context.Background(), `SELECT changed_by FROM constructions ORDER BY id DESC LIMIT 1`).Scan(&changedBy); err != nil || changedBy != "lgsp:so-xay-dung" {
		t.Errorf("history names %q (%v), want lgsp:so-xay-dung (Location %s)", changedBy, err, hdr.Get("Location"))
	}

	// The audit log names the token's caller and can be filtered by it.
	_, dpo := mustKey(t, s, "Thanh tra", []string{"admin", "parcels:personal"}, nil)
	rec := request(t, h, "GET", "/api/v1/audit?caller=lgsp:chi-cuc-thue", "", [][2]string{{"X-API-Key", dpo}})
	var log struct {
		Entries []struct {
			Caller  string `json:"caller"`
			KeyID   *int64 `json:"key_id"`
			KeyName string `json:"key_name"`
		} `json:"entries"`
	}
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &log) != nil || len(log.Entries) != 2 {
		t.Fatalf("audit by caller: %d %s", rec.Code, rec.Body)
	}
	for _, e := range log.Entries {
		if e.Caller != "lgsp:chi-cuc-thue" || e.KeyID != nil {
			t.Errorf("entry %+v", e)
		}
	}
	if rec := request(t, h, "GET", "/api/v1/audit?caller=lgsp:so-xay-dung", "", [][2]string{{"X-API-Key", dpo}}); !strings.Contains(rec.Body.String(), `"caller":"lgsp:so-xay-dung"`) {
		t.Errorf("the token's write is not in the audit log under its caller: %s", rec.Body)
	}
}

// Tokens that must not be accepted are each a 401 over HTTP, with the reason; a server without
// an issuer refuses tokens; an issuer whose keys cannot be fetched makes tokens a 503.
func TestLGSP_RefusedTokensAre401(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := lgspServer(t, s, lgspVerifier(t, jwksServer(t, false)), 0)
	key, forger := lgspKeys(t)
	for _, tc := range []struct {
		name, token, reason string
	}{
		{"expired", token(t, key, "chi-cuc-thue", "gisd.parcels.personal", func(c jwt.MapClaims) {
			c["exp"] = time.Now().Add(-time.Hour).Unix()
			c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			c["nbf"] = time.Now().Add(-2 * time.Hour).Unix()
		}), "token expired"},
		{"signed by another key", token(t, forger, "chi-cuc-thue", "gisd.parcels.personal", nil), "token signature invalid"},
		{"for another audience", token(t, key, "chi-cuc-thue", "gisd.parcels.personal", func(c jwt.MapClaims) { c["aud"] = "other-service" }), "token audience not accepted"},
		{"alg none", unsigned(t, "chi-cuc-thue", "gisd.parcels.personal"), "token algorithm not accepted"},
		{"from another issuer", token(t, key, "chi-cuc-thue", "gisd.parcels.personal", func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }), "token issuer not accepted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := request(t, h, "GET", "/ogc/collections/parcels/items?limit=1", "192.0.2.77", [][2]string{{"Authorization", "Bearer " + tc.token}})
			if rec.Code != 401 || rec.Header().Get("Content-Type") != "application/problem+json" ||
				!strings.Contains(rec.Body.String(), tc.reason) || rec.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("%d %v %s, want 401 saying %q", rec.Code, rec.Header(), rec.Body, tc.reason)
			}
		})
	}
	// Without an issuer configured, a token is not a key either.
	good := token(t, key, "chi-cuc-thue", "gisd.parcels.personal", nil)
	if rec := request(t, newServer(t, s), "GET", "/api/v1/layers", "", [][2]string{{"Authorization", "Bearer " + good}}); rec.Code != 401 {
		t.Errorf("a token on a server without LGSP: %d, want 401", rec.Code)
	}
	// The issuer has been down since start: no token can be checked, which is not the client's
	// fault.
	down := lgspServer(t, s, lgspVerifier(t, jwksServer(t, true)), 0)
	rec := request(t, down, "GET", "/api/v1/layers", "", [][2]string{{"Authorization", "Bearer " + good}})
	if rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Errorf("issuer down: %d Retry-After %q %s, want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
}

// Rate limits count per application (client_id), whichever of its tokens it sends.
func TestLGSP_RateLimitedPerCaller(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := lgspServer(t, s, lgspVerifier(t, jwksServer(t, false)), 60)
	key, _ := lgspKeys(t)
	served := func(tokens ...string) int {
		n := 0
		for i := 0; i < 30; i++ {
			rec := request(t, h, "GET", "/api/v1/layers", "203.0.113.50", [][2]string{{"Authorization", "Bearer " + tokens[i%len(tokens)]}})
			if rec.Code == 429 {
				break
			}
			n++
		}
		return n
	}
	// Two tokens of one application share its budget (a burst of 10); another application
	// behind the same address has its own.
	a1 := token(t, key, "so-xay-dung", "gisd.parcels.read", nil)
	a2 := token(t, key, "so-xay-dung", "gisd.parcels.read", func(c jwt.MapClaims) { c["jti"] = "second" })
	if got := served(a1, a2); got != 10 {
		t.Errorf("one application with two tokens: %d served, want 10", got)
	}
	if got := served(token(t, key, "so-tai-chinh", "gisd.parcels.read", nil)); got != 10 {
		t.Errorf("another application: %d served, want its own 10", got)
	}
}

// A change stream outlives the check made when it opened: it ends when its key is revoked or its
// token expires, instead of pushing personal data for days.
func TestChanges_StreamEndsWithItsCredential(t *testing.T) {
	defer api.SetStreamRecheck(100 * time.Millisecond)()
	s := storetest.Store(t, storetest.Migrated(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ready := make(chan struct{})
	go s.Listen(ctx, ready)
	<-ready
	srv := httptest.NewServer(lgspServer(t, s, lgspVerifier(t, jwksServer(t, false)), 0))
	defer srv.Close()
	ownerParcel(t, s, 1, "Nguyễn Văn An", "079080001234")
	key, _ := lgspKeys(t)
	k, secret := mustKey(t, s, "Chi cục Thuế", []string{"parcels:read", "parcels:personal"}, nil)

	// stream opens the feed with auth, calls then once the first change arrived, and returns
	// what it read until the server ended the stream.
	stream := func(auth string, then func()) string {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/changes/stream", nil)
		req.Header.Set("Authorization", auth)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("stream: %d", res.StatusCode)
		}
		var b strings.Builder
		buf := make([]byte, 4096)
		for first := true; ; {
			n, err := res.Body.Read(buf)
			b.Write(buf[:n])
			if first && strings.Contains(b.String(), "event: change") {
				first = false
				then()
			}
			if err != nil {
				if ctx.Err() != nil {
					t.Fatalf("the stream was still open at the deadline: %.500s", b.String())
				}
				return b.String()
			}
		}
	}
	got := stream("Bearer "+secret, func() {
		if _, err := s.RevokeKey(ctx, itoa64(k.ID)); err != nil {
			t.Fatal(err)
		}
	})
	if !strings.Contains(got, "079080001234") || !strings.Contains(got, "event: error") {
		t.Errorf("revoked key's stream: %.500s", got)
	}
	short := token(t, key, "chi-cuc-thue", "gisd.parcels.personal", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(2 * time.Second).Unix() })
	start := time.Now()
	if got := stream("Bearer "+short, func() {}); !strings.Contains(got, "event: error") {
		t.Errorf("expired token's stream: %.500s", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the token's stream ended %v after it opened; the token expired after 2 s", d)
	}
}
