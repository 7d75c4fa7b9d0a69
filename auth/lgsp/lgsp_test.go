package lgsp

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

func TestVerify_Accepts(t *testing.T) {
	rs := rsaKey(t, 0, "rsa-1", jwt.SigningMethodRS256)
	ec := ecKey(t, "ec-1")
	ed := edKey(t, "ed-1")
	ps := rsaKey(t, 1, "ps-1", jwt.SigningMethodPS256)
	is := newIssuer(t, rs, ec, ed, ps)
	v := newVerifier(t, is, nil)

	tests := []struct {
		name       string
		key        testKey
		claims     jwt.MapClaims
		wantClient string
		wantScopes []string
	}{
		{"RS256", rs, claims(nil), "so-xay-dung", []string{"parcels:read"}},
		{"ES256", ec, claims(nil), "so-xay-dung", []string{"parcels:read"}},
		{"EdDSA", ed, claims(nil), "so-xay-dung", []string{"parcels:read"}},
		{"PS256", ps, claims(nil), "so-xay-dung", []string{"parcels:read"}},
		{"scopes merged, unknown values ignored", rs, claims(func(c jwt.MapClaims) {
			c["scope"] = "gisd.parcels.personal gisd.parcels.read gisd.unknown openid"
		}), "so-xay-dung", []string{"parcels:personal", "parcels:read"}},
		{"no mapped value: known caller, no scopes", rs, claims(func(c jwt.MapClaims) {
			c["scope"] = "openid profile"
		}), "so-xay-dung", nil},
		{"no scope claim", rs, claims(func(c jwt.MapClaims) { delete(c, "scope") }), "so-xay-dung", nil},
		{"one of several audiences", rs, claims(func(c jwt.MapClaims) {
			c["aud"] = []string{"other-api", testAudience}
		}), "so-xay-dung", []string{"parcels:read"}},
		{"client from azp", rs, claims(func(c jwt.MapClaims) {
			delete(c, "client_id")
			c["azp"] = "chi-cuc-thue"
		}), "chi-cuc-thue", []string{"parcels:read"}},
		{"client from sub", rs, claims(func(c jwt.MapClaims) { delete(c, "client_id") }), "so-xay-dung", []string{"parcels:read"}},
		{"expired within the leeway", rs, claims(func(c jwt.MapClaims) {
			c["exp"] = now.Add(-3 * time.Second).Unix()
		}), "so-xay-dung", []string{"parcels:read"}},
		{"no kid: tried against every key", testKey{method: ec.method, priv: ec.priv}, claims(nil), "so-xay-dung", []string{"parcels:read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := v.Verify(t.Context(), sign(t, tt.key, tt.claims))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.ClientID != tt.wantClient || id.Caller != "lgsp:"+tt.wantClient {
				t.Errorf("client = %q, caller %q; want %q", id.ClientID, id.Caller, tt.wantClient)
			}
			if !slices.Equal(id.Scopes, tt.wantScopes) {
				t.Errorf("scopes = %q, want %q", id.Scopes, tt.wantScopes)
			}
			wantExp := time.Unix(tt.claims["exp"].(int64), 0)
			if !id.Expires.Equal(wantExp) {
				t.Errorf("expires = %s, want %s", id.Expires, wantExp)
			}
		})
	}
	id, err := v.Verify(t.Context(), sign(t, rs, claims(nil)))
	if err != nil || id.Subject != "so-xay-dung" || id.TokenID != "7f1c" {
		t.Errorf("subject %q, token id %q, err %v; want so-xay-dung, 7f1c", id.Subject, id.TokenID, err)
	}
}

