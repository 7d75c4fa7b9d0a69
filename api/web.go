package api

import (
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/web"
)

// The web map (/ for land officers), the import page (/import for GIS staff), their assets and the
// endpoints only they need. The pages are embedded in the binary (package web); they load nothing
// from outside the server unless a basemap URL is configured.

// notBuilt is what / says when the binary was built without `make web`.
const notBuilt = `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>gisd: web assets not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>web assets not built: run make web</h1>
<p>This gisd binary was built without its web map. Run <code>make web</code> (or <code>make run</code>),
which installs the npm packages pinned in <code>web/package-lock.json</code> and builds the map into
<code>web/bundle/</code>, then rebuild gisd.</p>
<p>Bản đồ web chưa được dựng: hãy chạy <code>make web</code> rồi dựng lại gisd.</p>
<p>The API works without it: <a href="/api/v1/layers">/api/v1/layers</a>.</p>
</body></html>
`

// indexPage answers / with the web map, importPage /import with the import page.
func (s *Server) indexPage(c *gin.Context)  { s.page(c, "index.html") }
func (s *Server) importPage(c *gin.Context) { s.page(c, "import.html") }

// page serves one of the embedded HTML pages.
func (s *Server) page(c *gin.Context, name string) {
	c.Header("Cache-Control", "no-cache")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Referrer-Policy", "same-origin")
	if !web.Built() {
		c.Data(http.StatusServiceUnavailable, "text/html; charset=utf-8", []byte(notBuilt))
		return
	}
	b, err := fs.ReadFile(web.Assets(), name)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Security-Policy", s.contentSecurityPolicy())
	c.Data(http.StatusOK, "text/html; charset=utf-8", b)
}

// contentSecurityPolicy keeps the page to its own server: nothing is fetched from the internet,
// not even by mistake, except the configured basemap's tiles.
func (s *Server) contentSecurityPolicy() string {
	extra := ""
	if o := urlOrigin(s.cfg.BasemapURL); o != "" {
		extra = " " + o
	}
	return "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; " +
		"style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:" + extra + "; " +
		"connect-src 'self'" + extra + "; font-src 'self'; object-src 'none'; base-uri 'self'; " +
		"form-action 'self'; frame-ancestors 'self'"
}

// urlOrigin is scheme://host of a URL template, "" if it has none.
func urlOrigin(raw string) string {
	if raw == "" {
		return ""
	}
	// {z}/{x}/{y} placeholders are not valid in a URL's host only in odd templates ({s}.tile...);
	// replace them before parsing.
	u, err := url.Parse(strings.NewReplacer("{", "", "}", "").Replace(raw))
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// asset serves the built JavaScript, CSS and worker files. Their names carry a content hash, so
// they may be cached for good.
func (s *Server) asset(c *gin.Context) {
	name := path.Clean("assets/" + strings.TrimPrefix(c.Param("file"), "/"))
	noAsset := notFound("no resource at %s", quoteForMessage(c.Request.URL.Path))
	if !strings.HasPrefix(name, "assets/") || !web.Built() {
		fail(c, noAsset)
		return
	}
	f, err := web.Assets().Open(name)
	if err != nil {
		fail(c, noAsset)
		return
	}
	st, err := f.Stat()
	f.Close()
	if err != nil || st.IsDir() {
		fail(c, noAsset)
		return
	}
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Header("X-Content-Type-Options", "nosniff")
	c.FileFromFS(name, http.FS(web.Assets()))
}

type zoneDoc struct {
	SRID  int    `json:"srid"`
	Name  string `json:"name"`
	Proj4 string `json:"proj4"`
}

// mapConfig answers GET /api/v1/map-config: what the pages need to know about this deployment —
// the province's extent for the first view, its VN-2000 zone and the others (the cursor readout and
// the import page's CRS list), and the basemap, if one is configured.
func (s *Server) mapConfig(c *gin.Context) {
	zones := []zoneDoc{}
	var province zoneDoc
	for _, z := range geo.VN2000Zones() {
		zones = append(zones, zoneDoc{SRID: z.SRID, Name: z.Name, Proj4: z.Proj4})
		if z.SRID == geo.ProvinceZone {
			province = zones[len(zones)-1]
		}
	}
	b := geo.ProvinceBound
	var basemap any
	if s.cfg.BasemapURL != "" {
		basemap = gin.H{"url": s.cfg.BasemapURL}
	}
	c.Header("Cache-Control", "no-cache")
	c.JSON(http.StatusOK, gin.H{
		"bounds":  []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]},
		"zone":    province,
		"zones":   zones,
		"basemap": basemap,
	})
}
