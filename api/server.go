package api

import (
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
	// RateLimit is the default number of requests per minute per API key (and per client IP for
	// anonymous callers); a key's own limit overrides it; 0 disables rate limiting.
	RateLimit int
	// Tiles serves /tiles/...; nil means no tile routes.
	Tiles *tiles.Service
	// TileCacheControl is the Cache-Control header of tiles; empty means "no-cache" (keep, but
	// revalidate with the ETag).
	TileCacheControl string
	// Imports bounds POST /api/v1/layers/{layer}/imports (body size, concurrent jobs).
	Imports ImportConfig
}

// Server is gisd's HTTP handler.
type Server struct {
	cfg     Config
	store   *store.Store
	log     *slog.Logger
	metrics *metrics
	engine  *gin.Engine
	limiter *rateLimiter
	keyUse  keyUse
	changes *changeSignal
	imports *importJobs
}

func init() { gin.SetMode(gin.ReleaseMode) }

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, store: cfg.Store, log: cfg.Logger, limiter: newRateLimiter(cfg.RateLimit)}
	if cfg.Store != nil {
		s.metrics = newMetrics(cfg.Store.PoolStats)
	} else {
		s.metrics = newMetrics(nil)
	}
	r := gin.New()
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