func TestVerify_Refuses(t *testing.T) {
	rs := rsaKey(t, 0, "rsa-1", jwt.SigningMethodRS256)
	ec := ecKey(t, "ec-1")
	enc := rsaKey(t, 1, "rsa-enc", jwt.SigningMethodRS256)
	enc.use = jwkset.UseEnc
	is := newIssuer(t, rs, ec, enc)
	v := newVerifier(t, is, nil)

	// A key the issuer never published, under the kid of one it did: a forger's token.
	forged := rsaKey(t, 2, "rsa-1", jwt.SigningMethodRS256)

	good := sign(t, rs, claims(nil))
	parts := strings.Split(good, ".")
	// The payload changed to ask for admin, the issuer's signature kept.
	tampered := parts[0] + "." + b64(`{"iss":"`+testIssuer+`","aud":"gisd","client_id":"x","scope":"gisd.admin","exp":`+fmt.Sprint(now.Add(time.Hour).Unix())+`}`) + "." + parts[2]

	pubDER, err := x509.MarshalPKIXPublicKey(rs.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hsWithPublicKey := func(secret []byte) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil))
		tok.Header["kid"] = rs.kid
		s, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	none := jwt.NewWithClaims(jwt.SigningMethodNone, claims(func(c jwt.MapClaims) { c["scope"] = "gisd.admin" }))
	noneToken, err := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		token   string
		want    error
		wantMsg string // the client message, when it is not the reason's own text
	}{
		{"expired", sign(t, rs, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })), ErrExpired, ""},
		{"expired just past the leeway", sign(t, rs, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-6 * time.Second).Unix() })), ErrExpired, ""},
		{"not yet valid", sign(t, rs, claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Minute).Unix() })), ErrNotYetValid, ""},
		{"issued in the future", sign(t, rs, claims(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Minute).Unix() })), ErrNotYetValid, "token issued in the future"},
		{"no expiry", sign(t, rs, claims(func(c jwt.MapClaims) { delete(c, "exp") })), ErrClaims, "token has no expiry (exp)"},
		{"expiry not a number", sign(t, rs, claims(func(c jwt.MapClaims) { c["exp"] = "tomorrow" })), ErrClaims, ""},
		{"signed by another key", sign(t, forged, claims(nil)), ErrSignature, ""},
		{"payload changed", tampered, ErrSignature, ""},
		{"wrong issuer", sign(t, rs, claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example/" })), ErrIssuer, ""},
		{"no issuer", sign(t, rs, claims(func(c jwt.MapClaims) { delete(c, "iss") })), ErrIssuer, ""},
		{"wrong audience", sign(t, rs, claims(func(c jwt.MapClaims) { c["aud"] = "other-api" })), ErrAudience, ""},
		{"no audience", sign(t, rs, claims(func(c jwt.MapClaims) { delete(c, "aud") })), ErrAudience, ""},
		{"alg none", noneToken, ErrAlgorithm, ""},
		{"HS256 keyed with the RSA public key (PEM)", hsWithPublicKey(pubPEM), ErrAlgorithm, ""},
		{"HS256 keyed with the RSA public key (DER)", hsWithPublicKey(pubDER), ErrAlgorithm, ""},
		{"RS256 under an EC key's kid", sign(t, testKey{kid: ec.kid, method: rs.method, priv: rs.priv}, claims(nil)), ErrAlgorithm, ""},
		{"signed with an encryption key", sign(t, enc, claims(nil)), ErrAlgorithm, ""},
		{"unknown kid", sign(t, rsaKey(t, 3, "rsa-never-published", jwt.SigningMethodRS256), claims(nil)), ErrUnknownKey, ""},
		{"kid not a string", kidNumber(t, rs), ErrUnknownKey, ""},
		{"no client", sign(t, rs, claims(func(c jwt.MapClaims) {
			delete(c, "client_id")
			delete(c, "sub")
		})), ErrClaims, "token names no client (client_id, azp or sub)"},
		{"client id with control characters", sign(t, rs, claims(func(c jwt.MapClaims) { c["client_id"] = "a\nb" })), ErrClaims, "token names no client (client_id, azp or sub)"},
		{"empty", "", ErrMalformed, ""},
		{"a gisd key", "gisd_abcdefgh_0123456789abcdefghijklmnopqrstuv", ErrMalformed, ""},
		{"two segments", parts[0] + "." + parts[1], ErrMalformed, ""},
		{"four segments", good + ".x", ErrMalformed, ""},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], ErrMalformed, ""},
		{"header not JSON", b64("not json") + "." + parts[1] + "." + parts[2], ErrMalformed, ""},
		{"payload not JSON", parts[0] + "." + b64("[1,2") + "." + parts[2], ErrMalformed, ""},
		{"oversized", sign(t, rs, claims(func(c jwt.MapClaims) { c["pad"] = strings.Repeat("x", MaxTokenBytes) })), ErrTooLarge, "token too large (over 8192 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := v.Verify(t.Context(), tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %+v, %v; want %v", id, err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *Error", err)
			}
			want := tt.wantMsg
			if want == "" {
				want = tt.want.Error()
			}
			if got := ClientMessage(err); got != want {
				t.Errorf("client message = %q, want %q", got, want)
			}
			if id.Caller != "" || id.Scopes != nil {
				t.Errorf("a refused token returned an identity: %+v", id)
			}
		})
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func kidNumber(t testing.TB, k testKey) string {
	tok := jwt.NewWithClaims(k.method, claims(nil))
	tok.Header["kid"] = 7
	s, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The client sees the reason and nothing else: not the library's words, not a kid, not a key.
func TestClientMessage_LeaksNothing(t *testing.T) {
	rs := rsaKey(t, 0, "rsa-1", jwt.SigningMethodRS256)
	v := newVerifier(t, newIssuer(t, rs), nil)
	unknown := sign(t, rsaKey(t, 3, "kid-secretive", jwt.SigningMethodRS256), claims(nil))
	_, err := v.Verify(t.Context(), unknown)
	if !strings.Contains(err.Error(), "kid-secretive") {
		t.Errorf("the log form %q should name the kid for the operator", err)
	}
	if msg := ClientMessage(err); msg != "token signing key unknown" {
		t.Errorf("client message = %q, want the reason alone", msg)
	}
	if msg := ClientMessage(errors.New("boom: internal")); msg != "token not accepted" {
		t.Errorf("client message of a foreign error = %q", msg)
	}
}

func TestLooksLikeJWT(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", true},
		{"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", true}, // alg none: still a JWT, refused by Verify
		{"gisd_abcdefgh_0123456789abcdefghijklmnop", false},
		{"a.b", false},
		{"a.b.c.d", false},
		{".b.c", false},
		{"a..c", false},
		{"a.b=.c", false},
		{"a.b c.d", false},
		{"", false},
	} {
		if got := LooksLikeJWT(tt.s); got != tt.want {
			t.Errorf("LooksLikeJWT(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

// The issuer rotates: a token with the new kid verifies after one refresh, the retired key stops
// working, and unknown kids cannot make gisd hammer the issuer.
func TestVerify_KeyRotation(t *testing.T) {
	old := rsaKey(t, 0, "2026-01", jwt.SigningMethodRS256)
	next := rsaKey(t, 1, "2026-02", jwt.SigningMethodRS256)
	is := newIssuer(t, old)
	v := newVerifier(t, is, nil)
	mustVerify(t, v, sign(t, old, claims(nil)))
	if got := is.hits.Load(); got != 1 {
		t.Fatalf("JWKS fetched %d times after start and a cached kid, want 1", got)
	}

	is.setKeys(next)
	mustVerify(t, v, sign(t, next, claims(nil)))
	if got := is.hits.Load(); got != 2 {
		t.Errorf("JWKS fetched %d times after the new kid, want 2", got)
	}

	// The retired key is gone from the refreshed set, and the refresh it asks for is rate-limited.
	if _, err := v.Verify(t.Context(), sign(t, old, claims(nil))); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("retired key: %v, want %v", err, ErrUnknownKey)
	}
	for i := range 20 {
		k := rsaKey(t, 2, fmt.Sprintf("random-%d", i), jwt.SigningMethodRS256)
		if _, err := v.Verify(t.Context(), sign(t, k, claims(nil))); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("unknown kid %d: %v, want %v", i, err, ErrUnknownKey)
		}
	}
	if got := is.hits.Load(); got != 2 {
		t.Errorf("JWKS fetched %d times after 21 unknown kids, want still 2 (rate limit)", got)
	}
	mustVerify(t, v, sign(t, next, claims(nil)))
}

// Many requests with a new kid at once share one refresh, and none of them is refused.
func TestVerify_KeyRotationConcurrent(t *testing.T) {
	old := rsaKey(t, 0, "2026-01", jwt.SigningMethodRS256)
	next := ecKey(t, "2026-02")
	is := newIssuer(t, old)
	v := newVerifier(t, is, nil)
	is.setKeys(old, next)
	token := sign(t, next, claims(nil))

	const n = 16
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = v.Verify(t.Context(), token)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if got := is.hits.Load(); got != 2 {
		t.Errorf("JWKS fetched %d times, want 2 (start, one shared refresh)", got)
	}
}

// Rotation also arrives without an unknown kid asking: the background refresh picks it up.
func TestVerify_BackgroundRefresh(t *testing.T) {
	old := rsaKey(t, 0, "2026-01", jwt.SigningMethodRS256)
	next := rsaKey(t, 1, "2026-02", jwt.SigningMethodRS256)
	is := newIssuer(t, old)
	v := newVerifier(t, is, func(c *Config) {
		c.RefreshInterval = 20 * time.Millisecond
		c.UnknownKeyRefresh = time.Hour
	})
	// Spend the one on-demand refresh of the hour, so only the background can bring the new key.
	if _, err := v.Verify(t.Context(), sign(t, rsaKey(t, 2, "spend", jwt.SigningMethodRS256), claims(nil))); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("spending the refresh: %v", err)
	}
	is.setKeys(next)
	token := sign(t, next, claims(nil))
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		_, err := v.Verify(t.Context(), token)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrUnknownKey) || time.Now().After(deadline) {
			t.Fatalf("the background refresh never brought the new key: %v", err)
		}
		<-tick.C
	}
}

