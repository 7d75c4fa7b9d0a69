package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/geo"
)

// This file renders vector tiles: it turns a TileQuery — a description of one tile that package
// tiles fills in after applying its zoom and generalization policy — into the one statement that
// renders it, and runs that statement. The statement is written here, and only here, with the
// layer-reading vocabulary of layersql.go and filters compiled by cql2 through this package's
// resolver: no SQL text crosses the package boundary.

// TileQuery describes one tile for RenderTile. Package tiles decides every value in it; store
// only turns them into SQL.
type TileQuery struct {
	Tile geo.TileID
	// Layers are rendered in this order, each as one MVT layer named after its id; at least one.
	Layers []*Layer
	// Extent is the tile grid in MVT units; Buffer how many units geometry is kept beyond the
	// edge. The query envelope is widened by Buffer/Extent of the tile and ST_AsMVTGeom clips
	// at the same distance.
	Extent, Buffer int
	// Date ("YYYY-MM-DD", a day in Vietnam) selects the features of layers with a valid time
	// (Layer.Temporal) that are valid on that day. It must be set when such a layer is rendered.
	Date string
	// AsOf, if set, renders the layers without a valid time as they were recorded at that instant
	// (from their history) instead of as they are now.
	AsOf *time.Time
	// Simplify is the tolerance, in EPSG:3857 metres, to which lines and polygons are simplified
	// (Douglas-Peucker, keeping features that would collapse) before they are snapped to the
	// grid; 0 means no simplification.
	Simplify float64
	// MinSize, if not zero, leaves out lines and polygons whose bounding box is smaller than it
	// in both directions, in degrees of longitude and latitude. Points are always kept.
	MinSize MinSize
	// Affine, if set, projects the features lying inside the query envelope to EPSG:3857 with
	// plain arithmetic instead of ST_Transform (PROJ); the others still go through PROJ. The
	// caller guarantees the map is close enough to Web Mercator over the envelope.
	Affine *Affine
	// Filter, if set, keeps the rows of every layer that pass it, evaluated on the layer's public
	// attributes (check it first with Layer.CheckFilter). Geometry literals are in FilterCRS
	// (zero: CRS84).
	Filter    cql2.Expr
	FilterCRS geo.CRS
}

// MinSize is a feature size in degrees of longitude and latitude.
type MinSize struct{ Lon, Lat float64 }

// Affine is the map x = XScale·lon, y = YScale·lat + YOffset from degrees to EPSG:3857 metres.
type Affine struct{ XScale, YScale, YOffset float64 }

// ErrNoLayers is returned by RenderTile for a query without layers.
var ErrNoLayers = errors.New("store: tile: no layer to render")

// RenderTile renders the tile q describes with one statement, however many layers it has, and
// returns the MVT, empty when the tile has no feature.
//
// The SQL text depends only on the layers, whether there is a filter and its shape, whether
// there is a date and an as-of instant, and whether simplification, the size filter and the
// affine projection are on — never on the tile's coordinates or the values — so the statements
// pgx prepares and caches per connection are reused from tile to tile.
//
// When ctx ends first — the client went away or the tile's time ran out — the server is asked to
// cancel the statement (see queryTile) and the error wraps ctx's error; a statement the server
// stopped for its own statement_timeout wraps ErrTimeout; a layer locked by an offline import
// wraps ErrLocked.
func (s *Store) RenderTile(ctx context.Context, q TileQuery) ([]byte, error) {
	sql, args, err := tileSQL(q)
	if err != nil {
		return nil, err
	}
	return s.queryTile(ctx, sql, args)
}

