package api

import (
	"context"
	"crypto/sha256"
	"math"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dongnai-gis/gisd/auth/lgsp"
)

// This file is rate limiting. Limits are per caller: a key, or a platform token's caller
// (lgsp:<client_id>), gets its own budget wherever it calls from, so an office behind one NAT
// address is not throttled as one. Only anonymous requests are counted per client address: public
// tiles under a separate, generous policy (a map screen is dozens of tiles, and a whole office may
// share the address), everything else under the default one. Failed sign-ins have their own,
// strict budget per address (authGuard).
//
// The counting is behind Limiter, so that several gisd nodes can later share budgets through the
// database without anything else changing.

// RatePolicy is a budget: PerMinute requests a minute on average, Burst at once.
type RatePolicy struct {
	PerMinute int
	Burst     int
}

// policy is the budget of perMinute with the default burst: a tenth of the minute's allowance, at
// least 10, which absorbs a map loading its first screen of tiles.
func policy(perMinute int) RatePolicy {
	return RatePolicy{PerMinute: perMinute, Burst: max(10, perMinute/10)}
}

// Limiter counts requests against budgets, one per key string. Take spends one request and, when
// none is left, says how long until one is; Blocked says the same without spending. The in-memory
// limiter (NewMemoryLimiter) serves one node; one backed by the database would let nodes share
// budgets.
type Limiter interface {
	Take(ctx context.Context, key string, p RatePolicy) (ok bool, retryAfter time.Duration)
	Blocked(ctx context.Context, key string, p RatePolicy) (blocked bool, retryAfter time.Duration)
}

// Defaults of the budgets main does not set.
const (
	// DefaultAuthFailureLimit is how many failed sign-ins a client address may make a minute
	// (with a burst of 10): enough for a person mistyping a key, far too few to guess one.
	DefaultAuthFailureLimit = 30
	// tileRateFactor makes the anonymous tile budget, unless configured, ten times the default.
	tileRateFactor = 10
)

// NewMemoryLimiter is a Limiter of token buckets in this process's memory.
func NewMemoryLimiter() Limiter {
	return &memoryLimiter{buckets: map[string]*bucket{}, now: time.Now}
}

type memoryLimiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
	rate   float64 // tokens per second
	burst  float64
}

func (r *memoryLimiter) Take(_ context.Context, key string, p RatePolicy) (bool, time.Duration) {
	return r.spend(key, p, true)
}

func (r *memoryLimiter) Blocked(_ context.Context, key string, p RatePolicy) (bool, time.Duration) {
	ok, wait := r.spend(key, p, false)
	return !ok, wait
}

