package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/vntime"
)

// Paging and filter limits of /items.
const (
	defaultItemsLimit = 10
	maxFilterBytes    = 64 << 10
	maxSortKeys       = 5
)

// itemsParams are the standard query parameters of /items. A layer's queryable properties are
// accepted too (equality filters, Part 3 "queryables as query parameters") unless their name is
// one of these.
var itemsParams = []string{"f", "limit", "bbox", "bbox-crs", "crs", "datetime", "filter", "filter-lang",
	"filter-crs", "sortby", "properties", "cursor", "resultType"}

// itemParams are those of /items/{featureId}.
var itemParams = []string{"f", "crs", "properties"}

// queryParamQueryables are the layer's queryables that may be given as query parameters by a
// caller who may see visible.
func queryParamQueryables(l *store.Layer, visible []store.Attribute) []store.Queryable {
	var out []store.Queryable
	for _, q := range l.QueryablesFor(visible) {
		if q.Type != cql2.TypeGeometry && !slices.Contains(itemsParams, q.Name) {
			out = append(out, q)
		}
	}
	return out
}

// inDatabaseRange reports whether PostgreSQL reads t both as a timestamp and as a date in
// Vietnam: years 1 to 9999 (RFC 3339 writes four-digit years, and PostgreSQL has no year 0).
func inDatabaseRange(t time.Time) bool {
	for _, y := range []int{t.UTC().Year(), t.In(vntime.Zone).Year()} {
		if y < 1 || y > 9999 {
			return false
		}
	}
	return true
}

const outOfRange = "dates and times must lie in the years 0001 to 9999"

// parseDatetime reads the datetime parameter: an instant, or an interval "start/end" whose ends
// may be open ("" or ".."). Each end is a date (a day in Vietnam) or an RFC 3339 timestamp.
//
// A start in year 1 or before and an end in year 9999 are open ends too: QGIS 3.22 sends
// 0000-01-01T00:00:00Z as the start of a "<=" date filter, and 9999-12-31 is the usual "no end".
// Any other end, and an instant, must lie in the years PostgreSQL reads.
func parseDatetime(s string) (store.TimeRange, error) {
	one := func(p string, open bool) (time.Time, error) {
		if open && (p == "" || p == "..") {
			return time.Time{}, nil
		}
		if d, err := vntime.ParseDate(p); err == nil {
			return d, nil
		}
		t, err := time.Parse(time.RFC3339Nano, p)
		if err != nil {
			return time.Time{}, errors.New("want a date (2025-07-01), an RFC 3339 timestamp or an interval start/end with .. for an open end, got " + quoteForMessage(p))
		}
		return t, nil
	}
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 1:
		t, err := one(parts[0], false)
		if err == nil && !inDatabaseRange(t) {
			err = errors.New(outOfRange)
		}
		return store.TimeRange{Start: t, End: t}, err
	case 2:
		a, err := one(parts[0], true)
		if err != nil {
			return store.TimeRange{}, err
		}
		b, err := one(parts[1], true)
		if err != nil {
			return store.TimeRange{}, err
		}
		if !a.IsZero() && a.UTC().Year() <= 1 {
			a = time.Time{}
		}
		if !b.IsZero() && b.UTC().Year() >= 9999 {
			b = time.Time{}
		}
		for _, t := range []time.Time{a, b} {
			if !t.IsZero() && !inDatabaseRange(t) {
				return store.TimeRange{}, errors.New(outOfRange + "; leave an end open with ..")
			}
		}
		if !a.IsZero() && !b.IsZero() && a.After(b) {
			return store.TimeRange{}, errors.New("the interval starts after it ends")
		}
		return store.TimeRange{Start: a, End: b}, nil
	}
	return store.TimeRange{}, errors.New("want an instant or one interval start/end")
}

