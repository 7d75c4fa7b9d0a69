package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/vntime"
)

// The domain queries under /api/v1: what a land or construction office asks of the shared
// database. Distances are true distances on the ellipsoid and areas are planar in VN-2000 TM-3
// (EPSG:9212), in metres and square metres; the store computes both in PostGIS.

const (
	defaultNearbyLimit = 50
	defaultNearestK    = 5
	maxIntersectBody   = 4 << 20
)

// floatParam reads a finite number; present reports whether it was given at all.
func floatParam(q url.Values, name string) (v float64, present bool, err *ParamError) {
	s, ok := q[name]
	if !ok {
		return 0, false, nil
	}
	f, perr := strconv.ParseFloat(strings.TrimSpace(s[0]), 64)
	if perr != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, true, &ParamError{name, "want a number, got " + quoteForMessage(s[0])}
	}
	return f, true, nil
}

// lonLat reads the required lon and lat parameters.
func lonLat(q url.Values) (lon, lat float64, err *ParamError) {
	lon, has, err := floatParam(q, "lon")
	if err != nil {
		return 0, 0, err
	}
	if !has {
		return 0, 0, &ParamError{"lon", "required"}
	}
	if lon < -180 || lon > 180 {
		return 0, 0, &ParamError{"lon", "outside -180..180"}
	}
	lat, has, err = floatParam(q, "lat")
	if err != nil {
		return 0, 0, err
	}
	if !has {
		return 0, 0, &ParamError{"lat", "required"}
	}
	if lat < -90 || lat > 90 {
		return 0, 0, &ParamError{"lat", "outside -90..90"}
	}
	return lon, lat, nil
}

// queryDate reads date=YYYY-MM-DD; the default is today in Vietnam.
func queryDate(q url.Values) (time.Time, *ParamError) {
	v, ok := q["date"]
	if !ok {
		y, m, d := time.Now().In(vntime.Zone).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	}
	t, err := time.Parse(time.DateOnly, v[0])
	if err != nil {
		return time.Time{}, &ParamError{"date", "want a date YYYY-MM-DD, got " + quoteForMessage(v[0])}
	}
	if !inDatabaseRange(t) {
		return time.Time{}, &ParamError{"date", outOfRange}
	}
	return t, nil
}

// parcelOptions says what the caller may see of parcels and when: the owner with the personal
// scope; with a date in the past, the parcels as they were recorded at the end of that day.
func (s *Server) parcelOptions(c *gin.Context, q url.Values, date time.Time) store.ParcelOptions {
	var opt store.ParcelOptions
	if l, ok := s.store.Catalog().Layer("parcels"); ok {
		opt.Personal = principal(c).CanSeePersonal(l)
	}
	if q.Has("date") {
		y, m, d := time.Now().In(vntime.Zone).Date()
		if date.Before(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) {
			end := time.Date(date.Year(), date.Month(), date.Day()+1, 0, 0, 0, 0, vntime.Zone).Add(-time.Microsecond)
			opt.AsOf = &end
		}
	}
	return opt
}

// answer writes v as JSON, refusing nothing: every value here is built by the handlers.
func answer(c *gin.Context, v any) { c.PureJSON(http.StatusOK, v) }

type unitDoc struct {
	Code       string  `json:"code"`
	Level      string  `json:"level"`
	Kind       string  `json:"kind"`
	Name       string  `json:"name"`
	ParentCode *string `json:"parent_code"`
	ValidFrom  *string `json:"valid_from"`
	ValidTo    *string `json:"valid_to"`
	AreaM2     float64 `json:"area_m2"`
}