// tileSQL writes the statement rendering q and its bind arguments.
//
// One statement per tile: each layer is a scalar subquery producing its own ST_AsMVT, and the
// layers are concatenated with || (concatenated MVT layers are a valid multi-layer tile). The
// query envelope is ST_TileEnvelope with the buffer's margin, clipped to the Web Mercator square
// (without the clip, the margin of a tile on the antimeridian wraps to the other side of the
// world and the envelope misses the tile) and transformed to the columns' SRID (4326), never the
// columns, so the GiST index is used. Only public attributes are read, each as one of the scalar
// types ST_AsMVT encodes natively.
func tileSQL(q TileQuery) (string, []any, error) {
	if len(q.Layers) == 0 {
		return "", nil, ErrNoLayers
	}
	if q.Extent <= 0 || q.Buffer < 0 {
		return "", nil, fmt.Errorf("store: tile: extent %d and buffer %d: want a positive extent", q.Extent, q.Buffer)
	}
	b := &tileBuilder{q: q}
	z, x, y := b.a.add(int32(q.Tile.Z)), b.a.add(int32(q.Tile.X)), b.a.add(int32(q.Tile.Y))
	margin := b.a.add(float64(q.Buffer) / float64(q.Extent))
	w := &b.sql
	w.WriteString("WITH env AS MATERIALIZED (SELECT ST_TileEnvelope(" + z + ", " + x + ", " + y + ") AS tile, ")
	w.WriteString("ST_Transform(ST_ClipByBox2D(ST_TileEnvelope(" + z + ", " + x + ", " + y + ", margin => " + margin +
		"), ST_TileEnvelope(0, 0, 0)), 4326) AS query)\nSELECT ")
	for i, l := range q.Layers {
		if i > 0 {
			w.WriteString("\n || ")
		}
		if err := b.layer(l); err != nil {
			return "", nil, err
		}
	}
	return w.String(), b.a, nil
}

type tileBuilder struct {
	q   TileQuery
	sql strings.Builder
	a   args
	// Parameters shared by the layers, bound when first used: PostgreSQL refuses a statement
	// with a parameter it never sees, since it cannot infer its type.
	tol, pxLon, pxLat, date, asOf string
	fit                           [3]string
}

// shared binds v the first time a shared parameter is used and returns its placeholder.
func (b *tileBuilder) shared(p *string, v any) string {
	if *p == "" {
		*p = b.a.add(v)
	}
	return *p
}

// toMercator is the SQL projecting geometry geom (EPSG:4326) to EPSG:3857: the affine map for
// features inside the query envelope when there is one, ST_Transform otherwise.
func (b *tileBuilder) toMercator(geom string) string {
	exact := "ST_Transform(" + geom + ", 3857)"
	f := b.q.Affine
	if f == nil {
		return exact
	}
	ax := b.shared(&b.fit[0], f.XScale)
	ay := b.shared(&b.fit[1], f.YScale)
	by := b.shared(&b.fit[2], f.YOffset)
	return "CASE WHEN " + geom + " @ env.query THEN ST_Affine(" + geom + ", " + ax + ", 0, 0, " + ay +
		", 0, " + by + ") ELSE " + exact + " END"
}

func (b *tileBuilder) datePlaceholder(layer string) (string, error) {
	if b.q.Date == "" {
		return "", fmt.Errorf("store: tile: layer %s has a valid time and no date was given", layer)
	}
	return b.shared(&b.date, b.q.Date) + "::date", nil
}

const (
	tileAlias = "t"
	// The id and geometry columns of the row ST_AsMVT reads. Catalog attribute names are
	// lower-case, so these upper-case names cannot collide with an attribute.
	mvtID   = `"ID"`
	mvtGeom = `"GEOM"`
)

