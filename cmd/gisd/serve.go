package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dongnai-gis/gisd/api"
	"github.com/dongnai-gis/gisd/auth/lgsp"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/tiles"
)

type serveConfig struct {
	DB               dbSettings
	Addr             string
	PublicURL        string
	BasemapURL       string
	Migrate          bool
	TileCacheBytes   int
	TileCacheControl string
	TileTimeout      time.Duration
	StatementTimeout time.Duration
	ShutdownTimeout  time.Duration
	ReadTimeout      time.Duration
	WriteTimeout     time.Duration
	RateLimit        int
	TileRateLimit    int
	AuthFailureLimit int
	TrustedProxies   string
	LGSP             lgspSettings
	MaxImportBytes   int
	ImportJobs       int
	LogLevel         string
	LogFormat        string
}

func (c *serveConfig) register(s *settings) {
	c.DB.register(s)
	s.String(&c.Addr, "addr", "GISD_ADDR", ":8080", "HTTP listen address")
	s.String(&c.PublicURL, "public-url", "GISD_PUBLIC_URL", "", "external base URL used in links (default: from each request)")
	s.String(&c.BasemapURL, "basemap-url", "GISD_BASEMAP_URL", "", "XYZ raster tile URL template ({z}/{x}/{y}) shown under the web map (default: none, the map needs no internet)")
	s.Int(&c.TileCacheBytes, "tile-cache-bytes", "GISD_TILE_CACHE_BYTES", 256<<20, "memory for cached vector tiles, in bytes (0 disables the cache)")
	s.String(&c.TileCacheControl, "tile-cache-control", "GISD_TILE_CACHE_CONTROL", "no-cache", "Cache-Control header of vector tiles (no-cache: clients revalidate with the ETag)")
	s.Duration(&c.TileTimeout, "tile-timeout", "GISD_TILE_TIMEOUT", 10*time.Second, "longest a tile query may run before it is cancelled (503)")
	s.Bool(&c.Migrate, "migrate", "GISD_MIGRATE", false, "apply pending migrations at start instead of refusing to start")
	s.Duration(&c.StatementTimeout, "statement-timeout", "GISD_STATEMENT_TIMEOUT", 30*time.Second, "longest a single SQL statement may run")
	s.Duration(&c.ShutdownTimeout, "shutdown-timeout", "GISD_SHUTDOWN_TIMEOUT", 20*time.Second, "how long in-flight requests may finish after SIGTERM")
	s.Duration(&c.ReadTimeout, "read-timeout", "GISD_READ_TIMEOUT", 5*time.Minute, "longest time to read a request, body included (imports are large)")
	s.Duration(&c.WriteTimeout, "write-timeout", "GISD_WRITE_TIMEOUT", 5*time.Minute, "longest time to write a response")
	s.Int(&c.RateLimit, "rate-limit", "GISD_RATE_LIMIT", 6000, "requests per minute per API key or platform client, and per client address for anonymous requests other than tiles; 0 disables")
	s.Int(&c.TileRateLimit, "tile-rate-limit", "GISD_TILE_RATE_LIMIT", 60000, "requests per minute per client address for anonymous tiles and TileJSON (a whole office may share one address); 0 disables")
	s.Int(&c.AuthFailureLimit, "auth-failure-limit", "GISD_AUTH_FAILURE_LIMIT", api.DefaultAuthFailureLimit, "failed sign-ins per minute per client address (burst 10) before unproven credentials get 429; 0 disables")
	s.String(&c.TrustedProxies, "trusted-proxies", "GISD_TRUSTED_PROXIES", "", "comma-separated addresses or CIDR ranges of the load balancers and reverse proxies whose X-Forwarded-For is believed (default: none, the client address is the connection's)")
	c.LGSP.register(s)
	s.Int(&c.MaxImportBytes, "max-import-bytes", "GISD_MAX_IMPORT_BYTES", 2<<30, "largest import upload in bytes, counted after gzip decompression (413 beyond)")
	s.Int(&c.ImportJobs, "import-jobs", "GISD_IMPORT_JOBS", 2, "imports that may run at once (503 beyond)")
	s.String(&c.LogLevel, "log-level", "GISD_LOG_LEVEL", "info", "debug, info, warn or error")
	s.String(&c.LogFormat, "log-format", "GISD_LOG_FORMAT", "text", "text or json")
}