func isoDate(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

func unitOf(u store.AdminUnitRef) *unitDoc {
	return &unitDoc{Code: u.Code, Level: u.Level, Kind: u.Kind, Name: u.Name, ParentCode: u.ParentCode,
		ValidFrom: isoDate(u.ValidFrom), ValidTo: isoDate(u.ValidTo), AreaM2: u.AreaM2}
}

// unitsByLevel picks the province, district and commune out of units (nil when absent, as the
// district is after 2025-07-01).
type unitsByLevel struct {
	Province *unitDoc `json:"province"`
	District *unitDoc `json:"district"`
	Commune  *unitDoc `json:"commune"`
}

func byLevel(units []store.AdminUnitRef) unitsByLevel {
	var out unitsByLevel
	for _, u := range units {
		switch u.Level {
		case "province":
			out.Province = unitOf(u)
		case "district":
			out.District = unitOf(u)
		case "commune":
			out.Commune = unitOf(u)
		}
	}
	return out
}

func (s *Server) parcelsAt(c *gin.Context) {
	q, ok := onlyParams(c, oneOf("lon", "lat", "x", "y", "srid", "date"))
	if !ok {
		return
	}
	var p store.Point
	_, hasX := q["x"]
	_, hasY := q["y"]
	_, hasLon := q["lon"]
	_, hasLat := q["lat"]
	switch {
	case (hasX || hasY) && (hasLon || hasLat):
		badParam(c, "x", "give either lon and lat or x and y (with srid), not both")
		return
	case hasX || hasY:
		x, _, perr := floatParam(q, "x")
		if perr == nil && !hasY {
			perr = &ParamError{"y", "required with x"}
		}
		if perr == nil && !hasX {
			perr = &ParamError{"x", "required with y"}
		}
		var y float64
		if perr == nil {
			y, _, perr = floatParam(q, "y")
		}
		if perr != nil {
			badParam(c, perr.Name, perr.Reason)
			return
		}
		srid := geo.ProvinceZone
		if v, has := q["srid"]; has {
			n, err := strconv.Atoi(v[0])
			crs, known := geo.LookupCRS(n)
			if err != nil || !known {
				badParam(c, "srid", "unknown or unsupported SRID "+quoteForMessage(v[0])+" (e.g. 9212 for VN-2000 / TM-3 106-15)")
				return
			}
			srid = crs.SRID
			if !crs.Projected && (x < -180 || x > 180 || y < -90 || y > 90) {
				badParam(c, "x", "outside the range of longitude and latitude")
				return
			}
		}
		// A point PostGIS could not transform is refused here, saying why.
		if crs, _ := geo.LookupCRS(srid); crs.Projected {
			if _, _, err := geo.ToWGS84(x, y, srid); err != nil {
				badParam(c, "x", store.ClientMessage(err))
				return
			}
		}
		p = store.Point{X: x, Y: y, SRID: srid}
	default:
		if _, has := q["srid"]; has {
			badParam(c, "srid", "srid goes with x and y; lon and lat are always WGS 84")
			return
		}
		lon, lat, perr := lonLat(q)
		if perr != nil {
			badParam(c, perr.Name, perr.Reason)
			return
		}
		p = store.Point{X: lon, Y: lat, SRID: geo.SRIDWGS84}
	}
	date, perr := queryDate(q)
	if perr != nil {
		badParam(c, perr.Name, perr.Reason)
		return
	}
	opt := s.parcelOptions(c, q, date)
	parcels, units, err := s.store.ParcelsAt(c.Request.Context(), p, date, opt)
	if err != nil {
		fail(c, err)
		return
	}
	if opt.Personal && len(parcels) > 0 {
		ids := make([]int64, len(parcels))
		for i, pc := range parcels {
			ids[i] = pc.ID
		}
		if !s.auditPersonal(c, "parcels", ids, "parcels at a point") {
			return
		}
	}
	type hit struct {
		store.Parcel
		unitsByLevel
	}
	levels := byLevel(units)
	hits := make([]hit, len(parcels))
	for i, pc := range parcels {
		hits[i] = hit{pc, levels}
	}
	answer(c, gin.H{"date": date.Format(time.DateOnly), "count": len(hits), "parcels": hits})
}

var communeCode = regexp.MustCompile(`^[0-9]{5}$`)

// positiveInt reads a path segment as an integer from 1 to 2³¹−1 (sheet and parcel numbers are
// PostgreSQL integers).
func positiveInt(name, s string) (int, *ParamError) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 1 {
		return 0, &ParamError{name, "want a positive integer up to 2147483647, got " + quoteForMessage(s)}
	}
	return int(n), nil
}

func (s *Server) parcelByKey(c *gin.Context) {
	q, ok := onlyParams(c, oneOf("date"))
	if !ok {
		return
	}
	date, derr := queryDate(q)
	if derr != nil {
		badParam(c, derr.Name, derr.Reason)
		return
	}
	opt := s.parcelOptions(c, q, date)
	commune := c.Param("commune")
	if !communeCode.MatchString(commune) {
		badParam(c, "commune", "want a 5-digit commune code, got "+quoteForMessage(commune))
		return
	}
	sheet, perr := positiveInt("sheet", c.Param("sheet"))
	if perr == nil {
		var n int
		n, perr = positiveInt("parcel", c.Param("parcel"))
		if perr == nil {
			p, unit, err := s.store.ParcelByKey(c.Request.Context(), commune, sheet, n, opt)
			if err != nil {
				if errors.Is(err, store.ErrNotFound) {
					err = notFound("no parcel %d on sheet %d of commune %s", n, sheet, commune)
				}
				fail(c, err)
				return
			}
			if opt.Personal && !s.auditPersonal(c, "parcels", []int64{p.ID}, "parcel by key") {
				return
			}
			var u *unitDoc
			if unit != nil {
				u = unitOf(*unit)
			}
			answer(c, struct {
				store.Parcel
				Commune *unitDoc `json:"commune"`
			}{p, u})
			return
		}
	}
	badParam(c, perr.Name, perr.Reason)
}

func (s *Server) adminUnitsAt(c *gin.Context) {
	q, ok := onlyParams(c, oneOf("lon", "lat", "date"))
	if !ok {
		return
	}
	lon, lat, perr := lonLat(q)
	if perr == nil {
		var date time.Time
		date, perr = queryDate(q)
		if perr == nil {
			units, err := s.store.AdminUnitsAt(c.Request.Context(), store.Point{X: lon, Y: lat, SRID: geo.SRIDWGS84}, date)
			if err != nil {
				fail(c, err)
				return
			}
			docs := make([]*unitDoc, len(units))
			for i, u := range units {
				docs[i] = unitOf(u)
			}
			levels := byLevel(units)
			answer(c, gin.H{"date": date.Format(time.DateOnly), "lon": lon, "lat": lat, "units": docs,
				"province": levels.Province, "district": levels.District, "commune": levels.Commune})
			return
		}
	}
	badParam(c, perr.Name, perr.Reason)
}

// queryLayer returns the layer named in the path if the caller may read it, or answers 404.
func (s *Server) queryLayer(c *gin.Context) (*store.Layer, bool) {
	id := c.Param("layer")
	l, ok := s.store.Catalog().Layer(id)
	if !ok || !principal(c).CanRead(l) {
		e := notFound("no layer called %s", quoteForMessage(id))
		e.params = []InvalidParam{{Name: "layer", Reason: "unknown layer"}}
		fail(c, e)
		return nil, false
	}
	return l, true
}

// withMember adds "name": value as the last member of a JSON object.
func withMember(objJSON json.RawMessage, name string, value any) json.RawMessage {
	v, _ := json.Marshal(value)
	o := bytes.TrimRight(objJSON, " \n")
	var b bytes.Buffer
	b.Grow(len(o) + len(name) + len(v) + 8)
	b.Write(o[:len(o)-1])
	b.WriteString(`,"` + name + `":`)
	b.Write(v)
	b.WriteByte('}')
	return b.Bytes()
}

// roundTo rounds v to the given number of decimals.
func roundTo(v float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(v*p) / p
}

// nearAnswer is a GeoJSON FeatureCollection whose features carry distance_m (metres).
func nearAnswer(c *gin.Context, l *store.Layer, lon, lat float64, near []store.NearFeature, extra gin.H) {
	features := make([]json.RawMessage, len(near))
	for i, f := range near {
		features[i] = withMember(f.Feature, "distance_m", roundTo(f.DistanceM, 3))
	}
	doc := gin.H{"type": "FeatureCollection", "layer": l.ID, "center": []float64{lon, lat},
		"numberReturned": len(features), "features": features}
	for k, v := range extra {
		doc[k] = v
	}
	c.Header("Content-Type", mediaGeoJSON)
	c.PureJSON(http.StatusOK, doc)
}