// parseCRSParam reads a CRS parameter; empty means def.
func parseCRSParam(c *gin.Context, q url.Values, name string, def geo.CRS) (geo.CRS, bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	crs, err := geo.ParseCRS(v)
	if err != nil {
		badParam(c, name, store.ClientMessage(err)+"; supported: "+strings.Join(crsURIs(), ", "))
		return geo.CRS{}, false
	}
	return crs, true
}

// parseFilter reads filter and filter-lang into a syntax tree.
func parseFilter(q url.Values) (cql2.Expr, *ParamError) {
	lang := q.Get("filter-lang")
	if _, has := q["filter"]; !has {
		if lang != "" {
			return nil, &ParamError{"filter-lang", "given without filter"}
		}
		return nil, nil
	}
	text := q.Get("filter")
	if strings.TrimSpace(text) == "" {
		return nil, &ParamError{"filter", "empty"}
	}
	if len(text) > maxFilterBytes {
		return nil, &ParamError{"filter", "longer than " + strconv.Itoa(maxFilterBytes) + " bytes"}
	}
	var e cql2.Expr
	var err error
	switch lang {
	case "", "cql2-text", "cql-text":
		// cql-text is the drafts' name, still sent by GDAL 3.6; its common subset is CQL2 text.
		e, err = cql2.Parse(text)
	case "cql2-json":
		e, err = cql2.ParseJSON([]byte(text))
	default:
		return nil, &ParamError{"filter-lang", "supported: cql2-text, cql2-json"}
	}
	if err != nil {
		return nil, &ParamError{"filter", store.ClientMessage(err)}
	}
	return e, nil
}

// queryableValue reads the value of a queryable given as a query parameter as a CQL2 literal.
func queryableValue(qb store.Queryable, v string) (cql2.Expr, error) {
	switch qb.Type {
	case cql2.TypeInteger:
		i, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, errors.New("want an integer")
		}
		return cql2.Number{Value: float64(i), Int: i, IsInt: true}, nil
	case cql2.TypeNumber:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errors.New("want a number")
		}
		return cql2.Number{Value: f}, nil
	case cql2.TypeBoolean:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, errors.New("want true or false")
		}
		return cql2.Bool{Value: b}, nil
	case cql2.TypeDate:
		d, err := cql2.ParseDate(v)
		if err != nil {
			return nil, errors.New("want a date YYYY-MM-DD")
		}
		return cql2.Date{Value: d}, nil
	case cql2.TypeTimestamp:
		t, err := cql2.ParseTimestamp(v)
		if err != nil {
			return nil, errors.New("want an RFC 3339 timestamp")
		}
		return cql2.Timestamp{Value: t}, nil
	}
	return cql2.String{Value: v}, nil
}

