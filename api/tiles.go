package api

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/tiles"
	"github.com/dongnai-gis/gisd/vntime"
)

// mvtContentType is the media type of Mapbox Vector Tiles.
const mvtContentType = "application/vnd.mapbox-vector-tile"

// defaultTileCacheControl lets clients keep tiles but makes them revalidate each time: a tile
// changes as soon as its data does, and a revalidation is a cheap 304.
const defaultTileCacheControl = "no-cache"

func (s *Server) tiles(c *gin.Context) {
	p := strings.TrimPrefix(c.Param("path"), "/")
	parts := strings.Split(p, "/")
	switch len(parts) {
	case 1:
		name, ext, ok := cutExt(parts[0])
		if !ok || ext != "json" {
			fail(c, notFound("no resource at %s: want /tiles/{layers}.json or /tiles/{layers}/{z}/{x}/{y}.mvt", quoteForMessage(c.Request.URL.Path)))
			return
		}
		s.tileJSON(c, name)
	case 4:
		y, ext, ok := cutExt(parts[3])
		if !ok || ext != "mvt" {
			fail(c, notFound("unknown tile format %s: tiles are served as .mvt", quoteForMessage(ext)))
			return
		}
		s.tile(c, parts[0], parts[1], parts[2], y)
	default:
		fail(c, notFound("no resource at %s: want /tiles/{layers}.json or /tiles/{layers}/{z}/{x}/{y}.mvt", quoteForMessage(c.Request.URL.Path)))
	}
}

