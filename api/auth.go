package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/auth/lgsp"
	"github.com/dongnai-gis/gisd/store"
)

// Principal is who is calling: a gisd API key, a token of the province's integration platform
// (LGSP), or nobody (anonymous). Every surface — tiles, OGC API, /api/v1, imports, the change feed
// and the documents that describe them — asks it the same questions, so the rules cannot drift
// apart, and a token gets exactly the rules a key with the same scopes gets.
//
// Scopes are "LAYER:read", "LAYER:write", "LAYER:personal" (LAYER may be "*") and "admin".
// Anonymous callers read public layers without personal fields. A key reads public layers and
// the layers it has read or write scope on; restricted attributes need a read scope on the layer;
// personal attributes (owner names, ID and certificate numbers) need the personal scope, to be
// read and to be written. Admin manages keys, layers and imports; it does not by itself open
// personal data.
type Principal struct {
	// Key is the gisd key presented; nil for anonymous callers and platform tokens.
	Key *store.APIKey
	// caller names the caller for the audit log, history, rate limits and logs: "key:12",
	// "lgsp:so-xay-dung"; empty for anonymous callers.
	caller string
	// name is what the audit log shows beside the caller: the key's name; for a token, its caller.
	name string
	// rateLimit is the caller's own requests per minute, overriding the server's default.
	rateLimit *int
	// expires is when the credential stops being valid (a token's exp, a key's expiry); zero
	// for keys without an expiry. Long-lived answers (the change stream) stop then.
	expires time.Time
	admin   bool
	perm    map[string]map[string]bool // layer ("*" for all) -> action -> granted
}

// anonymous is the principal of a request without a key.
var anonymous = &Principal{}

func newPrincipal(k *store.APIKey) *Principal {
	p := scopePrincipal(k.Scopes)
	p.Key, p.caller, p.name, p.rateLimit = k, "key:"+strconv.FormatInt(k.ID, 10), k.Name, k.RateLimit
	if k.ExpiresAt != nil {
		p.expires = *k.ExpiresAt
	}
	return p
}

// tokenPrincipal is the caller a verified platform token speaks for, with the scopes its scope
// map grants.
func tokenPrincipal(id lgsp.Identity) *Principal {
	p := scopePrincipal(id.Scopes)
	p.caller, p.name, p.expires = id.Caller, id.Caller, id.Expires
	return p
}

func scopePrincipal(scopes []string) *Principal {
	p := &Principal{perm: map[string]map[string]bool{}}
	for _, sc := range scopes {
		if sc == "admin" {
			p.admin = true
			continue
		}
		layer, action, ok := strings.Cut(sc, ":")
		if !ok {
			continue
		}
		if p.perm[layer] == nil {
			p.perm[layer] = map[string]bool{}
		}
		p.perm[layer][action] = true
	}
	return p
}