// itemsQuery reads and validates every parameter of /items. On failure it has answered 400.
func (s *Server) itemsQuery(c *gin.Context, l *store.Layer) (store.FeatureQuery, bool, bool) {
	visible := visibleTo(c, l)
	qparams := queryParamQueryables(l, visible)
	isQueryable := func(k string) (store.Queryable, bool) {
		for _, qb := range qparams {
			if qb.Name == k {
				return qb, true
			}
		}
		return store.Queryable{}, false
	}
	q, ok := onlyParams(c, func(k string) bool {
		_, qb := isQueryable(k)
		return slices.Contains(itemsParams, k) || qb
	})
	if !ok || !checkFormat(c, q, true) {
		return store.FeatureQuery{}, false, false
	}
	fq := store.FeatureQuery{Layer: l, Limit: defaultItemsLimit, Count: true, Visible: visible}

	if v, has := q["limit"]; has {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > store.MaxFeatureLimit {
			badParam(c, "limit", "want an integer from 1 to "+strconv.Itoa(store.MaxFeatureLimit)+", got "+quoteForMessage(v[0]))
			return fq, false, false
		}
		fq.Limit = n
	}
	var ok2 bool
	if fq.CRS, ok2 = parseCRSParam(c, q, "crs", geo.CRS84); !ok2 {
		return fq, false, false
	}
	if fq.BBoxCRS, ok2 = parseCRSParam(c, q, "bbox-crs", geo.CRS84); !ok2 {
		return fq, false, false
	}
	if fq.FilterCRS, ok2 = parseCRSParam(c, q, "filter-crs", geo.CRS84); !ok2 {
		return fq, false, false
	}
	if v := q.Get("bbox"); v != "" || q.Has("bbox") {
		b, err := geo.ParseBBox(v)
		switch {
		case err != nil:
		case !fq.BBoxCRS.Projected:
			lonlat := b
			if geo.AxisOrderLatLon(fq.BBoxCRS) {
				lonlat.Min[0], lonlat.Min[1], lonlat.Max[0], lonlat.Max[1] = b.Min[1], b.Min[0], b.Max[1], b.Max[0]
			}
			err = geo.ValidateLonLatBound(lonlat)
		default:
			// Corners PostGIS could not transform are refused here, saying why.
			for _, p := range []orb.Point{b.Min, b.Max} {
				if _, _, err = geo.ToWGS84(p[0], p[1], fq.BBoxCRS.SRID); err != nil {
					break
				}
			}
		}
		if err != nil {
			reason := store.ClientMessage(err)
			if geo.AxisOrderLatLon(fq.BBoxCRS) {
				reason += " (with bbox-crs EPSG:4326 the order is lat,lon)"
			}
			badParam(c, "bbox", reason)
			return fq, false, false
		}
		fq.BBox = &b
	}
	if v, has := q["datetime"]; has {
		tr, err := parseDatetime(v[0])
		if err != nil {
			badParam(c, "datetime", err.Error())
			return fq, false, false
		}
		if l.Temporal != nil {
			fq.Time = &tr
		} else {
			// A layer without valid time is read as it was recorded at that instant: what the
			// parcel was on 2024-01-01, from the history the database keeps.
			if tr.Start.IsZero() || !tr.Start.Equal(tr.End) {
				badParam(c, "datetime", "collection "+l.ID+" has no valid time, so datetime must be one instant: the collection as it was then")
				return fq, false, false
			}
			at := tr.Start
			if _, err := time.Parse(time.DateOnly, v[0]); err == nil {
				at = at.AddDate(0, 0, 1).Add(-time.Microsecond) // a date means the end of that day
			}
			fq.AsOf = &at
		}
	}
	filter, perr := parseFilter(q)
	if perr != nil {
		badParam(c, perr.Name, perr.Reason)
		return fq, false, false
	}
	// Queryables given as parameters are equality filters ANDed with filter, in a stable order.
	var ands []cql2.Expr
	if filter != nil {
		ands = append(ands, filter)
	}
	for _, qb := range qparams {
		v, has := q[qb.Name]
		if !has {
			continue
		}
		lit, err := queryableValue(qb, v[0])
		if err != nil {
			badParam(c, qb.Name, err.Error())
			return fq, false, false
		}
		ands = append(ands, cql2.Comparison{Op: cql2.OpEq, Left: cql2.Property{Name: qb.Name}, Right: lit})
	}
	switch len(ands) {
	case 0:
	case 1:
		fq.Filter = ands[0]
	default:
		fq.Filter = cql2.And{Args: ands}
	}
	if v := q.Get("sortby"); v != "" || q.Has("sortby") {
		keys, err := parseSortBy(l, visible, v)
		if err != nil {
			badParam(c, "sortby", err.Error())
			return fq, false, false
		}
		fq.SortBy = keys
	}
	if q.Has("properties") {
		props, err := parseProperties(l, visible, q.Get("properties"))
		if err != nil {
			badParam(c, "properties", err.Error())
			return fq, false, false
		}
		fq.Properties = props
	}
	if v := q.Get("cursor"); v != "" || q.Has("cursor") {
		if err := store.CheckCursor(v, fq.SortBy); err != nil {
			badParam(c, "cursor", "the page cursor is malformed or belongs to another sortby; follow the links of a previous page")
			return fq, false, false
		}
		fq.Cursor = v
	}
	hits := false
	switch q.Get("resultType") {
	case "", "results":
	case "hits":
		hits = true
	default:
		badParam(c, "resultType", "supported: results, hits")
		return fq, false, false
	}
	return fq, hits, true
}

