// Package lgsp verifies the bearer tokens that the province's integration platform (LGSP) issues
// to applications (OAuth 2.0 client credentials, signed JWTs) and turns them into gisd scopes.
//
// It owns: the issuer's key set (fetched from its JWKS URL, cached, refreshed in the background
// and at once, rate-limited, when a token names a key not yet seen, so rotated keys work), the
// checks a token must pass (an allowed asymmetric algorithm, the signature, exp, nbf, iat, iss,
// aud), and the table from a claim's values to gisd scopes. Every refusal is an *Error with a
// short reason that is safe to show a client.
//
// It must never import gin, net/http handlers, api or store: api asks it one question, Verify,
// and applies the same scopes, personal-field rules, audit and rate limits as for its own keys.
package lgsp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// algorithms are the signature algorithms a token may use: asymmetric only. HS* would let
// anyone who knows the issuer's public key (everyone) sign tokens if a key were ever used as an
// HMAC secret, and "none" is no signature at all.
var algorithms = []string{"RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"}

// Algorithms lists the signature algorithms a token may use (asymmetric only: never "none" or
// HS*), for documentation and diagnostics.
func Algorithms() []string { return slices.Clone(algorithms) }

// MaxTokenBytes bounds a token: platform tokens are one to three KiB, and a larger one is refused
// before any decoding or signature work.
const MaxTokenBytes = 8 << 10

// Defaults for the Config fields left zero.
const (
	DefaultLeeway            = 5 * time.Second
	DefaultRefreshInterval   = 15 * time.Minute
	DefaultUnknownKeyRefresh = time.Minute
	DefaultHTTPTimeout       = 10 * time.Second
)

// Config says which issuer to trust and how its tokens map to gisd scopes.
type Config struct {
	JWKSURL   string   // the issuer's JWKS endpoint; https unless AllowHTTP
	Issuer    string   // the exact "iss" of its tokens
	Audiences []string // a token's "aud" must contain one of these (at least one required)
	Scopes    ScopeMap // claim values -> gisd scopes (LoadScopeMap)

	// ValidScope is gisd's rule for a scope (api.ValidScope); New refuses a scope map granting
	// anything it rejects. Required.
	ValidScope func(string) bool

	Leeway            time.Duration    // clock skew allowed on exp, nbf and iat; default 5 s, at most 5 min
	RefreshInterval   time.Duration    // background refresh of the JWKS; default 15 min
	UnknownKeyRefresh time.Duration    // at most one refresh this often for unknown kids; default 1 min
	HTTPTimeout       time.Duration    // one JWKS fetch; default 10 s
	HTTPClient        *http.Client     // default: a client with HTTPTimeout
	AllowHTTP         bool             // accept an http:// JWKS URL (a trusted internal network only)
	Logger            *slog.Logger     // default: slog.Default()
	Now               func() time.Time // the clock for exp, nbf and iat; default time.Now
}

// Identity is what a verified token says about its caller.
type Identity struct {
	// Caller is "lgsp:" + ClientID: stable across the application's tokens, for the audit log and
	// rate limiting. It cannot collide with gisd's own key callers.
	Caller   string
	ClientID string    // "client_id", else "azp", else "sub": the application the token was issued to
	Subject  string    // "sub", possibly empty
	TokenID  string    // "jti", possibly empty
	Scopes   []string  // gisd scopes from the scope map: sorted, no duplicates; nil grants nothing
	Expires  time.Time // "exp": the token is worth nothing after it
}

// Verifier checks tokens of one issuer. It is safe for concurrent use.
type Verifier struct {
	cfg    Config
	keys   *keyStore
	kf     keyfunc.Keyfunc
	parser *jwt.Parser
	log    *slog.Logger
}