// cutExt splits "name.ext" at the last dot; ok is false when there is no extension.
func cutExt(s string) (name, ext string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// tileParams are the query parameters shared by tiles and TileJSON, parsed.
type tileParams struct {
	date    time.Time // zero: today
	filter  cql2.Expr
	crs     geo.CRS
	filterQ url.Values // date and the filter's parameters, as given, for TileJSON's tiles URL
}

// tileQuery parses the query parameters shared by tiles and TileJSON: date, and a CQL2 filter
// (filter, filter-lang, filter-crs). Whether each layer can evaluate the filter is the tile
// service's to say. On failure it has answered 400.
func tileQuery(c *gin.Context) (tileParams, bool) {
	q := c.Request.URL.Query()
	var p tileParams
	p.filterQ = url.Values{}
	dates := q["date"]
	if len(dates) > 1 {
		badParam(c, "date", "give at most one date")
		return p, false
	}
	if len(dates) == 1 {
		d, err := vntime.ParseDate(dates[0])
		if err != nil {
			badParam(c, "date", "want a date as YYYY-MM-DD, got "+quoteForMessage(dates[0]))
			return p, false
		}
		if !inDatabaseRange(d) {
			badParam(c, "date", outOfRange)
			return p, false
		}
		p.date = d
		p.filterQ.Set("date", dates[0])
	}
	e, perr := parseFilter(q)
	if perr != nil {
		badParam(c, perr.Name, perr.Reason)
		return p, false
	}
	if e == nil {
		return p, true
	}
	crs, ok := parseCRSParam(c, q, "filter-crs", geo.CRS84)
	if !ok {
		return p, false
	}
	p.filter, p.crs = e, crs
	for _, k := range []string{"filter", "filter-lang", "filter-crs"} {
		if v := q.Get(k); v != "" {
			p.filterQ.Set(k, v)
		}
	}
	return p, true
}

// request is the tile service's request for the layers in list, as the caller may read them.
func (p tileParams) request(c *gin.Context, list string) tiles.Request {
	return tiles.Request{Layers: list, CanRead: principal(c).CanRead, Date: p.date, Filter: p.filter, FilterCRS: p.crs}
}

// tile answers GET /tiles/{layers}/{z}/{x}/{y}.mvt: it parses the request, and the tile service
// does the rest (layers, zoom policy, cache, rendering) in one call.
func (s *Server) tile(c *gin.Context, layerList, zs, xs, ys string) {
	t, perr := parseTile(zs, xs, ys)
	if perr != nil {
		badParam(c, perr.Name, perr.Reason)
		return
	}
	p, ok := tileQuery(c)
	if !ok {
		return
	}
	req := p.request(c, layerList)
	req.Tile = t
	res, err := s.cfg.Tiles.Tile(c.Request.Context(), req)
	if err != nil {
		fail(c, err)
		return
	}
	tile := res.Tile
	h := c.Writer.Header()
	h.Set("X-Cache", res.Status.String())
	if res.Private {
		// Only keys with the layer's scope may have it, and desktop caches ignore keys: no-store.
		h.Set("Cache-Control", "no-store")
		h.Set("Vary", "Accept-Encoding, "+varyAuth)
	} else {
		// Public layers, public attributes: the same bytes for every caller, so the configured
		// caching holds and nothing about the caller's key is part of the answer.
		h.Set("Cache-Control", s.tileCacheControl())
		h.Set("Vary", "Accept-Encoding")
	}
	if tile.Empty() {
		c.Status(http.StatusNoContent)
		return
	}
	h.Set("ETag", tile.ETag)
	if etagMatch(c.GetHeader("If-None-Match"), tile.ETag) {
		c.Status(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", mvtContentType)
	if acceptsGzip(c.GetHeader("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		h.Set("Content-Length", strconv.Itoa(len(tile.Data)))
		c.Status(http.StatusOK)
		if c.Request.Method != http.MethodHead {
			_, _ = c.Writer.Write(tile.Data)
		}
		return
	}
	h.Set("Content-Length", strconv.Itoa(tile.Size))
	c.Status(http.StatusOK)
	if c.Request.Method == http.MethodHead {
		return
	}
	r, err := tile.Open()
	if err != nil {
		logger(c).Error("tile: cannot read a cached tile", "err", err)
		return
	}
	defer r.Close()
	if _, err := io.Copy(c.Writer, r); err != nil {
		logger(c).Debug("tile: write", "err", err)
	}
}

// tileCacheControl is the configured Cache-Control of public tiles.
func (s *Server) tileCacheControl() string {
	if s.cfg.TileCacheControl != "" {
		return s.cfg.TileCacheControl
	}
	return defaultTileCacheControl
}

// tileJSON answers GET /tiles/{layers}.json, with one call to the tile service.
func (s *Server) tileJSON(c *gin.Context, layerList string) {
	p, ok := tileQuery(c)
	if !ok {
		return
	}
	// The service accepts the list only as exactly the layers' ids, so it can name the tiles.
	tilesURL := baseURL(c, s.cfg.PublicURL) + "/tiles/" + layerList + "/{z}/{x}/{y}.mvt"
	if len(p.filterQ) > 0 {
		tilesURL += "?" + p.filterQ.Encode()
	}
	tj, err := s.cfg.Tiles.TileJSON(c.Request.Context(), p.request(c, layerList), tilesURL)
	if err != nil {
		fail(c, err)
		return
	}
	// TileJSON lists the layers and attributes the caller may read: kept by clients only when
	// it is the public document, asked for without a key (the route set Vary and no-store).
	if !tj.Private && principal(c).Anonymous() {
		c.Header("Cache-Control", "public, max-age=60")
	}
	c.JSON(http.StatusOK, tj)
}

// parseTile validates the z, x and y path parts, naming the first one at fault.
func parseTile(z, x, y string) (geo.TileID, *InvalidParam) {
	t, err := geo.ParseTile(z, x, y)
	if err == nil {
		return t, nil
	}
	// geo says what is wrong; find which part, checking them in order.
	name := "y"
	if _, e := geo.ParseTile(z, "0", "0"); e != nil {
		name = "z"
	} else if _, e := geo.ParseTile(z, x, "0"); e != nil {
		name = "x"
	}
	return geo.TileID{}, &InvalidParam{Name: name, Reason: store.ClientMessage(err)}
}

// acceptsGzip reports whether an Accept-Encoding header admits gzip (RFC 9110 §12.5.3):
// "gzip" or "*" with a non-zero weight, unless gzip itself is refused with q=0.
func acceptsGzip(header string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch coding {
		case "gzip", "x-gzip":
			return q > 0
		case "*":
			star = q > 0
		}
	}
	return star
}

// etagMatch implements If-None-Match's weak comparison (RFC 9110 §13.1.2).
func etagMatch(header, etag string) bool {
	if header == "" || etag == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
			return true
		}
	}
	return false
}

// tileCacheCollector exports the tile cache's counters at scrape time.
type tileCacheCollector struct{ svc *tiles.Service }

var (
	tileCacheRequests = prometheus.NewDesc("gisd_tile_cache_requests_total", "Tile requests by outcome: hit, miss (rendered), shared (waited for a concurrent render).", []string{"outcome"}, nil)
	tileCacheDropped  = prometheus.NewDesc("gisd_tile_cache_dropped_total", "Cached tiles dropped, by reason: evicted (budget) or invalidated (data changed).", []string{"reason"}, nil)
	tileCacheDiscard  = prometheus.NewDesc("gisd_tile_cache_discarded_total", "Rendered tiles not cached because the data changed while they rendered.", nil, nil)
	tileCacheEntries  = prometheus.NewDesc("gisd_tile_cache_entries", "Tiles in the cache.", nil, nil)
	tileCacheBytes    = prometheus.NewDesc("gisd_tile_cache_bytes", "Bytes the cached tiles cost.", nil, nil)
	tileCacheMax      = prometheus.NewDesc("gisd_tile_cache_max_bytes", "The cache's byte budget.", nil, nil)
)

func (t tileCacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{tileCacheRequests, tileCacheDropped, tileCacheDiscard, tileCacheEntries, tileCacheBytes, tileCacheMax} {
		ch <- d
	}
}

func (t tileCacheCollector) Collect(ch chan<- prometheus.Metric) {
	st := t.svc.Stats()
	ch <- prometheus.MustNewConstMetric(tileCacheRequests, prometheus.CounterValue, float64(st.Hits), "hit")
	ch <- prometheus.MustNewConstMetric(tileCacheRequests, prometheus.CounterValue, float64(st.Misses), "miss")
	ch <- prometheus.MustNewConstMetric(tileCacheRequests, prometheus.CounterValue, float64(st.Shared), "shared")
	ch <- prometheus.MustNewConstMetric(tileCacheDropped, prometheus.CounterValue, float64(st.Evictions), "evicted")
	ch <- prometheus.MustNewConstMetric(tileCacheDropped, prometheus.CounterValue, float64(st.Invalidations), "invalidated")
	ch <- prometheus.MustNewConstMetric(tileCacheDiscard, prometheus.CounterValue, float64(st.Discarded))
	ch <- prometheus.MustNewConstMetric(tileCacheEntries, prometheus.GaugeValue, float64(st.Entries))
	ch <- prometheus.MustNewConstMetric(tileCacheBytes, prometheus.GaugeValue, float64(st.Bytes))
	ch <- prometheus.MustNewConstMetric(tileCacheMax, prometheus.GaugeValue, float64(st.MaxBytes))
}