func (c *serveConfig) validate() error {
	if err := c.DB.validate(); err != nil {
		return err
	}
	for name, n := range map[string]int{"--rate-limit": c.RateLimit, "--tile-rate-limit": c.TileRateLimit, "--auth-failure-limit": c.AuthFailureLimit} {
		if n < 0 {
			return usagef("%s %d: want 0 (off) or a positive number of requests per minute", name, n)
		}
	}
	if err := api.CheckTrustedProxies(c.trustedProxies()); err != nil {
		return usagef("--trusted-proxies %q: want IP addresses or CIDR ranges, comma-separated (%v)", c.TrustedProxies, err)
	}
	if err := c.LGSP.validate(); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return usagef("--addr %q: want host:port or :port", c.Addr)
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return usagef("--public-url %q: want an http:// or https:// URL", c.PublicURL)
	}
	if c.BasemapURL != "" && (!strings.HasPrefix(c.BasemapURL, "http://") && !strings.HasPrefix(c.BasemapURL, "https://") ||
		!strings.Contains(c.BasemapURL, "{z}") || !strings.Contains(c.BasemapURL, "{x}") || !strings.Contains(c.BasemapURL, "{y}")) {
		return usagef("--basemap-url %q: want an http(s) URL template with {z}, {x} and {y}", c.BasemapURL)
	}
	if c.MaxImportBytes < 1 {
		return usagef("--max-import-bytes %d: want a positive number of bytes", c.MaxImportBytes)
	}
	if c.ImportJobs < 1 || c.ImportJobs > 64 {
		return usagef("--import-jobs %d: want 1..64", c.ImportJobs)
	}
	if c.TileCacheBytes < 0 {
		return usagef("--tile-cache-bytes %d: want 0 (no cache) or more", c.TileCacheBytes)
	}
	for name, d := range map[string]time.Duration{"--statement-timeout": c.StatementTimeout, "--tile-timeout": c.TileTimeout,
		"--shutdown-timeout": c.ShutdownTimeout, "--read-timeout": c.ReadTimeout, "--write-timeout": c.WriteTimeout} {
		if d <= 0 {
			return usagef("%s %v: want a positive duration", name, d)
		}
	}
	return nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s := newSettings("serve", "Serves the HTTP API, vector tiles, OGC API – Features and the web map.")
	s.fs.SetOutput(stderr)
	var cfg serveConfig
	cfg.register(s)
	if err := s.parse(args); err != nil {
		return asUsage(err)
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	log, err := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	log.Info("starting gisd", "addr", cfg.Addr, "database", maskURL(cfg.DB.URL), "db_max_conns", cfg.DB.MaxConns,
		"statement_timeout", cfg.StatementTimeout, "migrate", cfg.Migrate, "public_url", cfg.PublicURL)

	if err := ensureSchema(cfg.DB.URL, cfg.Migrate, log.Info); err != nil {
		return err
	}
	st, err := cfg.DB.open(ctx, cfg.StatementTimeout, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.LoadCatalog(ctx); err != nil {
		return err
	}

	tileSvc := tiles.New(st, tiles.Options{CacheBytes: int64(cfg.TileCacheBytes), Timeout: cfg.TileTimeout, Logger: log})
	st.Subscribe(tileSvc)
	log.Info("tiles", "cache_bytes", cfg.TileCacheBytes, "cache_control", cfg.TileCacheControl, "timeout", cfg.TileTimeout)

	listenCtx, stopListening := context.WithCancel(context.WithoutCancel(ctx))
	defer stopListening()
	listening := make(chan struct{})
	go func() { _ = st.Listen(listenCtx, listening) }()
	go st.WatchImports(listenCtx, time.Minute) // imports whose instance died are failed, by any instance

	tokens, err := cfg.LGSP.verifier(listenCtx, log)
	if err != nil {
		return err
	}
	log.Info("limits", "rate_limit", cfg.RateLimit, "tile_rate_limit", cfg.TileRateLimit, "auth_failure_limit", cfg.AuthFailureLimit,
		"trusted_proxies", cfg.TrustedProxies)
	handler := api.New(api.Config{Store: st, Logger: log, PublicURL: cfg.PublicURL, BasemapURL: cfg.BasemapURL,
		RateLimit: cfg.RateLimit, TileRateLimit: offIfZero(cfg.TileRateLimit), AuthFailureLimit: offIfZero(cfg.AuthFailureLimit),
		TrustedProxies: cfg.trustedProxies(), Tokens: tokens,
		Tiles: tileSvc, TileCacheControl: cfg.TileCacheControl,
		Imports: api.ImportConfig{MaxBytes: int64(cfg.MaxImportBytes), Jobs: cfg.ImportJobs}})
	go handler.Background(listenCtx)
	srv := newHTTPServer(cfg, handler)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	log.Info("serving", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down; letting in-flight requests finish", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	// Imports still validating or writing roll back: nothing half-done is left behind.
	handler.StopImports(shutdownCtx)
	log.Info("stopped")
	return nil
}

// offIfZero turns the command line's "0 disables" into api.Config's "negative disables" (where 0
// means the default).
func offIfZero(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

func (c *serveConfig) trustedProxies() []string {
	var out []string
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// newHTTPServer is the HTTP server of serve. Its MaxHeaderBytes is twice the head gisd reads
// (api.MaxHeaderBytes): a head between the two reaches gisd, which answers 431 with a problem,
// instead of net/http's own plain-text 431; only a head beyond twice the limit gets that one.
func newHTTPServer(cfg serveConfig, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              cfg.Addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    2 * api.MaxHeaderBytes,
	}
}

// ensureSchema refuses to run on a schema other than the binary's, or migrates it when allowed.
func ensureSchema(url string, migrate bool, info func(string, ...any)) error {
	m, err := store.NewMigrator(url)
	if err != nil {
		return err
	}
	defer m.Close()
	st, err := m.Status()
	if err != nil {
		return err
	}
	if st.Current() {
		return nil
	}
	if !migrate {
		if st.Dirty {
			return fmt.Errorf("the schema is dirty at version %d (a migration failed half-way); fix it, then run gisd migrate", st.Version)
		}
		return fmt.Errorf("%w: the database is at version %d, this gisd needs %d; run 'gisd migrate up' or start with --migrate",
			store.ErrOutdated, st.Version, st.Latest)
	}
	info("migrating the schema", "from", st.Version, "to", st.Latest)
	return m.Up()
}

// asUsage marks flag-parsing errors as usage errors (exit 2) and lets --help through.
func asUsage(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{err}
}

// lgspSettings turn on tokens of the province's integration platform (auth/lgsp): all four are
// needed together, and none without the JWKS URL.
type lgspSettings struct {
	JWKSURL, Issuer, Audience, ScopeMap string
	scopes                              lgsp.ScopeMap
}

func (l *lgspSettings) register(s *settings) {
	s.String(&l.JWKSURL, "lgsp-jwks-url", "GISD_LGSP_JWKS_URL", "", "the integration platform's JWKS endpoint (https); empty: its tokens are not accepted")
	s.String(&l.Issuer, "lgsp-issuer", "GISD_LGSP_ISSUER", "", "the exact iss of the platform's tokens")
	s.String(&l.Audience, "lgsp-audience", "GISD_LGSP_AUDIENCE", "", "comma-separated; a token's aud must contain one of them")
	s.String(&l.ScopeMap, "lgsp-scope-map", "GISD_LGSP_SCOPE_MAP", "", "JSON file mapping the values of one claim to gisd scopes")
}

func (l *lgspSettings) audiences() []string {
	var out []string
	for _, a := range strings.Split(l.Audience, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// validate checks the settings and reads the scope map, so a mistake stops gisd at start with
// the file, line and entry named.
func (l *lgspSettings) validate() error {
	if l.JWKSURL == "" {
		for name, v := range map[string]string{"--lgsp-issuer": l.Issuer, "--lgsp-audience": l.Audience, "--lgsp-scope-map": l.ScopeMap} {
			if v != "" {
				return usagef("%s is set but --lgsp-jwks-url is not: tokens need the issuer's keys", name)
			}
		}
		return nil
	}
	if u, err := url.Parse(l.JWKSURL); err != nil || u.Scheme != "https" || u.Host == "" {
		return usagef("--lgsp-jwks-url %q: want an https URL (keys fetched over plain http can be replaced on the way)", l.JWKSURL)
	}
	switch {
	case l.Issuer == "":
		return usagef("--lgsp-issuer is required with --lgsp-jwks-url")
	case len(l.audiences()) == 0:
		return usagef("--lgsp-audience is required with --lgsp-jwks-url: without it a token issued for any other service would be accepted")
	case l.ScopeMap == "":
		return usagef("--lgsp-scope-map is required with --lgsp-jwks-url")
	}
	m, err := lgsp.LoadScopeMap(l.ScopeMap)
	if err != nil {
		return usagef("--lgsp-scope-map: %v", err)
	}
	if err := m.Check(api.ValidScope); err != nil {
		return usagef("--lgsp-scope-map %s: %v", l.ScopeMap, err)
	}
	l.scopes = m
	return nil
}

// verifier starts following the issuer's keys until ctx ends; nil when tokens are off. An
// unreachable issuer does not stop gisd: its own keys keep working, and tokens get 503 until
// the issuer's keys arrive.
func (l *lgspSettings) verifier(ctx context.Context, log *slog.Logger) (api.TokenVerifier, error) {
	if l.JWKSURL == "" {
		return nil, nil
	}
	v, err := lgsp.New(ctx, lgsp.Config{JWKSURL: l.JWKSURL, Issuer: l.Issuer, Audiences: l.audiences(),
		Scopes: l.scopes, ValidScope: api.ValidScope, Logger: log})
	if err != nil {
		return nil, usagef("--lgsp-* (scope map %s): %v", l.ScopeMap, err)
	}
	log.Info("tokens of the integration platform accepted", "jwks_url", l.JWKSURL, "issuer", l.Issuer,
		"audiences", l.audiences(), "claim", l.scopes.Claim, "grants", len(l.scopes.Grants))
	return v, nil
}