// spend refills key's bucket and, if take, spends one token of it; ok says whether there was one.
func (r *memoryLimiter) spend(key string, p RatePolicy, take bool) (ok bool, retryAfter time.Duration) {
	if p.PerMinute <= 0 {
		return true, 0
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.buckets[key]
	rate, burst := float64(p.PerMinute)/60, float64(max(p.Burst, 1))
	if b == nil || b.rate != rate || b.burst != burst {
		b = &bucket{tokens: burst, last: now, rate: rate, burst: burst}
		r.buckets[key] = b
		if len(r.buckets) > 100_000 {
			r.evict(now)
		}
	}
	b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens >= 1 {
		if take {
			b.tokens--
		}
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// evict forgets full buckets, which behave exactly like new ones.
func (r *memoryLimiter) evict(now time.Time) {
	for k, b := range r.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*b.rate >= b.burst {
			delete(r.buckets, k)
		}
	}
}

// rateLimit spends one request of the caller's budget: per key or token caller (a key's own
// rate_limit overrides the default), else per client address — under the anonymous tile policy
// for tiles and TileJSON, under the default one for the rest.
func (s *Server) rateLimit() gin.HandlerFunc {
	return func(c *gin.Context) {
		p := principal(c)
		name, bucket, limit := "caller", "caller:"+p.Caller(), s.cfg.RateLimit
		switch {
		case !p.Anonymous():
			if p.rateLimit != nil {
				limit = *p.rateLimit
			}
		case c.FullPath() == tileRoutePath:
			name, bucket, limit = "anonymous-tiles", "tiles:"+c.ClientIP(), s.tileRateLimit()
		default:
			name, bucket = "anonymous", "ip:"+c.ClientIP()
		}
		if limit <= 0 {
			c.Next()
			return
		}
		if ok, wait := s.limiter.Take(c.Request.Context(), bucket, policy(limit)); !ok {
			s.rateLimited(c, name, wait, "rate limit of "+itoa(limit)+" requests per minute exceeded")
			return
		}
		c.Next()
	}
}

// tileRoutePath is the route of tiles and TileJSON.
const tileRoutePath = "/tiles/*path"

func (s *Server) tileRateLimit() int {
	switch {
	case s.cfg.TileRateLimit > 0:
		return s.cfg.TileRateLimit
	case s.cfg.TileRateLimit < 0:
		return 0
	}
	return s.cfg.RateLimit * tileRateFactor
}

// rateLimited answers 429 with Retry-After, and counts it under the policy's name.
func (s *Server) rateLimited(c *gin.Context, policyName string, wait time.Duration, what string) {
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	s.authMetrics.limited.WithLabelValues(policyName).Inc()
	e := errorf(errRateLimited, "%s; retry after %d s", what, secs)
	e.retryAfter = secs
	fail(c, e)
}

// authGuard limits failed sign-ins per client address and remembers which credentials have
// succeeded, so that an address that spent its budget keeps working for keys already in use
// there while every other credential gets 429 unchecked.
type authGuard struct {
	limiter Limiter
	policy  RatePolicy // PerMinute 0: no limit
	mu      sync.Mutex
	good    map[[32]byte]time.Time // SHA-256 of credentials that succeeded -> when last
	now     func() time.Time
}

// goodFor is how long a credential that succeeded counts as known; maxGood bounds the memory.
const (
	goodFor = 24 * time.Hour
	maxGood = 50_000
)

func newAuthGuard(l Limiter, perMinute int) *authGuard {
	g := &authGuard{limiter: l, good: map[[32]byte]time.Time{}, now: time.Now}
	if perMinute > 0 {
		g.policy = RatePolicy{PerMinute: perMinute, Burst: 10}
	}
	return g
}

func (g *authGuard) blocked(ctx context.Context, addr string) (bool, time.Duration) {
	if g.policy.PerMinute <= 0 {
		return false, 0
	}
	return g.limiter.Blocked(ctx, "auth-failures:"+addr, g.policy)
}

// failed spends one failure of addr's budget; false when there was none left.
func (g *authGuard) failed(ctx context.Context, addr string) (bool, time.Duration) {
	if g.policy.PerMinute <= 0 {
		return true, 0
	}
	return g.limiter.Take(ctx, "auth-failures:"+addr, g.policy)
}

func (g *authGuard) remember(cred string) {
	h := sha256.Sum256([]byte(cred))
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.good[h]; !ok && len(g.good) >= maxGood {
		for k, at := range g.good {
			if now.Sub(at) > goodFor || len(g.good) >= maxGood {
				delete(g.good, k)
			}
		}
	}
	g.good[h] = now
}

// succeeded reports whether cred has authenticated recently. It is only a pass to be checked
// again: the credential still goes through the whole verification (a revoked key is refused).
func (g *authGuard) succeeded(cred string) bool {
	h := sha256.Sum256([]byte(cred))
	g.mu.Lock()
	defer g.mu.Unlock()
	at, ok := g.good[h]
	return ok && g.now().Sub(at) <= goodFor
}

// authMetrics counts sign-ins by credential kind and result, and rate-limited requests by
// policy. Callers are not labels (keys and platform clients are unbounded); the access log names
// the caller of every request.
type authMetrics struct {
	auth    *prometheus.CounterVec
	limited *prometheus.CounterVec
}

func newAuthMetrics(reg prometheus.Registerer) *authMetrics {
	m := &authMetrics{
		auth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gisd_auth_total",
			Help: "Requests that presented a credential, by kind (key, lgsp token) and result (ok, refused, blocked: 429 after too many failures, error: the check could not be made).",
		}, []string{"credential", "result"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gisd_rate_limited_total",
			Help: "Requests refused with 429, by policy (caller, anonymous, anonymous-tiles, auth-failures).",
		}, []string{"policy"}),
	}
	reg.MustRegister(m.auth, m.limited)
	return m
}

func (m *authMetrics) result(result, cred string) {
	kind := "key"
	if lgsp.LooksLikeJWT(cred) {
		kind = "lgsp"
	}
	m.auth.WithLabelValues(kind, result).Inc()
}
