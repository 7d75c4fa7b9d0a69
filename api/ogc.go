package api

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
)

// OGC API – Features at /ogc: Part 1 (core, GeoJSON, OpenAPI 3.0), Part 2 (coordinate reference
// systems by reference) and Part 3 (filtering with CQL2, queryables), plus sortby and properties.
// Documents are JSON; links are absolute, built from the configured public URL or the request.

// Media types of OGC API documents.
const (
	mediaJSON       = "application/json"
	mediaGeoJSON    = "application/geo+json"
	mediaOpenAPI    = "application/vnd.oai.openapi+json;version=3.0"
	mediaJSONSchema = "application/schema+json"
)

// relQueryables is the link relation of a collection's queryables (OGC API – Features Part 3).
const relQueryables = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

// conformance lists the conformance classes gisd implements.
var conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
	"http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/property-property",
}

// onlyParams refuses a request with a query parameter that allowed rejects, or one given twice;
// it answers 400 naming the parameter and returns false. OGC API – Features requires unknown
// parameters to be refused rather than ignored, so a client's typo never silently widens a query.
func onlyParams(c *gin.Context, allowed func(string) bool) (url.Values, bool) {
	q := c.Request.URL.Query()
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	slices.Sort(names) // the first unknown name in a stable order
	for _, k := range names {
		if !allowed(k) {
			badParam(c, k, "unknown parameter")
			return nil, false
		}
		if len(q[k]) > 1 {
			badParam(c, k, "given more than once")
			return nil, false
		}
	}
	return q, true
}

func oneOf(names ...string) func(string) bool {
	return func(k string) bool { return slices.Contains(names, k) }
}

// checkFormat accepts f=json (and the media types that mean it) and nothing else: gisd has no
// HTML or GML encoding of these documents.
func checkFormat(c *gin.Context, q url.Values, geojson bool) bool {
	switch f := q.Get("f"); f {
	case "", "json", mediaJSON:
		return true
	case "geojson", mediaGeoJSON:
		if geojson {
			return true
		}
	}
	reason := "supported: json"
	if geojson {
		reason = "supported: json, geojson"
	}
	badParam(c, "f", reason)
	return false
}

// ogcLayer returns the layer named in the path if the caller may read it, or answers 404 (a
// layer outside the caller's scopes answers like one that does not exist).
func (s *Server) ogcLayer(c *gin.Context) (*store.Layer, bool) {
	id := c.Param("collection")
	l, ok := s.store.Catalog().Layer(id)
	if !ok || !principal(c).CanRead(l) {
		fail(c, notFound("no collection called %s", quoteForMessage(id)))
		return nil, false
	}
	return l, true
}

// visibleTo is what the caller may see of l: the attributes its key's scopes open (anonymous
// callers: the public ones). Filters, sortby, properties and queryables all go by it.
func visibleTo(c *gin.Context, l *store.Layer) []store.Attribute {
	return principal(c).Attributes(l)
}

type landingPage struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Links       []link `json:"links"`
}

func (s *Server) ogcLanding(c *gin.Context) {
	q, ok := onlyParams(c, oneOf("f"))
	if !ok || !checkFormat(c, q, false) {
		return
	}
	base := baseURL(c, s.cfg.PublicURL) + "/ogc"
	c.PureJSON(http.StatusOK, landingPage{
		Title:       "gisd — OGC API – Features",
		Description: "Bản đồ dùng chung: đơn vị hành chính, thửa đất, công trình xây dựng và các lớp dữ liệu chuyên ngành (shared GIS layers of the province).",
		Links: []link{
			{Href: base, Rel: "self", Type: mediaJSON, Title: "This document"},
			{Href: base + "/api", Rel: "service-desc", Type: mediaOpenAPI, Title: "The API definition (OpenAPI 3.0)"},
			{Href: base + "/conformance", Rel: "conformance", Type: mediaJSON, Title: "Conformance classes implemented"},
			{Href: base + "/collections", Rel: "data", Type: mediaJSON, Title: "The feature collections"},
		},
	})
}

func (s *Server) ogcConformance(c *gin.Context) {
	q, ok := onlyParams(c, oneOf("f"))
	if !ok || !checkFormat(c, q, false) {
		return
	}
	c.PureJSON(http.StatusOK, gin.H{"conformsTo": conformance})
}

type collectionDoc struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	ItemType    string   `json:"itemType"`
	Extent      *extent  `json:"extent,omitempty"`
	CRS         []string `json:"crs"`
	StorageCRS  string   `json:"storageCrs"`
	Links       []link   `json:"links"`
}

type extent struct {
	Spatial  *spatialExtent  `json:"spatial,omitempty"`
	Temporal *temporalExtent `json:"temporal,omitempty"`
}

type spatialExtent struct {
	BBox [][]float64 `json:"bbox"`
	CRS  string      `json:"crs"`
}

type temporalExtent struct {
	Interval [][]*string `json:"interval"`
	TRS      string      `json:"trs"`
}

// crsURIs lists the URIs of every CRS a collection can be served in, CRS84 first.
func crsURIs() []string {
	all := geo.SupportedCRS()
	out := make([]string, len(all))
	for i, c := range all {
		out[i] = c.URI
	}
	return out
}

