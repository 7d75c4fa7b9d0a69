package cql2

import (
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/project"

	"github.com/dongnai-gis/gisd/geo"
)

// Type is the type of a queryable property.
type Type int

// Property types, as the layer catalog names them (string, integer, number, boolean, date,
// datetime) plus geometry.
const (
	TypeString Type = iota + 1
	TypeInteger
	TypeNumber
	TypeBoolean
	TypeDate
	TypeTimestamp
	TypeGeometry
)

func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeInteger:
		return "integer"
	case TypeNumber:
		return "number"
	case TypeBoolean:
		return "boolean"
	case TypeDate:
		return "date"
	case TypeTimestamp:
		return "timestamp"
	case TypeGeometry:
		return "geometry"
	}
	return "unknown"
}

// Column is what a property name resolves to.
type Column struct {
	// SQL is a trusted SQL expression reading the property (built from catalog identifiers by
	// the resolver, never from the filter).
	SQL  string
	Type Type
	// SRID of a geometry column. 4326 means lon/lat storage: S_DWITHIN then measures on the
	// ellipsoid (geography) and prefilters with the column's spatial index.
	SRID int
}

// Resolver maps property names to columns. It returns an error (ideally an *Error wrapping
// ErrProperty that names the property) for any name that is unknown or not queryable.
type Resolver interface {
	Column(name string) (Column, error)
}

// Options tune Compile.
type Options struct {
	// FirstParam is the number of the first bind parameter ($n) the fragment uses, so it can be
	// appended to a query that already has parameters. 0 means 1.
	FirstParam int
	// CRS of the filter's geometry literals (the filter-crs parameter). The zero value means
	// CRS84. With EPSG:4326 the literals are read latitude first, as EPSG defines that CRS.
	CRS geo.CRS
}

// MaxParams bounds the bind parameters of one fragment (PostgreSQL allows 65,535 per statement
// and the enclosing query needs some).
const MaxParams = 60000

// Compile translates e into a SQL boolean expression whose values are all bind parameters,
// numbered from opt.FirstParam, and returns it with their values. Property names go through r.
func Compile(e Expr, r Resolver, opt Options) (string, []any, error) {
	if opt.FirstParam <= 0 {
		opt.FirstParam = 1
	}
	if opt.CRS.SRID == 0 {
		opt.CRS = geo.CRS84
	}
	c := &compiler{r: r, opt: opt, cols: map[string]Column{}}
	var b strings.Builder
	if err := c.boolean(&b, e, 0); err != nil {
		return "", nil, err
	}
	return b.String(), c.args, nil
}

type compiler struct {
	r    Resolver
	opt  Options
	args []any
	cols map[string]Column
}

// param binds v and returns its placeholder with the cast that fixes its SQL type.
func (c *compiler) param(v any, cast string) (string, error) {
	if len(c.args) >= MaxParams {
		return "", typeErr("the filter has more than %d values", MaxParams)
	}
	c.args = append(c.args, v)
	ph := "$" + strconv.Itoa(c.opt.FirstParam+len(c.args)-1)
	if cast != "" {
		ph += "::" + cast
	}
	return ph, nil
}

func (c *compiler) column(name string) (Column, error) {
	if col, ok := c.cols[name]; ok {
		return col, nil
	}
	col, err := c.r.Column(name)
	if err != nil {
		return Column{}, err
	}
	c.cols[name] = col
	return col, nil
}