// parseSortBy reads "prop,-prop,+prop" against the layer's queryables.
func parseSortBy(l *store.Layer, visible []store.Attribute, v string) ([]store.SortKey, error) {
	var keys []store.SortKey
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		k := store.SortKey{Property: part}
		switch {
		case strings.HasPrefix(part, "-"):
			k = store.SortKey{Property: part[1:], Desc: true}
		case strings.HasPrefix(part, "+"):
			k.Property = part[1:]
		}
		qb, ok := l.Queryable(k.Property, visible)
		if !ok || qb.Type == cql2.TypeGeometry {
			return nil, errors.New("cannot sort by " + quoteForMessage(k.Property) + "; sortable: " + sortables(l, visible))
		}
		for _, prev := range keys {
			if prev.Property == k.Property {
				return nil, errors.New(quoteForMessage(k.Property) + " is given twice")
			}
		}
		keys = append(keys, k)
	}
	if len(keys) > maxSortKeys {
		return nil, errors.New("at most " + strconv.Itoa(maxSortKeys) + " properties")
	}
	return keys, nil
}

func sortables(l *store.Layer, visible []store.Attribute) string {
	var names []string
	for _, q := range l.QueryablesFor(visible) {
		if q.Type != cql2.TypeGeometry {
			names = append(names, q.Name)
		}
	}
	return strings.Join(names, ", ")
}