func (b *tileBuilder) layer(l *Layer) error {
	if l.Storage != StorageTable && l.Storage != StorageGeneric {
		return fmt.Errorf("store: tile: layer %s: unknown storage %q", l.ID, l.Storage)
	}
	q, w := b.q, &b.sql
	extent := strconv.Itoa(q.Extent)
	name := b.a.add(l.ID)
	t := pgx.Identifier{tileAlias}.Sanitize()
	geom := pgx.Identifier{tileAlias, "geom"}.Sanitize()

	w.WriteString("(SELECT coalesce(ST_AsMVT(l, " + name + ", " + extent + ", 'GEOM', 'ID'), '') FROM (SELECT ")
	w.WriteString(pgx.Identifier{tileAlias, "id"}.Sanitize() + " AS " + mvtID)
	for _, a := range l.PublicAttributes() {
		w.WriteString(", " + mvtValue(l, a) + " AS " + pgx.Identifier{a.Name}.Sanitize())
	}
	g := b.toMercator(geom)
	kind := geometryKind(l.GeometryType)
	if kind != kindPoint && q.Simplify > 0 {
		g = "ST_Simplify(" + g + ", " + b.shared(&b.tol, q.Simplify) + ", true)"
	}
	w.WriteString(", ST_AsMVTGeom(" + g + ", env.tile, " + extent + ", " + strconv.Itoa(q.Buffer) + ", true) AS " + mvtGeom)
	rel := l.relation()
	if q.AsOf != nil && l.Temporal == nil {
		rel = l.asOfRelation(b.shared(&b.asOf, *q.AsOf) + "::timestamptz")
	}
	w.WriteString(" FROM env, " + rel + " AS " + t + " WHERE " + geom + " && env.query")
	if f := l.ownRows(tileAlias, &b.a); f != "" {
		w.WriteString(" AND " + f)
	}
	if kind != kindPoint && q.MinSize != (MinSize{}) {
		// Skip features smaller than MinSize in both directions, read from the geometry's stored
		// bounding box. A layer of mixed types keeps its points.
		box := geom + "::box2d"
		lon, lat := b.shared(&b.pxLon, q.MinSize.Lon), b.shared(&b.pxLat, q.MinSize.Lat)
		w.WriteString(" AND (")
		if kind == kindOther {
			w.WriteString("ST_Dimension(" + geom + ") = 0 OR ")
		}
		w.WriteString("ST_XMax(" + box + ") - ST_XMin(" + box + ") >= " + lon +
			" OR ST_YMax(" + box + ") - ST_YMin(" + box + ") >= " + lat + ")")
	}
	if l.Temporal != nil {
		start, okS := l.Attribute(l.Temporal.Start)
		end, okE := l.Attribute(l.Temporal.End)
		if !okS || !okE {
			return fmt.Errorf("store: tile: layer %s: temporal attributes %q/%q are not in the catalog", l.ID, l.Temporal.Start, l.Temporal.End)
		}
		// Valid time is [start, end): NULL start means since ever, NULL end still valid.
		date, err := b.datePlaceholder(l.ID)
		if err != nil {
			return err
		}
		s, e := l.attributeSQL(tileAlias, start), l.attributeSQL(tileAlias, end)
		w.WriteString(" AND (" + s + " IS NULL OR " + s + " <= " + date + ") AND (" + e + " IS NULL OR " + e + " > " + date + ")")
	}
	if q.Filter != nil {
		pred, err := l.filterSQL(tileAlias, nil, q.Filter, q.FilterCRS, &b.a)
		if err != nil {
			return fmt.Errorf("store: tile: layer %s: filter: %w", l.ID, err)
		}
		w.WriteString(" AND (" + pred + ")")
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

// mvtValue is the MVT value of attribute a: every value becomes one of the scalar types
// ST_AsMVT encodes natively (text, bigint, double precision, boolean), as TileFieldType says.
func mvtValue(l *Layer, a Attribute) string {
	e := l.attributeSQL(tileAlias, a)
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
		if l.Storage == StorageTable && l.ID == "parcels" && a.Name == "land_use" {
			return landUseCodes(e)
		}
		return "(" + e + ")::text"
	default: // string, date
		return "(" + e + ")::text"
	}
}

// TileFieldType is the type attribute a has in the tiles RenderTile makes, as TileJSON names
// it: String, Number or Boolean.
func TileFieldType(a Attribute) string {
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

// cancelGrace is how long a statement may keep running after the server was asked to cancel it
// before its connection is abandoned instead.
const cancelGrace = 5 * time.Second

// queryTile runs one tile statement (one row, one bytea column) and returns the tile.
//
// When ctx ends first, the server is asked to cancel the statement (a PostgreSQL cancel
// request), so the backend stops working and the connection goes back to the pool. pgx's default
// of closing the socket would leave the backend rendering a tile nobody reads.
func (s *Store) queryTile(ctx context.Context, sql string, args []any) ([]byte, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: tile: %w", Classify(err))
	}
	defer conn.Release()

	qctx, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()
	cancelled := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(cancelled)
		cctx, done := context.WithTimeout(qctx, cancelGrace)
		defer done()
		if err := conn.Conn().PgConn().CancelRequest(cctx); err != nil {
			abandon() // the server cannot be told: drop the connection instead
			return
		}
		// If the server has not stopped within the grace period, drop the connection.
		time.AfterFunc(cancelGrace, abandon)
	})

	var tile []byte
	err = conn.QueryRow(qctx, sql, args...).Scan(&tile)
	if !stop() {
		// The cancel request is in flight or done. Wait for it, so that it can never reach the
		// connection's next statement once the connection is back in the pool (a backend that
		// is idle when the cancel arrives ignores it).
		<-cancelled
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("store: tile: %w", ctx.Err())
		}
		return nil, fmt.Errorf("store: tile: %w", Classify(err))
	}
	return tile, nil
}
