package cql2

import (
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// Expr is a node of a parsed filter: a boolean expression (And, Or, Not, Comparison, Like,
// Between, In, IsNull, Spatial, DWithin, Bool) or a scalar operand (Property, String, Number,
// Bool, Date, Timestamp, Geometry, BBox, Func).
//
// String renders the node in canonical CQL2 text: parsing it gives back an equal tree, so the
// text can serve as a cache key for a filter however the client spelled it. The one exception
// is a Geometry or BBox literal with its own SRID (from a GML geometry in an FES filter): CQL2
// text has no way to say that, so it renders as its x-first coordinates alone.
type Expr interface {
	String() string
	expr()
}

// And is true when every argument is (two or more arguments).
type And struct{ Args []Expr }

// Or is true when any argument is (two or more arguments).
type Or struct{ Args []Expr }

// Not negates its argument.
type Not struct{ Arg Expr }

// CompareOp is a binary comparison operator.
type CompareOp string

// The comparison operators, spelled as in CQL2 text.
const (
	OpEq CompareOp = "="
	OpNe CompareOp = "<>"
	OpLt CompareOp = "<"
	OpLe CompareOp = "<="
	OpGt CompareOp = ">"
	OpGe CompareOp = ">="
)

// Comparison is Left Op Right.
type Comparison struct {
	Op          CompareOp
	Left, Right Expr
}

// Like is Arg [NOT] LIKE Pattern, with % and _ as wildcards and \ as the escape character.
type Like struct {
	Arg, Pattern Expr
	Not          bool
}

// Between is Arg [NOT] BETWEEN Low AND High, both ends included.
type Between struct {
	Arg, Low, High Expr
	Not            bool
}

// In is Arg [NOT] IN (List...).
type In struct {
	Arg  Expr
	List []Expr
	Not  bool
}

// IsNull is Arg IS [NOT] NULL.
type IsNull struct {
	Arg Expr
	Not bool
}

// SpatialOp is one of the spatial predicates of the CQL2 spatial-functions class.
type SpatialOp string

// The spatial predicates, spelled as in CQL2 text.
const (
	SIntersects SpatialOp = "S_INTERSECTS"
	SEquals     SpatialOp = "S_EQUALS"
	SDisjoint   SpatialOp = "S_DISJOINT"
	STouches    SpatialOp = "S_TOUCHES"
	SWithin     SpatialOp = "S_WITHIN"
	SOverlaps   SpatialOp = "S_OVERLAPS"
	SCrosses    SpatialOp = "S_CROSSES"
	SContains   SpatialOp = "S_CONTAINS"
)

var spatialOps = map[string]SpatialOp{
	"S_INTERSECTS": SIntersects, "S_EQUALS": SEquals, "S_DISJOINT": SDisjoint, "S_TOUCHES": STouches,
	"S_WITHIN": SWithin, "S_OVERLAPS": SOverlaps, "S_CROSSES": SCrosses, "S_CONTAINS": SContains,
}

// Spatial is Op(Left, Right) on two geometries.
type Spatial struct {
	Op          SpatialOp
	Left, Right Expr
}

// DWithin is S_DWITHIN(Left, Right, Distance): the geometries are at most Distance metres apart,
// measured on the WGS 84 ellipsoid. Distances given in kilometres are converted when parsed.
type DWithin struct {
	Left, Right Expr
	Distance    float64
}

// Bool is the literal TRUE or FALSE, as an expression or as an operand.
type Bool struct{ Value bool }

// Property names an attribute of the features (or "geometry").
type Property struct{ Name string }

// String is a character literal.
type String struct{ Value string }

// Number is a numeric literal. Int holds the value when the literal was written as an integer
// that fits in 64 bits (IsInt), so large identifiers keep every digit.
type Number struct {
	Value float64
	Int   int64
	IsInt bool
}

// Date is a DATE('YYYY-MM-DD') literal; Value is midnight UTC of that day.
type Date struct{ Value time.Time }

// Timestamp is a TIMESTAMP('...') literal (RFC 3339).
type Timestamp struct{ Value time.Time }

// Geometry is a geometry literal, WKT in text or GeoJSON in JSON, in the coordinates the client
// wrote (the filter CRS, axis order untouched).
type Geometry struct {
	Geom orb.Geometry
	// SRID, when not 0, is the CRS of this literal alone, whose coordinates are already x
	// (longitude, easting) first: a GML geometry in an FES filter names its own srsName, and the
	// FES parser resolves its axis order. Options.CRS then does not apply to it. The CQL2 parsers
	// leave it 0.
	SRID int
}

// BBox is a BBOX(minx, miny, maxx, maxy) literal in the filter CRS, or, when SRID is not 0, in
// that CRS with x first (as Geometry.SRID).
type BBox struct {
	Bound orb.Bound
	SRID  int
}

// Func is a call of one of the supported scalar functions: CASEI or ACCENTI.
type Func struct {
	Name string // upper case
	Args []Expr
}

func (And) expr()        {}
func (Or) expr()         {}
func (Not) expr()        {}
func (Comparison) expr() {}
func (Like) expr()       {}
func (Between) expr()    {}
func (In) expr()         {}
func (IsNull) expr()     {}
func (Spatial) expr()    {}
func (DWithin) expr()    {}
func (Bool) expr()       {}
func (Property) expr()   {}
func (String) expr()     {}
func (Number) expr()     {}
func (Date) expr()       {}
func (Timestamp) expr()  {}
func (Geometry) expr()   {}
func (BBox) expr()       {}
func (Func) expr()       {}

// Canonical text. Boolean combinations are always parenthesized so that the rendering never
// depends on operator precedence.

func (e And) String() string { return joinArgs(e.Args, " AND ") }
func (e Or) String() string  { return joinArgs(e.Args, " OR ") }
func (e Not) String() string { return "NOT (" + e.Arg.String() + ")" }

func joinArgs(args []Expr, sep string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.String()
	}
	return "(" + strings.Join(parts, sep) + ")"
}