// Once keys are cached, an issuer that goes away does not stop known tokens.
func TestVerify_IssuerDownAfterFirstFetch(t *testing.T) {
	rs := rsaKey(t, 0, "rsa-1", jwt.SigningMethodRS256)
	for _, down := range []struct {
		name string
		stop func(*issuer)
	}{
		{"answers 503", func(is *issuer) { is.setStatus(http.StatusServiceUnavailable) }},
		{"unreachable", func(is *issuer) { is.srv.Close() }},
	} {
		t.Run(down.name, func(t *testing.T) {
			is := newIssuer(t, rs)
			v := newVerifier(t, is, nil)
			down.stop(is)
			mustVerify(t, v, sign(t, rs, claims(nil)))
			// An unknown kid is the token's problem while keys are cached, not an outage.
			_, err := v.Verify(t.Context(), sign(t, rsaKey(t, 1, "rsa-2", jwt.SigningMethodRS256), claims(nil)))
			if !errors.Is(err, ErrUnknownKey) {
				t.Errorf("unknown kid with the issuer down: %v, want %v", err, ErrUnknownKey)
			}
			mustVerify(t, v, sign(t, rs, claims(nil)))
		})
	}
}

// With no key ever fetched nothing can be checked: ErrUnavailable (api: 503), and the service
// recovers by itself once the issuer answers.
func TestVerify_IssuerUnavailable(t *testing.T) {
	rs := rsaKey(t, 0, "rsa-1", jwt.SigningMethodRS256)

	t.Run("unreachable from the start", func(t *testing.T) {
		is := newIssuer(t, rs)
		is.srv.Close()
		v := newVerifier(t, is, nil)
		for _, k := range []testKey{rs, {method: rs.method, priv: rs.priv}} {
			_, err := v.Verify(t.Context(), sign(t, k, claims(nil)))
			if !errors.Is(err, ErrUnavailable) || ClientMessage(err) != "token issuer keys unavailable" {
				t.Errorf("kid %q: %v, want %v", k.kid, err, ErrUnavailable)
			}
		}
	})

	for _, kid := range []string{"rsa-1", ""} {
		t.Run("recovers, kid "+fmt.Sprintf("%q", kid), func(t *testing.T) {
			is := newIssuer(t, rs)
			is.setStatus(http.StatusBadGateway)
			v := newVerifier(t, is, func(c *Config) { c.UnknownKeyRefresh = time.Millisecond })
			token := sign(t, testKey{kid: kid, method: rs.method, priv: rs.priv}, claims(nil))
			if _, err := v.Verify(t.Context(), token); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("issuer down: %v, want %v", err, ErrUnavailable)
			}
			is.setStatus(0)
			mustVerify(t, v, token)
		})
	}
}

