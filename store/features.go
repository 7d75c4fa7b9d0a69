package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/vntime"
)

// This file serves OGC API – Features items: one layer's features selected by bbox, time and a
// CQL2 filter, in any supported CRS, paged by keyset so that a client following next links sees
// every feature exactly once however large the layer and wherever it starts.

// MaxFeatureLimit is the largest page size a client may ask for.
const MaxFeatureLimit = 10000

// SortKey orders features by a queryable property (never geometry).
type SortKey struct {
	Property string
	Desc     bool
}

// TimeRange is a closed interval of time; a zero end is open (".." in OGC API). An instant has
// Start == End.
type TimeRange struct {
	Start, End time.Time
}

// FeatureQuery selects features of one layer.
type FeatureQuery struct {
	Layer *Layer
	// BBox, if set, keeps features intersecting it. It is in BBoxCRS with that CRS's axis order
	// as the client wrote it (latitude first for EPSG:4326).
	BBox    *orb.Bound
	BBoxCRS geo.CRS
	// Time, if set, keeps features whose valid time (Layer.Temporal) intersects it. Dates in the
	// data are legal dates in Vietnam, so an instant is compared by its date in UTC+7.
	Time *TimeRange
	// Filter, if set, is compiled against the layer's queryables; geometry literals are in
	// FilterCRS (zero: CRS84).
	Filter    cql2.Expr
	FilterCRS geo.CRS
	SortBy    []SortKey
	// Visible is what the caller may see (from its key's scopes); nil means the public
	// attributes. Only these can be returned, filtered on or sorted by.
	Visible []Attribute
	// Properties lists the attributes to return (each must be visible); nil means all visible.
	Properties []string
	// CRS of the returned geometries (zero: CRS84). EPSG:4326 coordinates come latitude first.
	CRS   geo.CRS
	Limit int
	// Cursor is the opaque position of a page, from FeaturePage.Next or Prev.
	Cursor string
	// Count asks for NumberMatched.
	Count bool
	// AsOf, if set, reads the layer as it was at that instant (from its history) instead of now.
	AsOf *time.Time
}

// FeaturePage is one page of features, each a GeoJSON Feature object.
type FeaturePage struct {
	Features []json.RawMessage
	// NumberMatched counts every feature the query selects over all pages (-1 when not counted).
	NumberMatched int64
	// Next and Prev are cursors of the following and preceding pages ("" when there is none).
	Next, Prev string
}

// pageCursor is a position between two features in the query's order: the sort key values and
// id of the feature just before it (after=true) or just after it (Before).
type pageCursor struct {
	Before bool      `json:"b,omitempty"`
	Keys   []*string `json:"k,omitempty"`
	ID     int64     `json:"i"`
	Sort   string    `json:"s,omitempty"`
}

func sortSpec(keys []SortKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.Property
		if k.Desc {
			parts[i] = "-" + k.Property
		}
	}
	return strings.Join(parts, ",")
}

func (c pageCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, sort []SortKey) (pageCursor, error) {
	var c pageCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 8192 || json.Unmarshal(b, &c) != nil {
		return c, fmt.Errorf("%w is malformed; use the links of a previous page", ErrCursor)
	}
	if c.Sort != sortSpec(sort) || len(c.Keys) != len(sort) {
		return c, fmt.Errorf("%w belongs to another sortby; use the links of a previous page", ErrCursor)
	}
	return c, nil
}

// CheckCursor reports whether s is a cursor this store made for the sort order.
func CheckCursor(s string, sort []SortKey) error {
	_, err := decodeCursor(s, sort)
	return err
}

// args collects bind parameters.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// sortColumn is a sort key's SQL and the cast that reads its cursor value back.
type sortColumn struct {
	sql, cast string
	desc      bool
}

var castOf = map[cql2.Type]string{
	cql2.TypeString: "text", cql2.TypeInteger: "bigint", cql2.TypeNumber: "numeric",
	cql2.TypeBoolean: "boolean", cql2.TypeDate: "date", cql2.TypeTimestamp: "timestamptz",
}