func (e Comparison) String() string {
	return e.Left.String() + " " + string(e.Op) + " " + e.Right.String()
}

func not(b bool) string {
	if b {
		return "NOT "
	}
	return ""
}

func (e Like) String() string {
	return e.Arg.String() + " " + not(e.Not) + "LIKE " + e.Pattern.String()
}

func (e Between) String() string {
	return e.Arg.String() + " " + not(e.Not) + "BETWEEN " + e.Low.String() + " AND " + e.High.String()
}

func (e In) String() string {
	parts := make([]string, len(e.List))
	for i, a := range e.List {
		parts[i] = a.String()
	}
	return e.Arg.String() + " " + not(e.Not) + "IN (" + strings.Join(parts, ", ") + ")"
}

func (e IsNull) String() string { return e.Arg.String() + " IS " + not(e.Not) + "NULL" }

func (e Spatial) String() string {
	return string(e.Op) + "(" + e.Left.String() + ", " + e.Right.String() + ")"
}

func (e DWithin) String() string {
	return "S_DWITHIN(" + e.Left.String() + ", " + e.Right.String() + ", " + formatFloat(e.Distance) + ", meters)"
}

func (e Bool) String() string {
	if e.Value {
		return "TRUE"
	}
	return "FALSE"
}

// String quotes the name unless it is a plain identifier that is not a keyword.
func (e Property) String() string {
	if plainIdentifier(e.Name) {
		return e.Name
	}
	return `"` + strings.ReplaceAll(e.Name, `"`, `""`) + `"`
}

func plainIdentifier(s string) bool {
	if s == "" || reserved[strings.ToUpper(s)] {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (e String) String() string { return "'" + strings.ReplaceAll(e.Value, "'", "''") + "'" }

func (e Number) String() string {
	if e.IsInt {
		return strconv.FormatInt(e.Int, 10)
	}
	return formatFloat(e.Value)
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func (e Date) String() string { return "DATE('" + e.Value.Format(time.DateOnly) + "')" }

func (e Timestamp) String() string {
	return "TIMESTAMP('" + e.Value.Format(time.RFC3339Nano) + "')"
}

func (e Geometry) String() string {
	var b strings.Builder
	writeWKT(&b, e.Geom)
	return b.String()
}

func (e BBox) String() string {
	return "BBOX(" + formatFloat(e.Bound.Min[0]) + ", " + formatFloat(e.Bound.Min[1]) + ", " +
		formatFloat(e.Bound.Max[0]) + ", " + formatFloat(e.Bound.Max[1]) + ")"
}

func (e Func) String() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = a.String()
	}
	return e.Name + "(" + strings.Join(parts, ", ") + ")"
}

// writeWKT writes g as WKT with shortest round-trip numbers, so parsing it back is exact.
func writeWKT(b *strings.Builder, g orb.Geometry) {
	switch g := g.(type) {
	case orb.Point:
		b.WriteString("POINT(")
		writePoint(b, g)
		b.WriteByte(')')
	case orb.MultiPoint:
		b.WriteString("MULTIPOINT")
		writeList(b, g, func(p orb.Point) { writePoints(b, []orb.Point{p}) })
	case orb.LineString:
		b.WriteString("LINESTRING")
		writePoints(b, g)
	case orb.MultiLineString:
		b.WriteString("MULTILINESTRING")
		writeList(b, g, func(l orb.LineString) { writePoints(b, l) })
	case orb.Polygon:
		b.WriteString("POLYGON")
		writeRings(b, g)
	case orb.MultiPolygon:
		b.WriteString("MULTIPOLYGON")
		writeList(b, g, func(p orb.Polygon) { writeRings(b, p) })
	case orb.Collection:
		b.WriteString("GEOMETRYCOLLECTION")
		writeList(b, g, func(m orb.Geometry) { writeWKT(b, m) })
	}
}

// writeList writes items in parentheses, separated by commas.
func writeList[T any](b *strings.Builder, items []T, write func(T)) {
	b.WriteByte('(')
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		write(it)
	}
	b.WriteByte(')')
}

func writePoint(b *strings.Builder, p orb.Point) {
	b.WriteString(formatFloat(p[0]))
	b.WriteByte(' ')
	b.WriteString(formatFloat(p[1]))
}

func writePoints(b *strings.Builder, ps []orb.Point) {
	writeList(b, ps, func(p orb.Point) { writePoint(b, p) })
}

func writeRings(b *strings.Builder, p orb.Polygon) {
	writeList(b, p, func(r orb.Ring) { writePoints(b, r) })
}