// collectionDocs describes the public layers (only the one named, if only is set).
func (s *Server) collectionDocs(c *gin.Context, only *store.Layer) ([]collectionDoc, error) {
	ctx := c.Request.Context()
	cat := s.store.Catalog()
	stats, err := s.store.LayerStats(ctx, cat)
	if err != nil {
		return nil, err
	}
	base := baseURL(c, s.cfg.PublicURL) + "/ogc/collections/"
	var docs []collectionDoc
	for _, st := range stats {
		l, ok := cat.Layer(st.Layer)
		if !ok || !principal(c).CanRead(l) || (only != nil && l.ID != only.ID) {
			continue
		}
		self := base + url.PathEscape(l.ID)
		d := collectionDoc{
			ID: l.ID, Title: l.Title, Description: l.Description, ItemType: "feature",
			CRS: crsURIs(), StorageCRS: geo.CRS84URI,
			Links: []link{
				{Href: self, Rel: "self", Type: mediaJSON, Title: "This collection"},
				{Href: self + "/items", Rel: "items", Type: mediaGeoJSON, Title: "The features of " + l.Title},
				{Href: self + "/queryables", Rel: relQueryables, Type: mediaJSONSchema, Title: "Queryable properties"},
				// GDAL's OAPIF driver looks for the draft relation name.
				{Href: self + "/queryables", Rel: "queryables", Type: mediaJSONSchema, Title: "Queryable properties"},
			},
		}
		e := &extent{}
		if !st.Empty {
			e.Spatial = &spatialExtent{BBox: [][]float64{{st.Extent.Min[0], st.Extent.Min[1], st.Extent.Max[0], st.Extent.Max[1]}}, CRS: geo.CRS84URI}
		}
		if l.Temporal != nil {
			start, end, err := s.store.TemporalExtent(ctx, l)
			if err != nil {
				return nil, err
			}
			e.Temporal = &temporalExtent{Interval: [][]*string{{rfc3339(start), rfc3339(end)}},
				TRS: "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
		}
		if e.Spatial != nil || e.Temporal != nil {
			d.Extent = e
		}
		docs = append(docs, d)
	}
	return docs, nil
}

func rfc3339(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func (s *Server) ogcCollections(c *gin.Context) {
	q, ok := onlyParams(c, oneOf("f"))
	if !ok || !checkFormat(c, q, false) {
		return
	}
	docs, err := s.collectionDocs(c, nil)
	if err != nil {
		fail(c, err)
		return
	}
	if docs == nil {
		docs = []collectionDoc{}
	}
	base := baseURL(c, s.cfg.PublicURL) + "/ogc"
	c.PureJSON(http.StatusOK, gin.H{
		"links":       []link{{Href: base + "/collections", Rel: "self", Type: mediaJSON, Title: "This document"}},
		"collections": docs,
	})
}

func (s *Server) ogcCollection(c *gin.Context) {
	l, ok := s.ogcLayer(c)
	if !ok {
		return
	}
	q, ok := onlyParams(c, oneOf("f"))
	if !ok || !checkFormat(c, q, false) {
		return
	}
	docs, err := s.collectionDocs(c, l)
	if err != nil {
		fail(c, err)
		return
	}
	if len(docs) == 0 {
		fail(c, notFound("no collection called %s", quoteForMessage(l.ID)))
		return
	}
	c.PureJSON(http.StatusOK, docs[0])
}

// jsonSchemaOf is the JSON Schema of a queryable (OGC API – Features Part 3, queryables).
func jsonSchemaOf(l *store.Layer, q store.Queryable) map[string]any {
	m := map[string]any{}
	if q.Title != "" {
		m["title"] = q.Title
	}
	switch q.Type {
	case cql2.TypeString:
		m["type"] = "string"
	case cql2.TypeInteger:
		m["type"] = "integer"
	case cql2.TypeNumber:
		m["type"] = "number"
	case cql2.TypeBoolean:
		m["type"] = "boolean"
	case cql2.TypeDate:
		m["type"], m["format"] = "string", "date"
	case cql2.TypeTimestamp:
		m["type"], m["format"] = "string", "date-time"
	case cql2.TypeGeometry:
		m["format"] = geometryFormat(l.GeometryType)
		m["x-ogc-role"] = "primary-geometry"
	}
	if q.Name == store.IDProperty && q.Attribute == nil {
		m["x-ogc-role"] = "id"
	}
	return m
}

// geometryFormat is the Part 3 format keyword for a geometry type ("geometry-multipolygon").
func geometryFormat(t string) string {
	if t == "" || t == "Geometry" {
		return "geometry-any"
	}
	return "geometry-" + strings.ToLower(t)
}

func (s *Server) ogcQueryables(c *gin.Context) {
	l, ok := s.ogcLayer(c)
	if !ok {
		return
	}
	q, ok := onlyParams(c, oneOf("f"))
	if !ok || !checkFormat(c, q, false) {
		return
	}
	props := map[string]any{}
	for _, qb := range l.QueryablesFor(visibleTo(c, l)) {
		props[qb.Name] = jsonSchemaOf(l, qb)
	}
	self := baseURL(c, s.cfg.PublicURL) + "/ogc/collections/" + url.PathEscape(l.ID) + "/queryables"
	// Part 3 serves queryables as application/schema+json; a client that accepts only
	// application/json (GDAL up to 3.6) gets the same document under that type.
	accept := c.GetHeader("Accept")
	if strings.Contains(accept, mediaJSONSchema) || !strings.Contains(accept, mediaJSON) {
		c.Header("Content-Type", mediaJSONSchema)
	}
	c.PureJSON(http.StatusOK, gin.H{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  self,
		"type":                 "object",
		"title":                l.Title,
		"description":          "Properties of " + l.ID + " that filter (CQL2) and sortby may name; personal data only for keys allowed to see it.",
		"properties":           props,
		"additionalProperties": false,
	})
}
