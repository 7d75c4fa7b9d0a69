package lgsp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// A local issuer: an HTTPS JWKS endpoint whose key set and health a test changes at will, and
// the private keys to sign its tokens.

const (
	testIssuer   = "https://lgsp.example.gov.vn/oauth2/token"
	testAudience = "gisd"
)

// now is the tests' clock: every token's times are relative to it, so no test depends on when it
// runs.
var now = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

type testKey struct {
	kid    string
	method jwt.SigningMethod
	priv   crypto.Signer
	use    jwkset.USE // published "use"; "sig" when empty
}

var (
	keysOnce sync.Once
	rsaKeys  [4]*rsa.PrivateKey // RSA generation is slow: four keys shared by every test
)

func rsaKey(t testing.TB, i int, kid string, method jwt.SigningMethod) testKey {
	t.Helper()
	keysOnce.Do(func() {
		for i := range rsaKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys[i] = k
		}
	})
	return testKey{kid: kid, method: method, priv: rsaKeys[i]}
}

func ecKey(t testing.TB, kid string) testKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{kid: kid, method: jwt.SigningMethodES256, priv: k}
}

func edKey(t testing.TB, kid string) testKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{kid: kid, method: jwt.SigningMethodEdDSA, priv: k}
}

type issuer struct {
	srv    *httptest.Server
	mu     sync.Mutex
	keys   []testKey
	status int // 0: serve the keys; otherwise answer this status
	hits   atomic.Int64
}

func newIssuer(t testing.TB, keys ...testKey) *issuer {
	t.Helper()
	is := &issuer{keys: keys}
	is.srv = httptest.NewTLSServer(http.HandlerFunc(is.serve))
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) serve(w http.ResponseWriter, r *http.Request) {
	is.hits.Add(1)
	is.mu.Lock()
	keys, status := slices.Clone(is.keys), is.status
	is.mu.Unlock()
	if status != 0 {
		http.Error(w, "down", status)
		return
	}
	set := jwkset.NewMemoryStorage()
	for _, k := range keys {
		use := k.use
		if use == "" {
			use = jwkset.UseSig
		}
		jwk, err := jwkset.NewJWKFromKey(k.priv.Public(), jwkset.JWKOptions{
			Metadata: jwkset.JWKMetadataOptions{KID: k.kid, ALG: jwkset.ALG(k.method.Alg()), USE: use},
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err := set.KeyWrite(r.Context(), jwk); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	body, err := set.JSONPublic(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func (is *issuer) setKeys(keys ...testKey) {
	is.mu.Lock()
	is.keys = keys
	is.mu.Unlock()
}

func (is *issuer) setStatus(code int) {
	is.mu.Lock()
	is.status = code
	is.mu.Unlock()
}

func (is *issuer) url() string { return is.srv.URL + "/oauth2/jwks" }

// validScope stands in for api.ValidScope: a fixed list, so a scope outside it is refused.
func validScope(s string) bool {
	return slices.Contains([]string{"parcels:read", "parcels:personal", "constructions:write", "*:read", "admin"}, s)
}

func testScopes(t testing.TB) ScopeMap {
	t.Helper()
	m, err := ParseScopeMap([]byte(`{
  "claim": "scope",
  "grants": {
    "gisd.parcels.read":     ["parcels:read"],
    "gisd.parcels.personal": ["parcels:read", "parcels:personal"],
    "gisd.admin":            ["admin"]
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newVerifier trusts is with the tests' defaults; change lets a test adjust the Config.
func newVerifier(t testing.TB, is *issuer, change func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{
		JWKSURL:    is.url(),
		Issuer:     testIssuer,
		Audiences:  []string{testAudience},
		Scopes:     testScopes(t),
		ValidScope: validScope,
		HTTPClient: is.srv.Client(),
		Logger:     quietLogger(),
		Now:        func() time.Time { return now },
	}
	if change != nil {
		change(&cfg)
	}
	v, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

// claims are those of a good client-credentials token; change edits them (delete to drop one).
func claims(change func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss":       testIssuer,
		"aud":       testAudience,
		"sub":       "so-xay-dung",
		"client_id": "so-xay-dung",
		"jti":       "7f1c",
		"scope":     "gisd.parcels.read openid",
		"iat":       now.Add(-time.Minute).Unix(),
		"nbf":       now.Add(-time.Minute).Unix(),
		"exp":       now.Add(10 * time.Minute).Unix(),
	}
	if change != nil {
		change(c)
	}
	return c
}

func sign(t testing.TB, k testKey, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(k.method, c)
	if k.kid != "" {
		tok.Header["kid"] = k.kid
	}
	s, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