func (l *Layer) sortColumns(alias string, keys []SortKey, visible []Attribute) ([]sortColumn, error) {
	out := make([]sortColumn, len(keys))
	for i, k := range keys {
		q, ok := l.Queryable(k.Property, visible)
		if !ok || q.Type == cql2.TypeGeometry {
			return nil, fmt.Errorf("store: %w", invalidf("cannot sort %s by %s", l.ID, quoteName(k.Property)))
		}
		out[i] = sortColumn{sql: l.queryableColumn(alias, q).SQL, cast: castOf[q.Type], desc: k.Desc}
	}
	return out, nil
}

// keysetSQL is the predicate "the row comes after (or before) cursor c" in the order of cols
// then id ascending, NULLs last in ascending order as PostgreSQL sorts them.
func keysetSQL(cols []sortColumn, idSQL string, c pageCursor, a *args) string {
	var ors []string
	var eqs []string
	for i, col := range cols {
		v := c.Keys[i]
		// Whether the direction of travel along this key is towards larger values.
		up := col.desc == c.Before
		var beyond string
		switch {
		case v == nil && up:
			beyond = "" // NULLs come last going up: nothing lies beyond a NULL
		case v == nil:
			beyond = col.sql + " IS NOT NULL"
		case up:
			beyond = "(" + col.sql + " > " + a.add(*v) + "::text::" + col.cast + " OR " + col.sql + " IS NULL)"
		default:
			beyond = col.sql + " < " + a.add(*v) + "::text::" + col.cast
		}
		if beyond != "" {
			ors = append(ors, "("+strings.Join(append(slices.Clone(eqs), beyond), " AND ")+")")
		}
		if v == nil {
			eqs = append(eqs, col.sql+" IS NULL")
		} else {
			eqs = append(eqs, col.sql+" = "+a.add(*v)+"::text::"+col.cast)
		}
	}
	op := " > "
	if c.Before {
		op = " < "
	}
	ors = append(ors, "("+strings.Join(append(eqs, idSQL+op+a.add(c.ID)), " AND ")+")")
	return "(" + strings.Join(ors, " OR ") + ")"
}

func orderSQL(cols []sortColumn, idSQL string, reverse bool) string {
	parts := make([]string, 0, len(cols)+1)
	for _, col := range cols {
		if col.desc != reverse {
			parts = append(parts, col.sql+" DESC NULLS FIRST")
		} else {
			parts = append(parts, col.sql+" ASC NULLS LAST")
		}
	}
	if reverse {
		parts = append(parts, idSQL+" DESC")
	} else {
		parts = append(parts, idSQL+" ASC")
	}
	return strings.Join(parts, ", ")
}

// outputGeometrySQL is the row's geometry in crs, with the axis order that CRS defines.
func outputGeometrySQL(geomSQL string, crs geo.CRS, a *args) string {
	g := geomSQL
	if crs.SRID != geo.SRIDWGS84 {
		g = "ST_Transform(" + g + ", " + a.add(crs.SRID) + "::integer)"
	}
	if geo.AxisOrderLatLon(crs) {
		g = "ST_FlipCoordinates(" + g + ")"
	}
	return g
}

// geoJSONDigits keeps about a millimetre: 9 decimals of a degree, 3 of a metre.
func geoJSONDigits(crs geo.CRS) int {
	if crs.Projected {
		return 3
	}
	return 9
}

// bboxSQL is the predicate "the row's geometry intersects b", b in crs with that CRS's axis
// order. A box in another CRS is densified before it is transformed, so its curved outline in
// lon/lat is followed, and the column is never transformed, so its index serves.
func bboxSQL(geomSQL string, b orb.Bound, crs geo.CRS, a *args) (string, error) {
	if geo.AxisOrderLatLon(crs) {
		b = cql2.SwapXY(b).(orb.Bound)
	}
	if !crs.Projected {
		if err := geo.ValidateLonLatBound(b); err != nil {
			return "", fmt.Errorf("store: %w", invalidf("%s", ClientMessage(err)))
		}
	}
	env := "ST_MakeEnvelope(" + a.add(b.Min[0]) + "::float8, " + a.add(b.Min[1]) + "::float8, " +
		a.add(b.Max[0]) + "::float8, " + a.add(b.Max[1]) + "::float8, " + a.add(crs.SRID) + "::integer)"
	if crs.SRID != geo.SRIDWGS84 {
		seg := math.Max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]) / 32
		if seg > 0 {
			env = "ST_Segmentize(" + env + ", " + a.add(seg) + "::float8)"
		}
		env = "ST_Transform(" + env + ", 4326)"
		// Transforming the box is worth doing once per query (an InitPlan), not once per row.
		env = "(SELECT " + env + ")"
	}
	// A lon/lat box stays a plain expression of the parameters, so that the planner sees its
	// size: a large box then pages along the id index instead of sorting every match.
	return "ST_Intersects(" + geomSQL + ", " + env + ")", nil
}

// timeSQL is the predicate "the row's valid time intersects r".
func (l *Layer) timeSQL(alias string, r TimeRange, a *args) (string, error) {
	if l.Temporal == nil {
		return "", fmt.Errorf("store: %w", invalidf("layer %s has no time", l.ID))
	}
	var parts []string
	bound := func(attr string, t time.Time, op string) error {
		at, ok := l.Attribute(attr)
		if !ok {
			return fmt.Errorf("store: layer %s: temporal attribute %s is not in the catalog", l.ID, attr)
		}
		col := l.attributeSQL(alias, at)
		var v string
		if at.Type == "date" {
			v = a.add(vntime.Date(t)) + "::text::date"
		} else {
			v = a.add(t) + "::timestamptz"
		}
		parts = append(parts, "("+col+" IS NULL OR "+col+op+v+")")
		return nil
	}
	// Valid time is [start, end): a feature intersects [r.Start, r.End] if it starts no later
	// than r.End and ends after r.Start.
	if !r.End.IsZero() && l.Temporal.Start != "" {
		if err := bound(l.Temporal.Start, r.End, " <= "); err != nil {
			return "", err
		}
	}
	if !r.Start.IsZero() && l.Temporal.End != "" {
		if err := bound(l.Temporal.End, r.Start, " > "); err != nil {
			return "", err
		}
	}
	if len(parts) == 0 {
		return "TRUE", nil
	}
	return strings.Join(parts, " AND "), nil
}