// ValidScope reports whether s is a scope a key may hold.
func ValidScope(s string) bool {
	if s == "admin" {
		return true
	}
	layer, action, ok := strings.Cut(s, ":")
	if !ok || (action != "read" && action != "write" && action != "personal") {
		return false
	}
	if layer == "*" {
		return true
	}
	if layer == "" || len(layer) > 63 || !(layer[0] >= 'a' && layer[0] <= 'z') {
		return false
	}
	for _, r := range layer {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func (p *Principal) has(layer, action string) bool {
	return p.perm[layer][action] || p.perm["*"][action]
}

// Anonymous reports whether no credential was presented.
func (p *Principal) Anonymous() bool { return p.caller == "" }

// Caller names the caller ("key:12", "lgsp:so-xay-dung"); "anonymous" for anonymous callers.
// History, imports, the audit log, rate limits and logs all use this one name.
func (p *Principal) Caller() string {
	if p.caller == "" {
		return "anonymous"
	}
	return p.caller
}

// Name is the key's name, or a token's caller; empty for anonymous callers.
func (p *Principal) Name() string { return p.name }

// MayGrant reports whether the caller may give scope to a key it creates: only what it holds
// itself. Admin may grant admin; LAYER:read needs the right to read the layer (a read or write
// scope on it, or admin, which reads every layer); LAYER:write and LAYER:personal need that scope
// on the layer or on "*". So an admin key without personal data cannot mint a key that has it.
func (p *Principal) MayGrant(scope string) bool {
	if scope == "admin" {
		return p.admin
	}
	layer, action, ok := strings.Cut(scope, ":")
	if !ok {
		return false
	}
	if action == "read" {
		return p.admin || p.has(layer, "read") || p.has(layer, "write")
	}
	return p.has(layer, action)
}

// Admin reports whether the key may manage keys, layers and imports.
func (p *Principal) Admin() bool { return p.admin }

// CanRead reports whether the caller may read features of l.
func (p *Principal) CanRead(l *store.Layer) bool {
	return l.Access == "public" || p.admin || p.has(l.ID, "read") || p.has(l.ID, "write")
}

// CanWrite reports whether the caller may create, change and delete features of l (and import
// into it).
func (p *Principal) CanWrite(l *store.Layer) bool { return p.has(l.ID, "write") }

// CanSeePersonal reports whether the caller may read l's personal attributes.
func (p *Principal) CanSeePersonal(l *store.Layer) bool {
	return p.CanRead(l) && p.has(l.ID, "personal")
}

// Attributes lists the attributes of l the caller may see, in catalog order.
func (p *Principal) Attributes(l *store.Layer) []store.Attribute {
	out := make([]store.Attribute, 0, len(l.Attributes))
	for _, a := range l.Attributes {
		if p.MaySee(l, a) {
			out = append(out, a)
		}
	}
	return out
}

// MaySee reports whether the caller may see attribute a of l.
func (p *Principal) MaySee(l *store.Layer, a store.Attribute) bool {
	switch a.Visibility {
	case store.VisibilityPublic:
		return p.CanRead(l)
	case store.VisibilityRestricted:
		return !p.Anonymous() && (p.has(l.ID, "read") || p.has(l.ID, "write") || p.admin)
	case store.VisibilityPersonal:
		return p.CanSeePersonal(l)
	}
	return false
}

// ReadableLayers lists the catalog's layers the caller may read.
func (p *Principal) ReadableLayers(c *store.Catalog) []*store.Layer {
	var out []*store.Layer
	for _, l := range c.Layers() {
		if p.CanRead(l) {
			out = append(out, l)
		}
	}
	return out
}

const ctxPrincipal = "gisd.principal"

// principal returns the request's caller; anonymous when no key was presented.
func principal(c *gin.Context) *Principal {
	if v, ok := c.Get(ctxPrincipal); ok {
		return v.(*Principal)
	}
	return anonymous
}

// maxCredentialBytes bounds a presented credential: a gisd key is under 100 bytes and a platform
// token at most lgsp.MaxTokenBytes; anything longer is refused before any work.
const maxCredentialBytes = lgsp.MaxTokenBytes

// presentedKey reads the caller's credential from "Authorization: Bearer <key or token>",
// "Authorization: Basic base64(user:key)" (any user name: the key is the password, as GeoServer
// and ArcGIS services take it, so desktop GIS can send it with its stock "Basic" sign-in) or
// "X-API-Key: <key>". presented is true as soon as one of those headers is there at all: a header
// that is present but empty, repeated, of another scheme or not decodable is an error (401),
// never a reason to serve the caller as anonymous — a client whose key got lost on the way must
// learn it, not quietly see less data.
func presentedKey(r *http.Request) (cred string, presented bool, err error) {
	auth, apiKey := r.Header.Values("Authorization"), r.Header.Values("X-API-Key")
	switch {
	case len(auth) == 0 && len(apiKey) == 0:
		return "", false, nil
	case len(auth)+len(apiKey) > 1:
		return "", true, errors.New("send one credential: one Authorization or one X-API-Key header")
	case len(apiKey) == 1:
		cred = strings.TrimSpace(apiKey[0])
		if cred == "" {
			return "", true, errors.New("the X-API-Key header is empty")
		}
	default:
		scheme, rest, _ := strings.Cut(strings.TrimSpace(auth[0]), " ")
		rest = strings.TrimSpace(rest)
		switch {
		case strings.EqualFold(scheme, "Bearer"):
			cred = rest
		case strings.EqualFold(scheme, "Basic"):
			if cred, err = basicPassword(rest); err != nil {
				return "", true, err
			}
		default:
			return "", true, errors.New(`the Authorization header must be "Bearer <key>" or "Basic" with the key as the password`)
		}
		if cred == "" {
			return "", true, errors.New("the Authorization header carries no key")
		}
	}
	if len(cred) > maxCredentialBytes || strings.ContainsFunc(cred, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return "", true, errors.New("the key is malformed")
	}
	return cred, true, nil
}

// basicPassword reads the password of HTTP Basic credentials (RFC 7617); the user name is not
// looked at.
func basicPassword(b64 string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil || !utf8.Valid(raw) {
		return "", errors.New("the Basic credentials are not base64 of user:key")
	}
	_, password, ok := strings.Cut(string(raw), ":")
	if !ok || password == "" {
		return "", errors.New("the Basic credentials carry no password: send the API key as the password (any user name)")
	}
	return password, nil
}

// ctxBasic marks a request that presented Basic credentials: its 401 also challenges for Basic,
// so a client that signs in that way is asked again that way. Other clients (the web map among
// them) are challenged for Bearer only, so no browser pops up a password dialog.
const ctxBasic = "gisd.basic"

// authenticate resolves the caller. A presented credential that is malformed, unknown, revoked,
// expired or (for a platform token) not accepted is refused with 401 — never silently downgraded
// to anonymous, so a client with a broken key learns it at once instead of seeing less data.
//
// Every refusal spends one of the client address's failed-authentication budget; an address that
// has spent it gets 429 for any credential gisd has not seen succeed, without the credential
// being checked, so keys cannot be guessed at line rate and a 429 says nothing about the guess.
// Credentials that have succeeded before keep working from that address.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		cred, presented, err := presentedKey(c.Request)
		if !presented {
			c.Next()
			return
		}
		if h := c.GetHeader("Authorization"); len(h) > 5 && strings.EqualFold(h[:5], "basic") {
			c.Set(ctxBasic, true)
		}
		ctx := c.Request.Context()
		addr := c.ClientIP()
		if blocked, wait := s.authGuard.blocked(ctx, addr); blocked && (err != nil || !s.authGuard.succeeded(cred)) {
			s.authMetrics.result("blocked", cred)
			s.rateLimited(c, "auth-failures", wait, "too many failed sign-ins from this address")
			return
		}
		if err != nil {
			s.refuse(c, addr, cred, errorf(errUnauthorized, "%s", err.Error()))
			return
		}
		p, err := s.verify(ctx, cred)
		if err != nil {
			if statusOf(c, err) == http.StatusUnauthorized {
				s.refuse(c, addr, cred, err)
			} else {
				s.authMetrics.result("error", cred)
				fail(c, err)
			}
			return
		}
		s.authGuard.remember(cred)
		s.authMetrics.result("ok", cred)
		c.Set(ctxPrincipal, p)
		if p.Key != nil {
			s.keyUse.note(p.Key.ID)
		}
		c.Next()
	}
}

