package api

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/tiles"
)

// Config is what the HTTP server needs. main builds every part and passes it in; no handler reads
// a global.
type Config struct {
	Store  *store.Store
	Logger *slog.Logger
	// PublicURL is the externally visible base URL (e.g. https://gis.dongnai.gov.vn) used in
	// links; empty means "derive it from each request".
	PublicURL string
	// BasemapURL is an XYZ raster tile URL template ({z}/{x}/{y}) the web map shows under gisd's
	// own layers; empty (the default) means no outside basemap, so the map needs no internet.
	BasemapURL string
	// RateLimit is the default number of requests per minute per caller (an API key or a platform
	// token's client), and per client address for anonymous requests other than tiles; a key's own
	// limit overrides it; 0 disables these limits.
	RateLimit int
	// TileRateLimit is the requests per minute per client address for anonymous tiles and
	// TileJSON: public, shared data that a whole office behind one address loads a screen at a
	// time. 0 means ten times RateLimit; negative means no limit.
	TileRateLimit int
	// AuthFailureLimit is how many failed sign-ins a client address may make per minute (burst
	// 10) before its unproven credentials get 429 without being checked. 0 means
	// DefaultAuthFailureLimit; negative means no limit.
	AuthFailureLimit int
	// Limiter counts the budgets; nil means in this process's memory (NewMemoryLimiter).
	Limiter Limiter
	// TrustedProxies are the addresses or CIDR ranges of reverse proxies and load balancers whose
	// X-Forwarded-For gisd believes; empty means none: the client address is the connection's,
	// so no client can choose its own by sending the header. Rate limits count by this address.
	TrustedProxies []string
	// Tokens verifies bearer tokens of the province's integration platform (LGSP); nil means
	// they are refused (401).
	Tokens TokenVerifier
	// Tiles serves /tiles/...; nil means no tile routes.
	Tiles *tiles.Service
	// TileCacheControl is the Cache-Control header of tiles; empty means "no-cache" (keep, but
	// revalidate with the ETag).
	TileCacheControl string
	// Imports bounds POST /api/v1/layers/{layer}/imports (body size, concurrent jobs).
	Imports ImportConfig
}

// CheckTrustedProxies reports whether New accepts proxies as Config.TrustedProxies: IP
// addresses or CIDR ranges.
func CheckTrustedProxies(proxies []string) error { return gin.New().SetTrustedProxies(proxies) }

// Server is gisd's HTTP handler.
type Server struct {
	cfg         Config
	store       *store.Store
	log         *slog.Logger
	metrics     *metrics
	engine      *gin.Engine
	limiter     Limiter
	authGuard   *authGuard
	authMetrics *authMetrics
	keyUse      keyUse
	changes     *changeSignal
	imports     *importJobs
}

func init() { gin.SetMode(gin.ReleaseMode) }

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Limiter == nil {
		cfg.Limiter = NewMemoryLimiter()
	}
	s := &Server{cfg: cfg, store: cfg.Store, log: cfg.Logger, limiter: cfg.Limiter}
	failures := cfg.AuthFailureLimit
	if failures == 0 {
		failures = DefaultAuthFailureLimit
	}
	s.authGuard = newAuthGuard(cfg.Limiter, failures)
	if cfg.Store != nil {
		s.metrics = newMetrics(cfg.Store.PoolStats)
	} else {
		s.metrics = newMetrics(nil)
	}
	s.authMetrics = newAuthMetrics(s.metrics.reg)
	r := gin.New()
	// Gin believes X-Forwarded-For from everyone unless told otherwise, which would let any
	// client pick the address its rate limits are counted by.
	if err := r.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		panic(fmt.Sprintf("api: trusted proxies %v: %v", cfg.TrustedProxies, err)) // main checks them first
	}
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	r.RemoveExtraSlash = false
	r.ContextWithFallback = true
	r.Use(withRequestID(s.log), accessLog(s.metrics), recovery(), edge(), s.authenticate(), s.rateLimit())
	s.changes = newChangeSignal()
	if cfg.Store != nil {
		cfg.Store.Subscribe(s.changes)
	}
	s.imports = newImportJobs(cfg.Imports)
	if cfg.Tiles != nil {
		s.metrics.reg.MustRegister(tileCacheCollector{cfg.Tiles})
	}
	s.engine = r
	s.routes(r)
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }
