package tiles

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
)

// Tile geometry constants, the same for every layer and zoom.
const (
	// Extent is the size of the tile grid in MVT units.
	Extent = 4096
	// Buffer is how far, in MVT units, geometry is kept beyond the tile edge: the query envelope
	// is widened by Buffer/Extent of a tile and ST_AsMVTGeom clips at the same distance, so a
	// line or polygon edge near the border is drawn continuously across neighbouring tiles.
	Buffer = 64
	// margin is Buffer as a fraction of the tile side, ST_TileEnvelope's margin argument.
	margin = float64(Buffer) / Extent
	// simplifyMaxZoom is the deepest zoom at which polygons and lines are simplified to the
	// tile's pixel size before ST_AsMVTGeom, and features smaller than a pixel are skipped. From
	// z13 a pixel is 1.2 m or less: cadastral geometry has no vertices that close worth
	// removing, ST_AsMVTGeom's snapping to the grid already drops repeated points, and on the
	// million-parcel benchmark simplifying at z13–z15 gave the same bytes for more time.
	simplifyMaxZoom = 12
)

// Filter is an extra predicate on one layer's rows (a CQL2 filter). SQL writes the predicate
// for the row alias with its values as bind parameters numbered from first ($first, $first+1...)
// and returns those values — the shape of store.Layer.FilterSQL. Key must identify the
// predicate exactly (equal keys, equal results): it is part of the cache key.
type Filter struct {
	Key string
	SQL func(alias string, first int) (sql string, args []any, err error)
}

// LayerQuery is one layer of a composite tile.
type LayerQuery struct {
	Layer  *store.Layer
	Filter *Filter // nil: every row
	// AsOf, for a layer without valid time, renders it as it was recorded at the end of that day
	// (its history, kept by the database); empty means as it is now. It must equal the query's
	// date.
	AsOf bool
}

// Query is a tile statement and its bind arguments.
type Query struct {
	SQL  string
	Args []any
}

// ErrNoLayers is returned by BuildQuery when no layer is given.
var ErrNoLayers = errors.New("tiles: no layer to render")

// BuildQuery writes the single statement that renders tile t with the given layers, in order.
// date ("YYYY-MM-DD") selects the valid-time of temporal layers; it must be set when one of the
// layers has a Temporal. The caller applies the zoom policy (InZoom) beforehand.
//
// The SQL text depends only on the layers, their filters, and two properties of the zoom
// (simplified or not, affine projection or not), never on the coordinates, so the prepared
// statements pgx caches per connection are reused across tiles.
func BuildQuery(t geo.TileID, layers []LayerQuery, date string) (Query, error) {
	if len(layers) == 0 {
		return Query{}, ErrNoLayers
	}
	b := &builder{tile: t, date: date}
	z, x, y := b.bind(int32(t.Z)), b.bind(int32(t.X)), b.bind(int32(t.Y))
	marginP := b.bind(margin)
	w := &b.sql
	w.WriteString("WITH env AS MATERIALIZED (SELECT ST_TileEnvelope(" + z + ", " + x + ", " + y + ") AS tile, ")
	w.WriteString("ST_Transform(ST_ClipByBox2D(ST_TileEnvelope(" + z + ", " + x + ", " + y + ", margin => " + marginP +
		"), ST_TileEnvelope(0, 0, 0)), 4326) AS query)\nSELECT ")
	for i, lq := range layers {
		if i > 0 {
			w.WriteString("\n || ")
		}
		if err := b.layer(lq); err != nil {
			return Query{}, err
		}
	}
	return Query{SQL: w.String(), Args: b.args}, nil
}

// InZoom reports whether the catalog's zoom policy shows layer l at zoom z.
func InZoom(l *store.Layer, z uint32) bool {
	return int(z) >= l.MinZoom && int(z) <= l.MaxZoom
}

type builder struct {
	sql  strings.Builder
	args []any
	tile geo.TileID
	date string
	// Parameters shared by the layers, bound when first used: PostgreSQL refuses a statement
	// with a parameter it never sees, since it cannot infer its type.
	tol, pxLon, pxLat, dateP string
	fit                      *affine // nil until computed; fit.ok false: use ST_Transform
	fitP                     [3]string
}

func (b *builder) bind(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// tolerance is the simplification tolerance, one pixel of this tile in EPSG:3857 metres, or ""
// when the tile is too deep to simplify.
func (b *builder) tolerance() string {
	if b.tol == "" && b.tile.Z <= simplifyMaxZoom {
		b.tol = b.bind(b.tile.PixelSize(Extent))
	}
	return b.tol
}

// pixel returns the placeholders of the tile's pixel size in degrees of longitude and latitude,
// the smallest feature worth drawing. The tile's latitude span is taken as a whole, which is
// exact enough for "smaller than a pixel".
func (b *builder) pixel() (lon, lat string) {
	if b.pxLon == "" {
		bound := b.tile.Bound()
		b.pxLon = b.bind((bound.Max[0] - bound.Min[0]) / Extent)
		b.pxLat = b.bind((bound.Max[1] - bound.Min[1]) / Extent)
	}
	return b.pxLon, b.pxLat
}

// toMercator is the SQL projecting column geom (EPSG:4326) to EPSG:3857 for this tile.
//
// ST_Transform goes through PROJ for every feature. Over one tile and its buffer the projection
// is, to well under a tile unit, an affine map: x is exactly proportional to longitude, and y is
// close to a straight line in latitude (the secant through the envelope's edges). When that line
// strays from the true y by at most maxFitError tile units — at the province's latitude, from
// z13 — features lying inside the envelope go through ST_Affine, plain arithmetic, and the rest
// (whose far vertices the line would misplace) through ST_Transform. On a z13 tile of 3,300
// parcels, projecting them costs 1.8 ms of CPU instead of 5.8 ms, about a tenth of the
// statement; TestAffineProjectionMatchesPROJ checks that the tiles match PROJ's to a unit.
func (b *builder) toMercator(geom string) string {
	if b.fit == nil {
		f := fitMercator(b.tile)
		b.fit = &f
		if f.ok {
			b.fitP = [3]string{b.bind(f.ax), b.bind(f.ay), b.bind(f.by)}
		}
	}
	exact := "ST_Transform(" + geom + ", 3857)"
	if !b.fit.ok {
		return exact
	}
	return "CASE WHEN " + geom + " @ env.query THEN ST_Affine(" + geom + ", " + b.fitP[0] + ", 0, 0, " + b.fitP[1] +
		", 0, " + b.fitP[2] + ") ELSE " + exact + " END"
}

// affine maps lon/lat to EPSG:3857 as x = ax·lon, y = ay·lat + by.
type affine struct {
	ax, ay, by float64
	ok         bool // the map is within maxFitError over the tile and its buffer
}

// maxFitError is the largest error, in tile units (1/Extent of the tile side), allowed for the
// affine projection. ST_AsMVTGeom rounds every vertex to a unit, moving it by up to half a unit;
// an eighth of a unit more is invisible. A variable so that tests can compare with PROJ.
var maxFitError = 0.125

const earthRadius = 6378137.0 // EPSG:3857's sphere

func mercatorY(lat float64) float64 {
	return earthRadius * math.Log(math.Tan(math.Pi/4+lat*math.Pi/360))
}

func latitude(y float64) float64 {
	return (2*math.Atan(math.Exp(y/earthRadius)) - math.Pi/2) * 180 / math.Pi
}

// fitMercator computes the secant of the Web Mercator y over the tile's buffered latitude range
// and how far it strays from the true y.
func fitMercator(t geo.TileID) affine {
	mb := t.MercatorBound()
	size := mb.Max[0] - mb.Min[0]
	half := math.Pi * earthRadius
	yS := math.Max(mb.Min[1]-size*margin, -half)
	yN := math.Min(mb.Max[1]+size*margin, half)
	latS, latN := latitude(yS), latitude(yN)
	f := affine{ax: half / 180}
	if latN <= latS {
		return f
	}
	f.ay = (yN - yS) / (latN - latS)
	f.by = yS - f.ay*latS
	var worst float64
	const samples = 64
	for i := 1; i < samples; i++ {
		lat := latS + (latN-latS)*float64(i)/samples
		worst = math.Max(worst, math.Abs(mercatorY(lat)-(f.ay*lat+f.by)))
	}
	f.ok = worst <= maxFitError*size/Extent
	return f
}

func (b *builder) datePlaceholder(layer string) (string, error) {
	if b.dateP == "" {
		if b.date == "" {
			return "", fmt.Errorf("tiles: layer %s has a valid time and no date was given", layer)
		}
		b.dateP = b.bind(b.date) + "::date"
	}
	return b.dateP, nil
}

const (
	rowAlias = "t"
	// The id and geometry columns of the row ST_AsMVT reads. Catalog attribute names are
	// lower-case, so these upper-case names cannot collide with an attribute.
	colID   = `"ID"`
	colGeom = `"GEOM"`
)

func (b *builder) layer(lq LayerQuery) error {
	l := lq.Layer
	if l.Storage != store.StorageTable && l.Storage != store.StorageGeneric {
		return fmt.Errorf("tiles: layer %s: unknown storage %q", l.ID, l.Storage)
	}
	w := &b.sql
	name := b.bind(l.ID)
	t := store.QuoteIdent(rowAlias)
	geom := store.QuoteIdent(rowAlias, "geom")

	w.WriteString("(SELECT coalesce(ST_AsMVT(l, " + name + ", " + strconv.Itoa(Extent) + ", 'GEOM', 'ID'), '') FROM (SELECT ")
	w.WriteString(store.QuoteIdent(rowAlias, "id") + " AS " + colID)
	for _, a := range l.PublicAttributes() {
		w.WriteString(", " + attributeSQL(l, a) + " AS " + store.QuoteIdent(a.Name))
	}
	g := b.toMercator(geom)
	kind := geometryKind(l.GeometryType)
	if kind != kindPoint {
		if tol := b.tolerance(); tol != "" {
			// Douglas-Peucker at one pixel, keeping features that would collapse (the size
			// filter below has already dropped the ones smaller than a pixel).
			g = "ST_Simplify(" + g + ", " + tol + ", true)"
		}
	}
	w.WriteString(", ST_AsMVTGeom(" + g + ", env.tile, " + strconv.Itoa(Extent) + ", " + strconv.Itoa(Buffer) + ", true) AS " + colGeom)
	rel := l.Relation()
	if lq.AsOf && l.Temporal == nil {
		dateP, err := b.datePlaceholder(l.ID)
		if err != nil {
			return err
		}
		// The end of that day in Vietnam: the layer after every change made on the day.
		rel = l.AsOfRelation("((" + dateP + " + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')")
	}
	w.WriteString(" FROM env, " + rel + " AS " + t + " WHERE " + geom + " && env.query")
	if f := l.LayerFilterSQL(rowAlias, len(b.args)+1); f != "" {
		b.args = append(b.args, l.ID)
		w.WriteString(" AND " + f)
	}
	if kind != kindPoint && b.tile.Z <= simplifyMaxZoom {
		// At low zoom, skip features smaller than a pixel in both directions, read from the
		// geometry's stored bounding box. A layer of mixed types keeps its points. (From z13 a
		// pixel is 1.2 m or less: no feature worth a test per row is that small.)
		box := geom + "::box2d"
		pxLon, pxLat := b.pixel()
		w.WriteString(" AND (")
		if kind == kindOther {
			w.WriteString("ST_Dimension(" + geom + ") = 0 OR ")
		}
		w.WriteString("ST_XMax(" + box + ") - ST_XMin(" + box + ") >= " + pxLon +
			" OR ST_YMax(" + box + ") - ST_YMin(" + box + ") >= " + pxLat + ")")
	}
	if l.Temporal != nil {
		start, okS := l.Attribute(l.Temporal.Start)
		end, okE := l.Attribute(l.Temporal.End)
		if !okS || !okE {
			return fmt.Errorf("tiles: layer %s: temporal attributes %q/%q are not in the catalog", l.ID, l.Temporal.Start, l.Temporal.End)
		}
		// Valid time is [start, end): NULL start means since ever, NULL end still valid.
		dateP, err := b.datePlaceholder(l.ID)
		if err != nil {
			return err
		}
		s, e := l.AttributeSQL(rowAlias, start), l.AttributeSQL(rowAlias, end)
		w.WriteString(" AND (" + s + " IS NULL OR " + s + " <= " + dateP + ") AND (" + e + " IS NULL OR " + e + " > " + dateP + ")")
	}
	if lq.Filter != nil {
		pred, args, err := lq.Filter.SQL(rowAlias, len(b.args)+1)
		if err != nil {
			return fmt.Errorf("tiles: layer %s: filter: %w", l.ID, err)
		}
		if pred != "" {
			b.args = append(b.args, args...)
			w.WriteString(" AND (" + pred + ")")
		}
	}
	// ST_AsMVT skips the rows whose geometry ST_AsMVTGeom clipped away (NULL). Filtering them
	// here would make the planner compute ST_AsMVTGeom twice, once in the filter.
	w.WriteString(") AS l)")
	return nil
}

// landUseCodes renders parcels' land_use, a jsonb array of {code, area}, as the codes joined by
// "+" ("ONT+CLN"): MVT values are scalars, and a map styles parcels by their codes. Most parcels
// have one purpose, whose code is read directly; for the others, since codes (land_use_codes)
// are capital letters and digits, translate turns the JSON text ["ONT", "CLN"] into ONT+CLN.
func landUseCodes(e string) string {
	return "CASE WHEN jsonb_array_length(" + e + ") = 1 THEN " + e + " -> 0 ->> 'code' ELSE translate(jsonb_path_query_array(" +
		e + `, '$[*].code')::text, ',[]" ', '+') END`
}

// attributeSQL is the MVT value of attribute a: every value becomes one of the scalar types
// ST_AsMVT encodes natively (text, bigint, double precision, boolean).
func attributeSQL(l *store.Layer, a store.Attribute) string {
	e := l.AttributeSQL(rowAlias, a)
	switch a.Type {
	case "integer":
		return "(" + e + ")::bigint"
	case "number":
		return "(" + e + ")::double precision"
	case "boolean":
		return "(" + e + ")::boolean"
	case "datetime":
		return "to_char((" + e + ")::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	case "json":
		if l.Storage == store.StorageTable && l.ID == "parcels" && a.Name == "land_use" {
			return landUseCodes(e)
		}
		return "(" + e + ")::text"
	default: // string, date
		return "(" + e + ")::text"
	}
}

// FieldType is the TileJSON/MVT type of attribute a as BuildQuery encodes it.
func FieldType(a store.Attribute) string {
	switch a.Type {
	case "integer", "number":
		return "Number"
	case "boolean":
		return "Boolean"
	default:
		return "String"
	}
}

type geomKind int

const (
	kindOther geomKind = iota
	kindPoint
	kindLine
	kindPolygon
)

func geometryKind(t string) geomKind {
	switch strings.ToLower(t) {
	case "point", "multipoint":
		return kindPoint
	case "linestring", "multilinestring":
		return kindLine
	case "polygon", "multipolygon":
		return kindPolygon
	}
	return kindOther
}

// bufferDegrees is the tile buffer at zoom z in degrees of longitude. A degree of latitude is
// never shorter on the Web Mercator grid than a degree of longitude, so it bounds the buffer in
// latitude too.
func bufferDegrees(z uint32) float64 {
	return 360 / float64(uint64(1)<<z) * margin
}