// verify checks a credential: a platform token when it has a JWT's shape, else a gisd key.
func (s *Server) verify(ctx context.Context, cred string) (*Principal, error) {
	if lgsp.LooksLikeJWT(cred) {
		if s.cfg.Tokens == nil {
			return nil, errorf(errUnauthorized, "tokens of the integration platform are not accepted by this server")
		}
		id, err := s.cfg.Tokens.Verify(ctx, cred)
		if err != nil {
			// The refusal is one of lgsp's sentinels, which the error table answers (401, or 503
			// when the issuer's keys cannot be had); its client message is lgsp's short reason.
			return nil, &clientError{kind: err, msg: lgsp.ClientMessage(err)}
		}
		return tokenPrincipal(id), nil
	}
	k, err := s.store.Authenticate(ctx, cred, time.Now())
	if errors.Is(err, store.ErrBadKey) {
		return nil, errorf(errUnauthorized, "the API key is not valid (unknown, revoked or expired)")
	}
	if err != nil {
		return nil, err
	}
	return newPrincipal(&k), nil
}

// refuse answers a failed authentication: 401, counted against the address's budget (429 once
// it is spent).
func (s *Server) refuse(c *gin.Context, addr, cred string, err error) {
	if ok, wait := s.authGuard.failed(c.Request.Context(), addr); !ok {
		s.authMetrics.result("blocked", cred)
		s.rateLimited(c, "auth-failures", wait, "too many failed sign-ins from this address")
		return
	}
	s.authMetrics.result("refused", cred)
	fail(c, err)
}

