package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/store"
)

// Principal is who is calling: an API key with its scopes, or nobody (anonymous). Every surface —
// tiles, OGC API, /api/v1, imports, the change feed and the documents that describe them — asks
// it the same questions, so the rules cannot drift apart.
//
// Scopes are "LAYER:read", "LAYER:write", "LAYER:personal" (LAYER may be "*") and "admin".
// Anonymous callers read public layers without personal fields. A key reads public layers and
// the layers it has read or write scope on; restricted attributes need a read scope on the layer;
// personal attributes (owner names, ID and certificate numbers) need the personal scope. Admin
// manages keys, layers and imports; it does not by itself open personal data.
type Principal struct {
	Key   *store.APIKey
	admin bool
	perm  map[string]map[string]bool // layer ("*" for all) -> action -> granted
}

// anonymous is the principal of a request without a key.
var anonymous = &Principal{}

func newPrincipal(k *store.APIKey) *Principal {
	p := &Principal{Key: k, perm: map[string]map[string]bool{}}
	for _, sc := range k.Scopes {
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

// Anonymous reports whether no key was presented.
func (p *Principal) Anonymous() bool { return p.Key == nil }

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

// presentedKey reads the key from "Authorization: Bearer <key>" or "X-API-Key: <key>".
func presentedKey(r *http.Request) (string, bool, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return "", true, errors.New(`the Authorization header must be "Bearer <key>"`)
		}
		return strings.TrimSpace(token), true, nil
	}
	if k := r.Header.Get("X-API-Key"); k != "" {
		return strings.TrimSpace(k), true, nil
	}
	return "", false, nil
}

// authenticate resolves the caller. A presented key that is malformed, unknown, revoked or
// expired is refused with 401 — never silently downgraded to anonymous, so a client with a
// broken key learns it at once instead of seeing less data.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		token, presented, err := presentedKey(c.Request)
		if !presented {
			c.Next()
			return
		}
		if err != nil {
			unauthorized(c, err.Error())
			return
		}
		k, err := s.store.Authenticate(c.Request.Context(), token, time.Now())
		if errors.Is(err, store.ErrBadKey) {
			unauthorized(c, "the API key is not valid (unknown, revoked or expired)")
			return
		}
		if err != nil {
			fail(c, err)
			return
		}
		c.Set(ctxPrincipal, newPrincipal(&k))
		s.keyUse.note(k.ID)
		c.Next()
	}
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

// rateLimiter is a token bucket per caller (key id, or client IP for anonymous callers).
type rateLimiter struct {
	perMinute int // default rate; a key's own rate_limit overrides it; 0 disables limiting
	mu        sync.Mutex
	buckets   map[string]*bucket
	now       func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
	rate   float64 // tokens per second
	burst  float64
}

func newRateLimiter(perMinute int) *rateLimiter {
	return &rateLimiter{perMinute: perMinute, buckets: map[string]*bucket{}, now: time.Now}
}

// take spends one token of caller's bucket; when none is left it says how long to wait.
func (r *rateLimiter) take(caller string, perMinute int) (ok bool, retryAfter time.Duration) {
	if perMinute <= 0 {
		return true, 0
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.buckets[caller]
	rate := float64(perMinute) / 60
	if b == nil || b.rate != rate {
		// A burst of a tenth of the minute's allowance (at least 10) absorbs a map loading its
		// first screen of tiles.
		burst := math.Max(10, float64(perMinute)/10)
		b = &bucket{tokens: burst, last: now, rate: rate, burst: burst}
		r.buckets[caller] = b
		if len(r.buckets) > 100_000 {
			r.evict(now)
		}
	}
	b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// evict forgets full buckets, which behave exactly like new ones.
func (r *rateLimiter) evict(now time.Time) {
	for k, b := range r.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*b.rate >= b.burst {
			delete(r.buckets, k)
		}
	}
}

func (s *Server) rateLimit() gin.HandlerFunc {
	return func(c *gin.Context) {
		p := principal(c)
		caller, limit := "ip:"+c.ClientIP(), s.limiter.perMinute
		if !p.Anonymous() {
			caller = "key:" + strconv.FormatInt(p.Key.ID, 10)
			if p.Key.RateLimit != nil {
				limit = *p.Key.RateLimit
			}
		}
		if limit <= 0 || s.limiter.perMinute <= 0 && p.Anonymous() {
			c.Next()
			return
		}
		if ok, wait := s.limiter.take(caller, limit); !ok {
			secs := max(int(math.Ceil(wait.Seconds())), 1)
			e := errorf(errRateLimited, "rate limit of %d requests per minute exceeded; retry after %d s", limit, secs)
			e.retryAfter = secs
			fail(c, e)
			return
		}
		c.Next()
	}
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