func (s *Server) nearby(c *gin.Context) {
	l, ok := s.queryLayer(c)
	if !ok {
		return
	}
	q, ok := onlyParams(c, oneOf("lon", "lat", "radius_m", "limit"))
	if !ok {
		return
	}
	lon, lat, perr := lonLat(q)
	if perr != nil {
		badParam(c, perr.Name, perr.Reason)
		return
	}
	r, has, perr := floatParam(q, "radius_m")
	switch {
	case perr != nil:
		badParam(c, perr.Name, perr.Reason)
		return
	case !has:
		badParam(c, "radius_m", "required")
		return
	case r <= 0 || r > store.MaxNearbyRadius:
		badParam(c, "radius_m", "want more than 0 and at most "+strconv.Itoa(store.MaxNearbyRadius)+" metres")
		return
	}
	limit := defaultNearbyLimit
	if v, has := q["limit"]; has {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > store.MaxNearbyLimit {
			badParam(c, "limit", "want an integer from 1 to "+strconv.Itoa(store.MaxNearbyLimit))
			return
		}
		limit = n
	}
	near, err := s.store.Nearby(c.Request.Context(), l, lon, lat, r, limit)
	if err != nil {
		fail(c, err)
		return
	}
	nearAnswer(c, l, lon, lat, near, gin.H{"radius_m": r})
}

func (s *Server) nearest(c *gin.Context) {
	l, ok := s.queryLayer(c)
	if !ok {
		return
	}
	q, ok := onlyParams(c, oneOf("lon", "lat", "k"))
	if !ok {
		return
	}
	lon, lat, perr := lonLat(q)
	if perr != nil {
		badParam(c, perr.Name, perr.Reason)
		return
	}
	k := defaultNearestK
	if v, has := q["k"]; has {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > store.MaxNearestK {
			badParam(c, "k", "want an integer from 1 to "+strconv.Itoa(store.MaxNearestK))
			return
		}
		k = n
	}
	near, err := s.store.Nearest(c.Request.Context(), l, lon, lat, k)
	if err != nil {
		fail(c, err)
		return
	}
	nearAnswer(c, l, lon, lat, near, gin.H{"k": k})
}

// intersectBody is the body of POST /api/v1/query/intersects.
type intersectBody struct {
	Geometry json.RawMessage `json:"geometry"`
	CRS      string          `json:"crs"`
	BufferM  *float64        `json:"buffer_m"`
	Layers   []string        `json:"layers"`
	Limit    int             `json:"limit"`
}

func (s *Server) intersects(c *gin.Context) {
	if _, ok := onlyParams(c, oneOf()); !ok {
		return
	}
	data, err := io.ReadAll(io.LimitReader(c.Request.Body, maxIntersectBody+1))
	if err != nil {
		badParam(c, "body", "cannot be read")
		return
	}
	if len(data) > maxIntersectBody {
		fail(c, errorf(errTooLarge, "the body is larger than %d MiB", maxIntersectBody>>20))
		return
	}
	if perr := checkJSONText(data); perr != nil {
		fail(c, perr)
		return
	}
	var body intersectBody
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		badParam(c, "body", "want a JSON object {\"geometry\": GeoJSON geometry, \"crs\", \"buffer_m\", \"layers\", \"limit\"}: "+jsonErrorText(err))
		return
	}
	if len(body.Geometry) == 0 || string(body.Geometry) == "null" {
		badParam(c, "geometry", "required: a GeoJSON geometry")
		return
	}
	g, err := cql2.ParseGeoJSON(body.Geometry)
	if err != nil {
		badParam(c, "geometry", store.ClientMessage(err))
		return
	}
	// From here the body has the right shape; what is refused is its content (422).
	crs := geo.CRS84
	if body.CRS != "" {
		if crs, err = geo.ParseCRS(body.CRS); err != nil {
			badContent(c, "crs", store.ClientMessage(err))
			return
		}
	}
	if geo.AxisOrderLatLon(crs) {
		// EPSG:4326 is latitude first, as EPSG defines it (CRS84, the default, is lon/lat).
		g = cql2.SwapXY(g)
	}
	if !crs.Projected {
		if err := geo.ValidateLonLatBound(g.Bound()); err != nil {
			badContent(c, "geometry", "coordinates outside longitude -180..180, latitude -90..90 for "+crs.String())
			return
		}
	}
	req := store.IntersectRequest{Geometry: g, CRS: crs, Limit: body.Limit}
	if body.BufferM != nil {
		if b := *body.BufferM; !(b >= 0 && b <= store.MaxBuffer) {
			badContent(c, "buffer_m", "want 0 to "+strconv.Itoa(store.MaxBuffer)+" metres")
			return
		}
		req.BufferM = *body.BufferM
	}
	if body.Limit < 0 || body.Limit > store.MaxIntersectRows {
		badContent(c, "limit", "want 1 to "+strconv.Itoa(store.MaxIntersectRows)+" features per layer")
		return
	}
	cat := s.store.Catalog()
	if body.Layers == nil {
		req.Layers = principal(c).ReadableLayers(cat)
	}
	for _, id := range body.Layers {
		l, ok := cat.Layer(id)
		if !ok || !principal(c).CanRead(l) {
			badContent(c, "layers", "unknown layer "+quoteForMessage(id))
			return
		}
		req.Layers = append(req.Layers, l)
	}
	hits, err := s.store.Intersect(c.Request.Context(), req)
	if err != nil {
		fail(c, content(err))
		return
	}
	type layerDoc struct {
		Layer     string            `json:"layer"`
		Count     int               `json:"count"`
		Truncated bool              `json:"truncated"`
		AreaM2    float64           `json:"intersection_area_m2"`
		Features  []json.RawMessage `json:"features"`
	}
	docs := make([]layerDoc, len(hits))
	for i, h := range hits {
		d := layerDoc{Layer: h.Layer, Count: len(h.Features), Truncated: h.Truncated, Features: make([]json.RawMessage, len(h.Features))}
		for j, f := range h.Features {
			d.Features[j] = withMember(f.Feature, "intersection_area_m2", roundTo(f.IntersectionAreaM2, 2))
			d.AreaM2 += f.IntersectionAreaM2
		}
		d.AreaM2 = roundTo(d.AreaM2, 2)
		docs[i] = d
	}
	answer(c, gin.H{"crs": crs.URI, "buffer_m": req.BufferM, "layers": docs})
}