func (c *compiler) boolean(b *strings.Builder, e Expr, depth int) error {
	if depth > 4*MaxDepth {
		return typeErr("the filter is nested too deeply")
	}
	switch e := e.(type) {
	case And:
		return c.join(b, e.Args, " AND ", depth)
	case Or:
		return c.join(b, e.Args, " OR ", depth)
	case Not:
		b.WriteString("NOT (")
		if err := c.boolean(b, e.Arg, depth+1); err != nil {
			return err
		}
		b.WriteString(")")
		return nil
	case Bool:
		if e.Value {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
		return nil
	case Comparison:
		ops, err := c.operands(string(e.Op), e.Left, e.Right)
		if err != nil {
			return err
		}
		b.WriteString("(" + ops[0] + " " + string(e.Op) + " " + ops[1] + ")")
		return nil
	case Like:
		ops, err := c.operands("LIKE", e.Arg, e.Pattern)
		if err != nil {
			return err
		}
		b.WriteString("(" + ops[0] + " " + not(e.Not) + "LIKE " + ops[1] + ")")
		return nil
	case Between:
		ops, err := c.operands("BETWEEN", e.Arg, e.Low, e.High)
		if err != nil {
			return err
		}
		b.WriteString("(" + ops[0] + " " + not(e.Not) + "BETWEEN " + ops[1] + " AND " + ops[2] + ")")
		return nil
	case In:
		ops, err := c.operands("IN", append([]Expr{e.Arg}, e.List...)...)
		if err != nil {
			return err
		}
		b.WriteString("(" + ops[0] + " " + not(e.Not) + "IN (" + strings.Join(ops[1:], ", ") + "))")
		return nil
	case IsNull:
		x, _, err := c.operand(e.Arg, 0)
		if err != nil {
			return err
		}
		b.WriteString("(" + x + " IS " + not(e.Not) + "NULL)")
		return nil
	case Spatial:
		return c.spatial(b, e)
	case DWithin:
		return c.dwithin(b, e)
	}
	return typeErr("%s is a value, not a condition", e.String())
}

func (c *compiler) join(b *strings.Builder, args []Expr, sep string, depth int) error {
	b.WriteString("(")
	for i, a := range args {
		if i > 0 {
			b.WriteString(sep)
		}
		if err := c.boolean(b, a, depth+1); err != nil {
			return err
		}
	}
	b.WriteString(")")
	return nil
}

// isLiteral reports whether e is a value written in the filter (after CASEI/ACCENTI).
func isLiteral(e Expr) bool {
	switch e := e.(type) {
	case String, Number, Bool, Date, Timestamp:
		return true
	case Func:
		return len(e.Args) == 1 && isLiteral(e.Args[0])
	}
	return false
}

func literalType(e Expr) Type {
	switch e := e.(type) {
	case String:
		return TypeString
	case Number:
		if e.IsInt {
			return TypeInteger
		}
		return TypeNumber
	case Bool:
		return TypeBoolean
	case Date:
		return TypeDate
	case Timestamp:
		return TypeTimestamp
	case Func:
		return TypeString
	}
	return 0
}

// operands compiles the operands of one predicate so that they share a type: properties (and
// functions of them) fix the type, and literals are bound as that type, or refused.
func (c *compiler) operands(op string, es ...Expr) ([]string, error) {
	var anchor Type
	var anchorName string
	for _, e := range es {
		if !isLiteral(e) {
			_, t, err := c.operand(e, 0)
			if err != nil {
				return nil, err
			}
			if anchor == 0 {
				anchor, anchorName = t, e.String()
			} else if !compatible(anchor, t) {
				return nil, typeErr("%s cannot compare %s (%s) with %s (%s)", op, anchorName, anchor, e.String(), t)
			}
		}
	}
	if anchor == 0 {
		anchor, anchorName = literalType(es[0]), es[0].String()
	}
	if anchor == TypeGeometry {
		return nil, typeErr("%s cannot compare geometries; use S_INTERSECTS, S_WITHIN, S_CONTAINS or S_DWITHIN", op)
	}
	if op == "LIKE" && anchor != TypeString {
		return nil, typeErr("LIKE needs text but %s is a %s", anchorName, anchor)
	}
	out := make([]string, len(es))
	for i, e := range es {
		var err error
		if isLiteral(e) {
			out[i], err = c.literal(e, anchor, anchorName)
		} else {
			out[i], _, err = c.operand(e, 0)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func compatible(a, b Type) bool {
	family := func(t Type) Type {
		switch t {
		case TypeInteger:
			return TypeNumber
		case TypeDate:
			return TypeTimestamp
		}
		return t
	}
	return family(a) == family(b)
}

// operand compiles a non-literal scalar: a property or a function of one.
func (c *compiler) operand(e Expr, depth int) (string, Type, error) {
	if depth > MaxDepth {
		return "", 0, typeErr("functions are nested too deeply")
	}
	switch e := e.(type) {
	case Property:
		col, err := c.column(e.Name)
		if err != nil {
			return "", 0, err
		}
		return col.SQL, col.Type, nil
	case Func:
		arg := e.Args[0]
		var x string
		var t Type
		var err error
		if isLiteral(arg) {
			x, err = c.literal(arg, TypeString, e.Name)
			t = TypeString
		} else {
			x, t, err = c.operand(arg, depth+1)
		}
		if err != nil {
			return "", 0, err
		}
		if t != TypeString {
			return "", 0, typeErr("%s needs text but %s is a %s", e.Name, arg.String(), t)
		}
		if e.Name == "CASEI" {
			return "lower(" + x + ")", TypeString, nil
		}
		// gisd_fold (migrations) strips Vietnamese diacritics and lower-cases, so ACCENTI also
		// ignores case.
		return "gisd_fold(" + x + ")", TypeString, nil
	case Geometry, BBox:
		return "", TypeGeometry, typeErr("a geometry can only be used in a spatial function")
	case String, Number, Bool, Date, Timestamp:
		x, err := c.literal(e, literalType(e), e.String())
		return x, literalType(e), err
	}
	return "", 0, typeErr("%s cannot be used as a value", e.String())
}

// literal binds a literal as type t (the type of what it is compared with, named by what).
func (c *compiler) literal(e Expr, t Type, what string) (string, error) {
	if f, ok := e.(Func); ok {
		x, _, err := c.operand(f, 0)
		if err != nil {
			return "", err
		}
		if t != TypeString {
			return "", typeErr("%s is a %s and cannot be compared with text", what, t)
		}
		return x, nil
	}
	mismatch := func(hint string) error {
		return typeErr("%s is a %s and cannot be compared with %s%s", what, t, e.String(), hint)
	}
	switch t {
	case TypeString:
		switch v := e.(type) {
		case String:
			return c.param(v.Value, "text")
		case Number:
			return "", mismatch(" (quote it: '" + v.String() + "')")
		}
		return "", mismatch("")
	case TypeInteger, TypeNumber:
		v, ok := e.(Number)
		if !ok {
			return "", mismatch("")
		}
		if v.IsInt {
			return c.param(v.Int, "bigint")
		}
		return c.param(v.Value, "numeric")
	case TypeBoolean:
		if v, ok := e.(Bool); ok {
			return c.param(v.Value, "boolean")
		}
		return "", mismatch(" (use TRUE or FALSE)")
	case TypeDate, TypeTimestamp:
		switch v := e.(type) {
		case Date:
			return c.param(v.Value, "date")
		case Timestamp:
			return c.param(v.Value, "timestamptz")
		case String:
			// Clients often write dates as plain strings; accept the two unambiguous forms.
			if d, err := ParseDate(v.Value); err == nil {
				return c.param(d, "date")
			}
			if ts, err := ParseTimestamp(v.Value); err == nil {
				return c.param(ts, "timestamptz")
			}
			return "", mismatch(" (write DATE('YYYY-MM-DD') or TIMESTAMP('...Z'))")
		}
		return "", mismatch("")
	}
	return "", mismatch("")
}

var spatialSQL = map[SpatialOp]string{
	SIntersects: "ST_Intersects", SEquals: "ST_Equals", SDisjoint: "ST_Disjoint", STouches: "ST_Touches",
	SWithin: "ST_Within", SOverlaps: "ST_Overlaps", SCrosses: "ST_Crosses", SContains: "ST_Contains",
}

// geomOperand compiles a geometry operand: a geometry property, or a literal transformed from
// the filter CRS to srid (the other operand's SRID) so that the column keeps its index.
func (c *compiler) geomOperand(e Expr, srid int) (string, int, error) {
	switch e := e.(type) {
	case Property:
		col, err := c.column(e.Name)
		if err != nil {
			return "", 0, err
		}
		if col.Type != TypeGeometry {
			return "", 0, typeErr("%s is a %s, not a geometry", e.Name, col.Type)
		}
		return col.SQL, col.SRID, nil
	case Geometry:
		return c.geomLiteral(e.Geom, e.SRID, srid)
	case BBox:
		return c.geomLiteral(e.Bound.ToPolygon(), e.SRID, srid)
	}
	return "", 0, typeErr("%s is not a geometry", e.String())
}

// literalCRS is the CRS of a geometry literal: its own SRID (coordinates already x first) or
// the filter CRS (swapped when that is latitude first).
func (c *compiler) literalCRS(litSRID int) (crs geo.CRS, swap bool, err error) {
	if litSRID == 0 {
		return c.opt.CRS, geo.AxisOrderLatLon(c.opt.CRS), nil
	}
	crs, ok := geo.LookupCRS(litSRID)
	if !ok {
		return geo.CRS{}, false, typeErr("a geometry in EPSG:%d cannot be used: that CRS is not supported", litSRID)
	}
	return crs, false, nil
}

// geomLiteral binds g (in the filter CRS, or in litSRID when that is not 0) as WKB and returns
// SQL yielding it in srid. The conversion sits in an uncorrelated sub-select so PostgreSQL
// computes it once per query (an InitPlan), not once per row.
func (c *compiler) geomLiteral(g orb.Geometry, litSRID, srid int) (string, int, error) {
	crs, swap, err := c.literalCRS(litSRID)
	if err != nil {
		return "", 0, err
	}
	if swap {
		g = SwapXY(g)
	}
	if !crs.Projected && !lonLatInRange(g) {
		return "", 0, typeErr("a geometry in %s has a coordinate outside longitude -180..180, latitude -90..90", crs)
	}
	data, err := wkb.Marshal(g)
	if err != nil {
		return "", 0, typeErr("geometry cannot be encoded: %v", err)
	}
	w, err := c.param(data, "bytea")
	if err != nil {
		return "", 0, err
	}
	s, err := c.param(crs.SRID, "integer")
	if err != nil {
		return "", 0, err
	}
	lit := "ST_GeomFromWKB(" + w + ", " + s + ")"
	if srid == 0 {
		srid = crs.SRID
	}
	if srid != crs.SRID {
		t, err := c.param(srid, "integer")
		if err != nil {
			return "", 0, err
		}
		lit = "ST_Transform(" + lit + ", " + t + ")"
	}
	return "(SELECT " + lit + ")", srid, nil
}

// columnSRID is the SRID of the first geometry property among es, 0 if none.
func (c *compiler) columnSRID(es ...Expr) (int, error) {
	for _, e := range es {
		if p, ok := e.(Property); ok {
			col, err := c.column(p.Name)
			if err != nil {
				return 0, err
			}
			if col.Type != TypeGeometry {
				return 0, typeErr("%s is a %s, not a geometry", p.Name, col.Type)
			}
			return col.SRID, nil
		}
	}
	return 0, nil
}

func (c *compiler) spatial(b *strings.Builder, e Spatial) error {
	l, r, _, err := c.geomOperands(e.Left, e.Right, 0)
	if err != nil {
		return err
	}
	b.WriteString(spatialSQL[e.Op] + "(" + l + ", " + r + ")")
	return nil
}

// geomOperands compiles the two geometry operands of a spatial predicate in the SRID of the
// column among them (def when neither is a column), and returns that SRID.
func (c *compiler) geomOperands(left, right Expr, def int) (l, r string, srid int, err error) {
	if srid, err = c.columnSRID(left, right); err != nil {
		return "", "", 0, err
	}
	if srid == 0 {
		srid = def
	}
	if l, _, err = c.geomOperand(left, srid); err != nil {
		return "", "", 0, err
	}
	if r, _, err = c.geomOperand(right, srid); err != nil {
		return "", "", 0, err
	}
	return l, r, srid, nil
}

// dwithin measures S_DWITHIN distances in metres. Over lon/lat storage that means geography,
// which no geometry index serves; so when one side is a column and the other a literal, a box
// around the literal, wide enough to hold every point within the distance, goes first and lets
// the column's index do the narrowing.
func (c *compiler) dwithin(b *strings.Builder, e DWithin) error {
	l, r, srid, err := c.geomOperands(e.Left, e.Right, geo.SRIDWGS84)
	if err != nil {
		return err
	}
	d, err := c.param(e.Distance, "double precision")
	if err != nil {
		return err
	}
	if srid != geo.SRIDWGS84 {
		// A projected column: its units are metres.
		b.WriteString("ST_DWithin(" + l + ", " + r + ", " + d + ")")
		return nil
	}
	b.WriteString("(ST_DWithin(" + l + "::geography, " + r + "::geography, " + d + ")")
	col, lit := e.Left, e.Right
	colSQL, litSQL := l, r
	if _, ok := col.(Property); !ok {
		col, lit = lit, col
		colSQL, litSQL = r, l
	}
	if _, ok := col.(Property); ok {
		if g := c.literalLonLat(lit); g != nil {
			dx, dy := expansion(g.Bound(), e.Distance)
			px, err := c.param(dx, "double precision")
			if err != nil {
				return err
			}
			py, err := c.param(dy, "double precision")
			if err != nil {
				return err
			}
			b.WriteString(" AND " + colSQL + " && ST_Expand(" + litSQL + ", " + px + ", " + py + ")")
		}
	}
	b.WriteString(")")
	return nil
}

// literalLonLat returns a geometry literal in lon/lat (nil if e is not a literal or cannot be
// converted), for sizing the index prefilter of S_DWITHIN.
func (c *compiler) literalLonLat(e Expr) orb.Geometry {
	var g orb.Geometry
	var litSRID int
	switch e := e.(type) {
	case Geometry:
		g, litSRID = e.Geom, e.SRID
	case BBox:
		g, litSRID = e.Bound, e.SRID
	default:
		return nil
	}
	crs, swap, err := c.literalCRS(litSRID)
	if err != nil {
		return nil
	}
	if swap {
		g = SwapXY(g)
	}
	if crs.SRID == geo.SRIDWGS84 {
		return g
	}
	out, err := geo.Unproject(g, crs.SRID)
	if err != nil {
		return nil
	}
	return out
}

// expansion returns how many degrees of longitude and latitude certainly hold d metres around
// bound b, with 1% to spare: a degree of latitude is at least 110,574 m, a degree of longitude
// at least 111,319 m × cos(latitude) at the latitude farthest from the equator.
func expansion(b orb.Bound, d float64) (dx, dy float64) {
	dy = d * 1.01 / 110574
	lat := math.Max(math.Abs(b.Min[1]), math.Abs(b.Max[1])) + dy
	if lat >= 89 {
		return 360, dy
	}
	dx = d * 1.01 / (111319 * math.Cos(lat*math.Pi/180))
	return min(dx, 360), dy
}

// SwapXY returns a copy of g with x and y exchanged: coordinates written latitude first (as
// EPSG:4326 defines them) become longitude first, as storage and GeoJSON keep them.
func SwapXY(g orb.Geometry) orb.Geometry {
	return project.Geometry(orb.Clone(g), func(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} })
}

func lonLatInRange(g orb.Geometry) bool {
	b := g.Bound()
	return b.Min[0] >= -180 && b.Max[0] <= 180 && b.Min[1] >= -90 && b.Max[1] <= 90
}