// parseProperties reads a comma-separated list of attributes the caller may see; an empty value
// asks for none.
func parseProperties(l *store.Layer, visible []store.Attribute, v string) ([]string, error) {
	out := []string{}
	if strings.TrimSpace(v) == "" {
		return out, nil
	}
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if !slices.ContainsFunc(visible, func(a store.Attribute) bool { return a.Name == p }) {
			if _, ok := l.Attribute(p); ok {
				return nil, errors.New(quoteForMessage(p) + " is not open to this caller (personal or restricted data needs a key with the scope)")
			}
			names := make([]string, len(visible))
			for i, a := range visible {
				names[i] = a.Name
			}
			return nil, errors.New("unknown property " + quoteForMessage(p) + "; available: " + strings.Join(names, ", "))
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// pageURL is this request's URL with the cursor set to cursor ("" removes it).
func pageURL(c *gin.Context, public, cursor string) string {
	q := c.Request.URL.Query()
	if cursor == "" {
		q.Del("cursor")
	} else {
		q.Set("cursor", cursor)
	}
	u := baseURL(c, public) + c.Request.URL.EscapedPath()
	if enc := q.Encode(); enc != "" {
		u += "?" + enc
	}
	return u
}

func (s *Server) ogcItems(c *gin.Context) {
	l, ok := s.ogcLayer(c)
	if !ok {
		return
	}
	fq, hits, ok := s.itemsQuery(c, l)
	if !ok {
		return
	}
	if hits {
		// resultType=hits (WFS heritage, used by GDAL): the count only.
		fq.Limit = 1
	}
	page, err := s.store.Features(c.Request.Context(), fq)
	if err != nil {
		fail(c, err)
		return
	}
	if hits {
		page.Features, page.Next, page.Prev = nil, "", ""
	}
	if len(page.Features) > 0 && releasesPersonal(fq.Visible, fq.Properties) &&
		!s.auditPersonal(c, l.ID, featureIDs(page.Features), auditFilter(fq.Filter)) {
		return
	}
	collection := baseURL(c, s.cfg.PublicURL) + "/ogc/collections/" + url.PathEscape(l.ID)
	links := []link{
		{Href: pageURL(c, s.cfg.PublicURL, fq.Cursor), Rel: "self", Type: mediaGeoJSON, Title: "This page"},
		{Href: collection, Rel: "collection", Type: mediaJSON, Title: l.Title},
	}
	if page.Next != "" {
		links = append(links, link{Href: pageURL(c, s.cfg.PublicURL, page.Next), Rel: "next", Type: mediaGeoJSON, Title: "Next page"})
	}
	if page.Prev != "" {
		links = append(links, link{Href: pageURL(c, s.cfg.PublicURL, page.Prev), Rel: "prev", Type: mediaGeoJSON, Title: "Previous page"})
	}
	head, err := marshalPure(struct {
		Type           string `json:"type"`
		TimeStamp      string `json:"timeStamp"`
		NumberMatched  *int64 `json:"numberMatched,omitempty"`
		NumberReturned int    `json:"numberReturned"`
		Links          []link `json:"links"`
	}{"FeatureCollection", time.Now().UTC().Format(time.RFC3339), matched(page.NumberMatched), len(page.Features), links})
	if err != nil {
		fail(c, err)
		return
	}
	// The features arrive as JSON text from PostGIS; splice them in rather than decode and
	// re-encode up to 10,000 of them.
	var b bytes.Buffer
	b.Grow(len(head) + 16 + 1024*len(page.Features))
	b.Write(head[:len(head)-1])
	b.WriteString(`,"features":[`)
	for i, f := range page.Features {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(f)
	}
	b.WriteString("]}")
	c.Header("Content-Crs", "<"+fq.CRS.URI+">")
	c.Data(http.StatusOK, mediaGeoJSON, b.Bytes())
}

func matched(n int64) *int64 {
	if n < 0 {
		return nil
	}
	return &n
}

func (s *Server) ogcItem(c *gin.Context) {
	l, ok := s.ogcLayer(c)
	if !ok {
		return
	}
	q, ok := onlyParams(c, oneOf(itemParams...))
	if !ok || !checkFormat(c, q, true) {
		return
	}
	fid := c.Param("feature")
	id, err := strconv.ParseInt(fid, 10, 64)
	if err != nil {
		fail(c, notFound("no feature %s in %s", quoteForMessage(fid), l.ID))
		return
	}
	crs, ok := parseCRSParam(c, q, "crs", geo.CRS84)
	if !ok {
		return
	}
	visible := visibleTo(c, l)
	var props []string
	if q.Has("properties") {
		if props, err = parseProperties(l, visible, q.Get("properties")); err != nil {
			badParam(c, "properties", err.Error())
			return
		}
	}
	f, err := s.store.Feature(c.Request.Context(), l, id, crs, props, visible)
	if errors.Is(err, store.ErrNotFound) {
		err = notFound("no feature %s in %s", quoteForMessage(fid), l.ID)
	}
	if err != nil {
		fail(c, err)
		return
	}
	if releasesPersonal(visible, props) && !s.auditPersonal(c, l.ID, []int64{id}, "") {
		return
	}
	// The version is the ETag a writer sends back in If-Match (Part 4).
	if v, err := s.store.FeatureVersion(c.Request.Context(), l, id); err == nil {
		c.Header("ETag", featureETag(v))
	}
	collection := baseURL(c, s.cfg.PublicURL) + "/ogc/collections/" + url.PathEscape(l.ID)
	links, err := marshalPure([]link{
		{Href: pageURL(c, s.cfg.PublicURL, ""), Rel: "self", Type: mediaGeoJSON, Title: "This feature"},
		{Href: collection, Rel: "collection", Type: mediaJSON, Title: l.Title},
	})
	if err != nil {
		fail(c, err)
		return
	}
	// The feature is a JSON object from PostGIS: add the links as its last member.
	f = bytes.TrimRight(f, " \n")
	var b bytes.Buffer
	b.Write(f[:len(f)-1])
	b.WriteString(`,"links":`)
	b.Write(links)
	b.WriteByte('}')
	c.Header("Content-Crs", "<"+crs.URI+">")
	c.Data(http.StatusOK, mediaGeoJSON, b.Bytes())
}

// marshalPure is json.Marshal without escaping &, < and >: links carry query strings, and
// "\u0026" in every href helps nobody.
func marshalPure(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