// New checks cfg and starts following the issuer's key set until ctx ends. The first fetch
// happens here; if the issuer cannot be reached New still succeeds (gisd's own keys must keep
// working), logs a warning, and Verify answers ErrUnavailable until keys arrive.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	if err := cfg.complete(); err != nil {
		return nil, fmt.Errorf("lgsp: %w", err)
	}
	log := cfg.Logger
	onRefreshError := func(ctx context.Context, err error) {
		log.WarnContext(ctx, "lgsp: fetching the issuer's keys failed", "url", cfg.JWKSURL, "err", err)
	}
	cache, err := jwkset.NewStorageFromHTTP(cfg.JWKSURL, jwkset.HTTPClientStorageOptions{
		Client:                    cfg.HTTPClient,
		Ctx:                       ctx,
		HTTPTimeout:               cfg.HTTPTimeout,
		NoErrorReturnFirstHTTPReq: true,
		RefreshErrorHandler:       onRefreshError,
		RefreshInterval:           cfg.RefreshInterval,
	})
	if err != nil {
		return nil, fmt.Errorf("lgsp: JWKS URL: %w", err)
	}
	client, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs: map[string]jwkset.Storage{cfg.JWKSURL: cache},
		// A request waits for the rate limiter at most as long as a fetch may take; when the
		// next refresh is further away than that it is refused at once.
		RateLimitWaitMax:  cfg.HTTPTimeout,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(cfg.UnknownKeyRefresh), 1),
	})
	if err != nil {
		return nil, fmt.Errorf("lgsp: %w", err)
	}
	keys := &keyStore{Storage: client, cache: cache, timeout: cfg.HTTPTimeout}
	kf, err := keyfunc.New(keyfunc.Options{
		Ctx:     ctx,
		Storage: keys,
		// Keys marked for encryption never verify a signature; most issuers leave "use" out.
		UseWhitelist: []jwkset.USE{jwkset.UseSig, ""},
	})
	if err != nil {
		return nil, fmt.Errorf("lgsp: %w", err)
	}
	v := &Verifier{
		cfg:  cfg,
		keys: keys,
		kf:   kf,
		log:  log,
		parser: jwt.NewParser(
			jwt.WithValidMethods(algorithms),
			jwt.WithStrictDecoding(),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audiences...),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(cfg.Leeway),
			jwt.WithTimeFunc(cfg.Now),
		),
	}
	if all, err := cache.KeyReadAll(ctx); err == nil && len(all) > 0 {
		log.InfoContext(ctx, "lgsp: issuer keys fetched", "url", cfg.JWKSURL, "keys", len(all))
	}
	return v, nil
}