// selectedAttributes resolves names against the attributes visible (nil: the public ones);
// nil names means all of them.
func (l *Layer) selectedAttributes(names []string, visible []Attribute) ([]Attribute, error) {
	if visible == nil {
		visible = l.PublicAttributes()
	}
	if names == nil {
		return visible, nil
	}
	out := make([]Attribute, 0, len(names))
	for _, n := range names {
		i := slices.IndexFunc(visible, func(a Attribute) bool { return a.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("store: %w", invalidf("%s has no property %s the caller may see", l.ID, quoteName(n)))
		}
		out = append(out, visible[i])
	}
	return out, nil
}

// whereSQL is the predicates of q other than the page position.
func (q *FeatureQuery) whereSQL(alias string, a *args) ([]string, error) {
	l := q.Layer
	var where []string
	if f := l.ownRows(alias, a); f != "" {
		where = append(where, f)
	}
	geomSQL := pgx.Identifier{alias, "geom"}.Sanitize()
	if q.BBox != nil {
		crs := q.BBoxCRS
		if crs.SRID == 0 {
			crs = geo.CRS84
		}
		w, err := bboxSQL(geomSQL, *q.BBox, crs, a)
		if err != nil {
			return nil, err
		}
		where = append(where, w)
	}
	if q.Time != nil {
		w, err := l.timeSQL(alias, *q.Time, a)
		if err != nil {
			return nil, err
		}
		where = append(where, w)
	}
	if q.Filter != nil {
		w, err := l.filterSQL(alias, q.Visible, q.Filter, q.FilterCRS, a)
		if err != nil {
			return nil, fmt.Errorf("store: filter on %s: %w", l.ID, Classify(err))
		}
		where = append(where, w)
	}
	return where, nil
}

func whereClause(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(where, " AND ")
}

// Features returns one page of q. Filter errors wrap cql2.ErrProperty or cql2.ErrType; a bad
// cursor wraps ErrCursor; other invalid input wraps ErrInvalid.
func (s *Store) Features(ctx context.Context, q FeatureQuery) (FeaturePage, error) {
	l := q.Layer
	if l == nil {
		return FeaturePage{}, fmt.Errorf("store: features: %w", invalidf("no layer"))
	}
	if q.Limit < 1 || q.Limit > MaxFeatureLimit {
		return FeaturePage{}, fmt.Errorf("store: features: %w", invalidf("limit %d outside 1..%d", q.Limit, MaxFeatureLimit))
	}
	if q.CRS.SRID == 0 {
		q.CRS = geo.CRS84
	}
	const alias = "t"
	idSQL := pgx.Identifier{alias, "id"}.Sanitize()
	cols, err := l.sortColumns(alias, q.SortBy, q.Visible)
	if err != nil {
		return FeaturePage{}, err
	}
	attrs, err := l.selectedAttributes(q.Properties, q.Visible)
	if err != nil {
		return FeaturePage{}, err
	}
	var cur *pageCursor
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, q.SortBy)
		if err != nil {
			return FeaturePage{}, err
		}
		cur = &c
	}

	var a args
	rel := l.relation()
	if q.AsOf != nil {
		rel = l.asOfRelation(a.add(*q.AsOf) + "::timestamptz")
	}
	where, err := q.whereSQL(alias, &a)
	if err != nil {
		return FeaturePage{}, err
	}
	countSQL := `SELECT count(*) FROM ` + rel + ` AS ` + alias + whereClause(where)
	countArgs := slices.Clone(a)

	before := cur != nil && cur.Before
	if cur != nil {
		where = append(where, keysetSQL(cols, idSQL, *cur, &a))
	}
	keys := make([]string, len(cols))
	for i, c := range cols {
		keys[i] = c.sql + "::text"
	}
	geom := outputGeometrySQL(pgx.Identifier{alias, "geom"}.Sanitize(), q.CRS, &a)
	feature := `json_build_object('type', 'Feature', 'id', ` + idSQL + `, 'geometry', ST_AsGeoJSON(` + geom + `, ` +
		strconv.Itoa(geoJSONDigits(q.CRS)) + `, 0)::json, 'properties', ` + propertiesSQL(l, alias, attrs) + `)::text`
	pageSQL := `SELECT ` + strings.Join(append(append([]string{idSQL}, keys...), feature), ", ") +
		` FROM ` + rel + ` AS ` + alias + whereClause(where) +
		` ORDER BY ` + orderSQL(cols, idSQL, before) + ` LIMIT ` + a.add(q.Limit+1)

	page := FeaturePage{NumberMatched: -1}
	type row struct {
		id      int64
		keys    []*string
		feature []byte
	}
	var rows []row
	batch := &pgx.Batch{}
	if q.Count {
		batch.Queue(countSQL, countArgs...).QueryRow(func(r pgx.Row) error { return r.Scan(&page.NumberMatched) })
	}
	batch.Queue(pageSQL, a...).Query(func(rs pgx.Rows) error {
		for rs.Next() {
			r := row{keys: make([]*string, len(cols))}
			dest := make([]any, 0, len(cols)+2)
			dest = append(dest, &r.id)
			for i := range r.keys {
				dest = append(dest, &r.keys[i])
			}
			dest = append(dest, &r.feature)
			if err := rs.Scan(dest...); err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return rs.Err()
	})
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return FeaturePage{}, fmt.Errorf("store: features of %s: %w", l.ID, Classify(err))
	}

	more := len(rows) > q.Limit
	if more {
		rows = rows[:q.Limit]
	}
	if before {
		slices.Reverse(rows)
	}
	page.Features = make([]json.RawMessage, len(rows))
	for i, r := range rows {
		page.Features[i] = r.feature
	}
	if len(rows) > 0 {
		spec := sortSpec(q.SortBy)
		first, last := rows[0], rows[len(rows)-1]
		if (!before && more) || before {
			page.Next = pageCursor{Keys: last.keys, ID: last.id, Sort: spec}.encode()
		}
		if (before && more) || (!before && cur != nil) {
			page.Prev = pageCursor{Before: true, Keys: first.keys, ID: first.id, Sort: spec}.encode()
		}
	}
	return page, nil
}