func mustVerify(t testing.TB, v *Verifier, token string) Identity {
	t.Helper()
	id, err := v.Verify(t.Context(), token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return id
}

func TestNew_Config(t *testing.T) {
	rs := rsaKey(t, 0, "rsa-1", jwt.SigningMethodRS256)
	is := newIssuer(t, rs)
	plain := httptest.NewServer(is.srv.Config.Handler)
	t.Cleanup(plain.Close)
	badScopes := testScopes(t)
	badScopes.Grants["gisd.typo"] = []string{"parcel:reed"}

	tests := []struct {
		name    string
		change  func(*Config)
		wantErr string // "" when New must succeed
	}{
		{"defaults", func(*Config) {}, ""},
		{"no URL", func(c *Config) { c.JWKSURL = "" }, "the JWKS URL is required"},
		{"relative URL", func(c *Config) { c.JWKSURL = "/jwks" }, "want an absolute https URL"},
		{"plain http", func(c *Config) { c.JWKSURL = plain.URL; c.HTTPClient = nil }, "use https"},
		{"plain http allowed", func(c *Config) { c.JWKSURL = plain.URL; c.HTTPClient = nil; c.AllowHTTP = true }, ""},
		{"no issuer", func(c *Config) { c.Issuer = "" }, "the issuer is required"},
		{"no audience", func(c *Config) { c.Audiences = nil }, "at least one audience is required"},
		{"empty audience", func(c *Config) { c.Audiences = []string{"gisd", ""} }, "an audience may not be empty"},
		{"no scope rule", func(c *Config) { c.ValidScope = nil }, "Config.ValidScope is required"},
		{"leeway too large", func(c *Config) { c.Leeway = time.Hour }, "leeway 1h0m0s"},
		{"negative refresh", func(c *Config) { c.RefreshInterval = -time.Second }, "may not be negative"},
		{"scope the rule refuses", func(c *Config) { c.Scopes = badScopes }, `scope map: entry "gisd.typo": "parcel:reed" is not a gisd scope`},
		{"empty scope map", func(c *Config) { c.Scopes = ScopeMap{} }, "no claim named"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{
				JWKSURL: is.url(), Issuer: testIssuer, Audiences: []string{testAudience},
				Scopes: testScopes(t), ValidScope: validScope, HTTPClient: is.srv.Client(), Logger: quietLogger(),
			}
			tt.change(&cfg)
			v, err := New(t.Context(), cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
			case tt.wantErr == "":
				// With the real clock: a token valid now verifies.
				c := claims(func(c jwt.MapClaims) {
					c["iat"], c["nbf"], c["exp"] = time.Now().Unix(), time.Now().Unix(), time.Now().Add(time.Minute).Unix()
				})
				mustVerify(t, v, sign(t, rs, c))
			}
		})
	}
}