func (c *Config) complete() error {
	u, err := url.Parse(c.JWKSURL)
	switch {
	case c.JWKSURL == "":
		return errors.New("the JWKS URL is required")
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return fmt.Errorf("JWKS URL %q: want an absolute https URL", c.JWKSURL)
	case u.Scheme == "http" && !c.AllowHTTP:
		return fmt.Errorf("JWKS URL %q: keys fetched over plain http can be replaced on the way; use https (or allow http on a trusted network)", c.JWKSURL)
	case c.Issuer == "":
		return errors.New("the issuer is required")
	case len(c.Audiences) == 0:
		return errors.New("at least one audience is required: without it a token issued for any other service would be accepted")
	case slices.Contains(c.Audiences, ""):
		return errors.New("an audience may not be empty")
	case c.ValidScope == nil:
		return errors.New("Config.ValidScope is required")
	case c.Leeway < 0 || c.Leeway > 5*time.Minute:
		return fmt.Errorf("leeway %s: want between 0 and 5m", c.Leeway)
	case c.RefreshInterval < 0 || c.UnknownKeyRefresh < 0 || c.HTTPTimeout < 0:
		return errors.New("refresh intervals and the HTTP timeout may not be negative")
	}
	if err := c.Scopes.validate(c.ValidScope); err != nil {
		return fmt.Errorf("scope map: %w", err)
	}
	c.Scopes = c.Scopes.clone()
	c.Audiences = slices.Clone(c.Audiences)
	if c.Leeway == 0 {
		c.Leeway = DefaultLeeway
	}
	if c.RefreshInterval == 0 {
		c.RefreshInterval = DefaultRefreshInterval
	}
	if c.UnknownKeyRefresh == 0 {
		c.UnknownKeyRefresh = DefaultUnknownKeyRefresh
	}
	if c.HTTPTimeout == 0 {
		c.HTTPTimeout = DefaultHTTPTimeout
	}
	client := &http.Client{Timeout: c.HTTPTimeout}
	if c.HTTPClient != nil {
		cp := *c.HTTPClient // ours to change: the caller's client keeps its transport
		client = &cp
	}
	base := client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	client.Transport = boundedTransport{base: base, max: maxJWKSBytes}
	c.HTTPClient = client
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// LooksLikeJWT reports whether a presented credential has the shape of a JWT (three base64url
// segments, the last possibly empty), so api can send it here and everything else to its own
// key store. gisd keys have no dots.
func LooksLikeJWT(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return false
	}
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// Verify checks raw and says who it speaks for. Every refusal is an *Error: ErrUnavailable when
// no key of the issuer could be had (api: 503), any other reason when the token is not accepted
// (api: 401). A valid token whose claim values the scope map does not name verifies with no
// scopes: it is a known caller that may read what anonymous callers read.
func (v *Verifier) Verify(ctx context.Context, raw string) (Identity, error) {
	if len(raw) > MaxTokenBytes {
		return Identity{}, refuseMsg(ErrTooLarge, fmt.Sprintf("token too large (over %d bytes)", MaxTokenBytes), nil)
	}
	if !LooksLikeJWT(raw) {
		return Identity{}, refuse(ErrMalformed, nil)
	}
	claims := jwt.MapClaims{}
	tok, err := v.parser.ParseWithClaims(raw, claims, v.keyfunc(ctx))
	if err != nil {
		return Identity{}, v.classify(ctx, tok, claims, err)
	}
	id := Identity{
		Subject: stringClaim(claims, "sub"),
		TokenID: stringClaim(claims, "jti"),
		Scopes:  v.cfg.Scopes.grant(claims),
	}
	for _, name := range []string{"client_id", "azp", "sub"} {
		if id.ClientID = stringClaim(claims, name); id.ClientID != "" {
			break
		}
	}
	if !printable(id.ClientID) {
		// The client id becomes a rate-limit key and an audit entry: it must exist and be sane.
		return Identity{}, refuseMsg(ErrClaims, "token names no client (client_id, azp or sub)", nil)
	}
	id.Caller = "lgsp:" + id.ClientID
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil { // the parser required it; kept as a guard, never a panic
		return Identity{}, refuseMsg(ErrClaims, "token has no expiry (exp)", err)
	}
	id.Expires = exp.Time
	return id, nil
}

// keyfunc finds the key for a token through keyfunc and the key store. A token without a kid is
// tried against every cached key; if none is cached yet it first asks for a refresh, as a token
// with an unknown kid would.
func (v *Verifier) keyfunc(ctx context.Context) jwt.Keyfunc {
	inner := v.kf.KeyfuncCtx(ctx)
	return func(t *jwt.Token) (any, error) {
		kid, hasKID := t.Header["kid"]
		if _, ok := kid.(string); hasKID && !ok {
			return nil, fmt.Errorf("%w: kid is not a string", jwkset.ErrKeyNotFound)
		}
		if !hasKID && !v.keys.cached(ctx) {
			_, _ = v.keys.KeyRead(ctx, refreshProbe) // only the refresh matters
		}
		return inner(t)
	}
}

func (v *Verifier) algAllowed(alg any) bool {
	s, ok := alg.(string)
	return ok && slices.Contains(algorithms, s)
}

func stringClaim(claims jwt.MapClaims, name string) string {
	s, _ := claims[name].(string)
	return s
}

// printable accepts a non-empty identifier of at most 256 printable characters.
func printable(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}