func (s *Server) constructionParcels(c *gin.Context) {
	if _, ok := onlyParams(c, oneOf()); !ok {
		return
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		badParam(c, "id", "want a construction id (a positive integer)")
		return
	}
	co, err := s.store.ConstructionParcels(c.Request.Context(), id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = notFound("no construction %d", id)
		}
		fail(c, err)
		return
	}
	type overlap struct {
		store.Parcel
		OverlapM2 float64 `json:"overlap_m2"`
		Share     float64 `json:"share"`
	}
	parcels := make([]overlap, len(co.Parcels))
	covered := 0.0
	for i, p := range co.Parcels {
		parcels[i] = overlap{p.Parcel, roundTo(p.OverlapM2, 2), roundTo(p.Share, 4)}
		covered += p.Share
	}
	answer(c, gin.H{
		"construction": gin.H{"id": co.ID, "permit_no": co.PermitNo, "status": co.Status, "footprint_area_m2": roundTo(co.FootprintM2, 2)},
		// Less than 1 means part of the footprint stands on no parcel (a road, a river).
		"covered_share": roundTo(covered, 4),
		"parcels":       parcels,
	})
}

var adminCode = regexp.MustCompile(`^[0-9]{2}([0-9]|[0-9]{3})?$`)

func (s *Server) landUseStats(c *gin.Context) {
	q, ok := onlyParams(c, oneOf("admin", "date"))
	if !ok {
		return
	}
	code := q.Get("admin")
	if !adminCode.MatchString(code) {
		badParam(c, "admin", "want an administrative unit code of 2, 3 or 5 digits")
		return
	}
	date, perr := queryDate(q)
	if perr != nil {
		badParam(c, perr.Name, perr.Reason)
		return
	}
	st, err := s.store.LandUseStatistics(c.Request.Context(), code, date)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			e := notFound("no administrative unit %s on %s", code, date.Format(time.DateOnly))
			e.params = []InvalidParam{{Name: "admin", Reason: "no such unit on that date"}}
			err = e
		}
		fail(c, err)
		return
	}
	type row struct {
		Code           string  `json:"code"`
		Name           string  `json:"name"`
		Parcels        int64   `json:"parcels"`
		OfficialAreaM2 float64 `json:"official_area_m2"`
		PurposeParcels int64   `json:"purpose_parcels"`
		PurposeAreaM2  float64 `json:"purpose_area_m2"`
	}
	rows := make([]row, len(st.Rows))
	for i, r := range st.Rows {
		rows[i] = row{r.Code, r.Name, r.Parcels, roundTo(r.OfficialAreaM2, 1), r.PurposeParcels, roundTo(r.PurposeAreaM2, 1)}
	}
	answer(c, gin.H{"admin_unit": unitOf(st.Unit), "date": date.Format(time.DateOnly),
		"parcels": st.Parcels, "official_area_m2": st.OfficialAreaM2, "by_land_use": rows})
}