// The Config's maps and slices are copied: changing them after New changes nothing.
func TestNew_CopiesConfig(t *testing.T) {
	rs := rsaKey(t, 0, "rsa-1", jwt.SigningMethodRS256)
	is := newIssuer(t, rs)
	scopes := testScopes(t)
	auds := []string{testAudience}
	v := newVerifier(t, is, func(c *Config) { c.Scopes, c.Audiences = scopes, auds })
	scopes.Grants["gisd.parcels.read"][0] = "admin"
	auds[0] = "other"
	id := mustVerify(t, v, sign(t, rs, claims(nil)))
	if !slices.Equal(id.Scopes, []string{"parcels:read"}) {
		t.Errorf("scopes = %q after the caller changed its map, want [parcels:read]", id.Scopes)
	}
}

// An issuer that wrongly publishes a symmetric key still cannot have HS256 tokens accepted: the
// algorithm list refuses them before any key is looked at.
func TestVerify_RefusesSymmetricKeyInJWKS(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"keys":[{"kty":"oct","kid":"hmac","k":%q}]}`, base64.RawURLEncoding.EncodeToString(secret))
	}))
	t.Cleanup(srv.Close)
	v := newVerifier(t, &issuer{srv: srv}, nil)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil))
	tok.Header["kid"] = "hmac"
	s, err := tok.SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), s); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("HS256 with a published symmetric key: %v, want %v", err, ErrAlgorithm)
	}
}

// A JWKS endpoint that answers without end is cut off instead of filling memory.
func TestNew_BoundedJWKS(t *testing.T) {
	huge := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys":[{"kty":"oct","k":"`))
		chunk := []byte(strings.Repeat("A", 64<<10))
		for range (maxJWKSBytes / len(chunk)) + 2 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		_, _ = w.Write([]byte(`"}]}`))
	}))
	t.Cleanup(huge.Close)
	rs := rsaKey(t, 0, "rsa-1", jwt.SigningMethodRS256)
	v := newVerifier(t, &issuer{srv: huge}, nil)
	if _, err := v.Verify(t.Context(), sign(t, rs, claims(nil))); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Verify against an oversized JWKS: %v, want %v", err, ErrUnavailable)
	}
}