// Feature returns one feature of l as a GeoJSON Feature in crs with the given properties (nil:
// all of visible, which nil means the public attributes). It wraps ErrNotFound when there is no
// such feature.
func (s *Store) Feature(ctx context.Context, l *Layer, id int64, crs geo.CRS, properties []string, visible []Attribute) (json.RawMessage, error) {
	if crs.SRID == 0 {
		crs = geo.CRS84
	}
	attrs, err := l.selectedAttributes(properties, visible)
	if err != nil {
		return nil, err
	}
	const alias = "t"
	var a args
	where := []string{pgx.Identifier{alias, "id"}.Sanitize() + " = " + a.add(id)}
	if f := l.ownRows(alias, &a); f != "" {
		where = append(where, f)
	}
	geom := outputGeometrySQL(pgx.Identifier{alias, "geom"}.Sanitize(), crs, &a)
	sql := `SELECT json_build_object('type', 'Feature', 'id', ` + pgx.Identifier{alias, "id"}.Sanitize() +
		`, 'geometry', ST_AsGeoJSON(` + geom + `, ` + strconv.Itoa(geoJSONDigits(crs)) + `, 0)::json, 'properties', ` +
		propertiesSQL(l, alias, attrs) + `)::text FROM ` + l.relation() + ` AS ` + alias + whereClause(where)
	var out []byte
	if err := s.pool.QueryRow(ctx, sql, a...).Scan(&out); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("store: %w", clientError(ErrNotFound, "no feature %d in %s", id, l.ID))
		}
		return nil, fmt.Errorf("store: %s feature %d: %w", l.ID, id, Classify(err))
	}
	return out, nil
}

// TemporalExtent is the span of a temporal layer's valid time: the earliest start and the
// latest end, each nil when open (a unit valid "since before our records" or "still").
func (s *Store) TemporalExtent(ctx context.Context, l *Layer) (start, end *time.Time, err error) {
	if l.Temporal == nil {
		return nil, nil, nil
	}
	sa, ok1 := l.Attribute(l.Temporal.Start)
	ea, ok2 := l.Attribute(l.Temporal.End)
	if !ok1 || !ok2 {
		return nil, nil, fmt.Errorf("store: layer %s: temporal attributes are not in the catalog", l.ID)
	}
	const alias = "t"
	var a args
	where := ""
	if f := l.ownRows(alias, &a); f != "" {
		where = " WHERE " + f
	}
	s1, e1 := l.attributeSQL(alias, sa), l.attributeSQL(alias, ea)
	// An open end anywhere makes the extent open on that side.
	sql := `SELECT CASE WHEN bool_or(` + s1 + ` IS NULL) THEN NULL ELSE min(` + s1 + `)::timestamptz END,
		CASE WHEN bool_or(` + e1 + ` IS NULL) THEN NULL ELSE max(` + e1 + `)::timestamptz END
		FROM ` + l.relation() + ` AS ` + alias + where
	if err := s.pool.QueryRow(ctx, sql, a...).Scan(&start, &end); err != nil {
		return nil, nil, fmt.Errorf("store: temporal extent of %s: %w", l.ID, Classify(err))
	}
	return start, end, nil
}