// stillValid reports whether p's credential is still good: a token before its expiry, a key
// neither revoked nor expired. Answers that outlive their request's authentication (the change
// stream) ask it as they go, and stop when it is not.
func (s *Server) stillValid(ctx context.Context, p *Principal) (bool, error) {
	now := time.Now()
	if !p.expires.IsZero() && !now.Before(p.expires) {
		return false, nil
	}
	if p.Key == nil {
		return true, nil
	}
	return s.store.KeyActive(ctx, p.Key.ID, now)
}

// TokenVerifier checks bearer tokens of the province's integration platform; *lgsp.Verifier is
// one. Its refusals wrap lgsp's sentinels.
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (lgsp.Identity, error)
}

func unauthorized(c *gin.Context, detail string) { fail(c, errorf(errUnauthorized, "%s", detail)) }

// deny answers 401 to an anonymous caller (a key would help) and 403 to a key lacking the scope.
func deny(c *gin.Context, p *Principal, what string) {
	if p.Anonymous() {
		unauthorized(c, what+" needs an API key")
		return
	}
	fail(c, errorf(errForbidden, "this API key may not %s", what))
}

// withSecuritySchemes adds to the OpenAPI components the three ways a credential is sent.
func withSecuritySchemes(components obj) obj {
	components["securitySchemes"] = obj{
		"bearer": obj{"type": "http", "scheme": "bearer",
			"description": "A gisd API key, or a token of the province's integration platform (LGSP)."},
		"basic": obj{"type": "http", "scheme": "basic",
			"description": "The key (or token) as the password, any user name: desktop GIS's stock sign-in."},
		"apiKey": obj{"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "A gisd API key."},
	}
	return components
}

// varyAuth names the request headers that carry a credential. (The OGC services' authkey query
// parameter cannot be named in Vary; it is part of the URL, which every cache keys by anyway.)
const varyAuth = "Authorization, X-API-Key"

// keyDependent marks the answer of a route whose content depends on who asks (which layers,
// which attributes, which operations the OpenAPI document lists): Cache-Control: no-store and
// Vary on the credential headers. no-store, not private or no-cache: QGIS 3.22's disk cache
// ignores which key a request carried and Vary, and handed owner names fetched with a key to the
// next anonymous layer (and an anonymous answer to a later keyed layer); only no-store kept
// answers apart. Handlers whose content is the same for everyone who may have it (public
// tiles) set their own caching instead.
func keyDependent(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", varyAuth)
	c.Next()
}

// requireAdmin lets only admin keys through.
func requireAdmin(c *gin.Context) {
	if p := principal(c); !p.Admin() {
		deny(c, p, "manage keys, layers, imports or read the audit log (admin scope)")
		return
	}
	c.Next()
}

// lookupReadable returns the layer id names if the caller may read it. A layer the caller may
// not read answers exactly like one that does not exist, so keys learn nothing about layers
// outside their scope.
func lookupReadable(c *gin.Context, cat *store.Catalog, id string) (*store.Layer, bool) {
	l, ok := cat.Layer(id)
	if !ok || !principal(c).CanRead(l) {
		fail(c, notFound("no layer called %s", quoteForMessage(id)))
		return nil, false
	}
	return l, true
}

// keyUse batches last-used times: a busy key should not write a row per request.
type keyUse struct {
	mu  sync.Mutex
	ids map[int64]struct{}
}

func (u *keyUse) note(id int64) {
	u.mu.Lock()
	if u.ids == nil {
		u.ids = map[int64]struct{}{}
	}
	u.ids[id] = struct{}{}
	u.mu.Unlock()
}

func (u *keyUse) drain() []int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	ids := make([]int64, 0, len(u.ids))
	for id := range u.ids {
		ids = append(ids, id)
	}
	u.ids = nil
	slices.Sort(ids)
	return ids
}

// Background does the server's periodic work until ctx ends: it records when keys were last
// used. main runs it beside the HTTP server.
func (s *Server) Background(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	flush := func(ctx context.Context) {
		if err := s.store.TouchKeys(ctx, s.keyUse.drain(), time.Now()); err != nil {
			s.log.Warn("recording key use", "err", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			flush(context.WithoutCancel(ctx))
			return
		case <-t.C:
			flush(ctx)
		}
	}
}
