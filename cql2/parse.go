package cql2

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// MaxDepth bounds the nesting of parentheses, NOT and function calls, so that a hostile filter
// cannot exhaust the stack of the parser or of the database's planner.
const MaxDepth = 64

// MaxDistance is the largest S_DWITHIN distance accepted, in metres: far enough for any query
// within a province, small enough that the index still narrows the search.
const MaxDistance = 1_000_000

// Parse reads a filter in CQL2 text. A *SyntaxError (wrapping ErrSyntax) says where it went wrong.
func Parse(src string) (Expr, error) {
	if !utfValid(src) {
		return nil, textError(src, firstInvalidUTF8(src), "invalid UTF-8")
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	e, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t, "expected AND, OR or the end of the filter but found %s", t.describe())
	}
	return e, nil
}

type parser struct {
	src   string
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token        { return p.toks[p.i] }
func (p *parser) peekAt(n int) token { return p.toks[min(p.i+n, len(p.toks)-1)] }

func (p *parser) advance() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return textError(p.src, t.pos, format, args...)
}

// keyword reports whether t is the (case-insensitive) unquoted word w.
func keyword(t token, w string) bool { return t.kind == tIdent && strings.EqualFold(t.text, w) }

func (p *parser) accept(w string) bool {
	if keyword(p.peek(), w) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) expect(kind tokenKind, what string) (token, error) {
	t := p.peek()
	if t.kind != kind {
		return t, p.errAt(t, "expected %s but found %s", what, t.describe())
	}
	return p.advance(), nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errAt(p.peek(), "the filter is nested more than %d levels deep", MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// list reads one or more items, as long as sep finds a separator after each.
func list[T any](sep func() bool, item func() (T, error)) ([]T, error) {
	var out []T
	for {
		v, err := item()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if !sep() {
			return out, nil
		}
	}
}

// comma reads a comma if one comes next.
func (p *parser) comma() bool {
	if p.peek().kind != tComma {
		return false
	}
	p.advance()
	return true
}

func (p *parser) orExpr() (Expr, error) {
	return p.junction("OR", p.andExpr, func(args []Expr) Expr { return Or{Args: args} })
}

func (p *parser) andExpr() (Expr, error) {
	return p.junction("AND", p.notExpr, func(args []Expr) Expr { return And{Args: args} })
}

// junction reads operands joined by keyword, and joins two or more of them with join.
func (p *parser) junction(keyword string, operand func() (Expr, error), join func([]Expr) Expr) (Expr, error) {
	args, err := list(func() bool { return p.accept(keyword) }, operand)
	switch {
	case err != nil:
		return nil, err
	case len(args) == 1:
		return args[0], nil
	}
	return join(args), nil
}

func (p *parser) notExpr() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	if p.accept("NOT") {
		e, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		return Not{Arg: e}, nil
	}
	return p.primary()
}

func (p *parser) primary() (Expr, error) {
	t := p.peek()
	if t.kind == tLParen {
		p.advance()
		e, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, `")"`); err != nil {
			return nil, err
		}
		return e, nil
	}
	if t.kind == tIdent && p.peekAt(1).kind == tLParen {
		name := strings.ToUpper(t.text)
		if op, ok := spatialOps[name]; ok {
			return p.spatial(op)
		}
		if name == "S_DWITHIN" || name == "DWITHIN" {
			return p.dwithin()
		}
	}
	left, err := p.scalar()
	if err != nil {
		return nil, err
	}
	return p.predicate(t, left)
}

// predicate reads what follows a scalar operand: an operator and its other operands.
func (p *parser) predicate(start token, left Expr) (Expr, error) {
	t := p.peek()
	negated := false
	if keyword(t, "NOT") {
		if n := p.peekAt(1); keyword(n, "LIKE") || keyword(n, "ILIKE") || keyword(n, "BETWEEN") || keyword(n, "IN") {
			p.advance()
			negated = true
			t = p.peek()
		}
	}
	switch {
	case t.kind == tOp && !negated:
		p.advance()
		right, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return Comparison{Op: CompareOp(t.text), Left: left, Right: right}, nil
	case keyword(t, "LIKE"):
		p.advance()
		pat, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return Like{Arg: left, Pattern: pat, Not: negated}, nil
	case keyword(t, "ILIKE"):
		// Not CQL2, but what GDAL and SQL users write; it means CASEI on both sides.
		p.advance()
		pat, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return Like{Arg: Func{Name: "CASEI", Args: []Expr{left}}, Pattern: Func{Name: "CASEI", Args: []Expr{pat}}, Not: negated}, nil
	case keyword(t, "BETWEEN"):
		p.advance()
		lo, err := p.scalar()
		if err != nil {
			return nil, err
		}
		if a := p.peek(); !keyword(a, "AND") {
			return nil, p.errAt(a, "expected AND in BETWEEN but found %s", a.describe())
		}
		p.advance()
		hi, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return Between{Arg: left, Low: lo, High: hi, Not: negated}, nil
	case keyword(t, "IN"):
		p.advance()
		if _, err := p.expect(tLParen, `"(" after IN`); err != nil {
			return nil, err
		}
		items, err := list(p.comma, p.scalar)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, `"," or ")" in the IN list`); err != nil {
			return nil, err
		}
		return In{Arg: left, List: items, Not: negated}, nil
	case keyword(t, "IS"):
		p.advance()
		not := p.accept("NOT")
		if n := p.peek(); !keyword(n, "NULL") {
			return nil, p.errAt(n, "expected NULL after IS but found %s", n.describe())
		}
		p.advance()
		return IsNull{Arg: left, Not: not}, nil
	}
	if b, ok := left.(Bool); ok {
		return b, nil
	}
	if _, ok := left.(Property); ok {
		return nil, p.errAt(t, "expected a comparison (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL) after %s but found %s",
			start.describe(), t.describe())
	}
	return nil, p.errAt(t, "expected a comparison operator but found %s", t.describe())
}

// scalar reads an operand: a property, a literal or a function call.
func (p *parser) scalar() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.peek()
	switch t.kind {
	case tQuotedIdent:
		p.advance()
		return Property{Name: t.text}, nil
	case tString:
		p.advance()
		return String{Value: t.text}, nil
	case tNumber:
		p.advance()
		n, err := parseNumber(t.text)
		if err != nil {
			return nil, p.errAt(t, "%v", err)
		}
		return n, nil
	case tIdent:
		// handled below
	default:
		return nil, p.errAt(t, "expected a property, a value or a function but found %s", t.describe())
	}
	upper := strings.ToUpper(t.text)
	if p.peekAt(1).kind != tLParen {
		switch upper {
		case "TRUE", "FALSE":
			p.advance()
			return Bool{Value: upper == "TRUE"}, nil
		case "NULL":
			return nil, p.errAt(t, "NULL is only allowed in IS [NOT] NULL")
		}
		if reserved[upper] {
			return nil, p.errAt(t, "expected a property or a value but found the keyword %s (quote property names that are keywords: \"%s\")", t.describe(), t.text)
		}
		if isGeometryKeyword(upper) {
			if n := p.peekAt(1); keyword(n, "EMPTY") {
				return nil, p.errAt(n, "empty geometries are not supported")
			} else if keyword(n, "Z") || keyword(n, "M") || keyword(n, "ZM") {
				return nil, p.errAt(n, "only 2D geometries are supported")
			}
		}
		p.advance()
		return Property{Name: t.text}, nil
	}
	switch {
	case isGeometryKeyword(upper):
		g, err := p.geometry()
		if err != nil {
			return nil, err
		}
		return Geometry{Geom: g}, nil
	case upper == "BBOX":
		return p.bbox()
	case upper == "DATE" || upper == "TIMESTAMP":
		return p.temporal(upper)
	case upper == "CASEI" || upper == "ACCENTI":
		p.advance()
		p.advance() // (
		arg, err := p.scalar()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, `")"`); err != nil {
			return nil, err
		}
		return Func{Name: upper, Args: []Expr{arg}}, nil
	case spatialOps[upper] != "" || upper == "S_DWITHIN" || upper == "DWITHIN":
		return nil, p.errAt(t, "%s is a predicate and cannot be used as a value", upper)
	case strings.HasPrefix(upper, "T_") || upper == "INTERVAL":
		return nil, p.errAt(t, "temporal operators (%s) are not supported; compare dates with <, >, BETWEEN", upper)
	case strings.HasPrefix(upper, "A_"):
		return nil, p.errAt(t, "array operators (%s) are not supported", upper)
	}
	return nil, p.errAt(t, "unknown function %s", t.describe())
}

// ParseNumber reads a numeric literal as CQL2 does: an integer that fits in 64 bits keeps
// every digit (IsInt), anything else is a finite float64. Other syntaxes (FES) use it to type
// the text of a literal compared with a number.
func ParseNumber(s string) (Number, error) { return parseNumber(s) }

func parseNumber(s string) (Number, error) {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return Number{Value: float64(i), Int: i, IsInt: true}, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return Number{}, errors.New("number " + quoteShort(s) + " is out of range")
	}
	if f == 0 {
		f = 0 // -0 would render as "-0" and read back as the integer 0
	}
	return Number{Value: f}, nil
}

func (p *parser) number() (float64, error) {
	t, err := p.expect(tNumber, "a number")
	if err != nil {
		return 0, err
	}
	n, err := parseNumber(t.text)
	if err != nil {
		return 0, p.errAt(t, "%v", err)
	}
	return n.Value, nil
}

func (p *parser) temporal(kind string) (Expr, error) {
	p.advance()
	p.advance() // (
	t, err := p.expect(tString, "a quoted "+strings.ToLower(kind))
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tRParen, `")"`); err != nil {
		return nil, err
	}
	if kind == "DATE" {
		d, err := ParseDate(t.text)
		if err != nil {
			return nil, p.errAt(t, "%v", err)
		}
		return Date{Value: d}, nil
	}
	ts, err := ParseTimestamp(t.text)
	if err != nil {
		return nil, p.errAt(t, "%v", err)
	}
	return Timestamp{Value: ts}, nil
}

// ParseDate reads a calendar date, YYYY-MM-DD.
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, errors.New("date " + quoteShort(s) + " is not a valid YYYY-MM-DD date")
	}
	return d, nil
}

// ParseTimestamp reads an RFC 3339 timestamp with a time zone (Z or ±hh:mm).
func ParseTimestamp(s string) (time.Time, error) {
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || ts.Year() < 1 || ts.Year() > 9999 {
		return time.Time{}, errors.New("timestamp " + quoteShort(s) + " is not an RFC 3339 timestamp such as 2025-07-01T00:00:00Z")
	}
	return ts, nil
}

func (p *parser) bbox() (Expr, error) {
	name := p.advance()
	p.advance() // (
	v, err := list(p.comma, p.number)
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tRParen, `"," or ")"`); err != nil {
		return nil, err
	}
	b, err := boundOf(v)
	if err != nil {
		return nil, p.errAt(name, "%v", err)
	}
	return BBox{Bound: b}, nil
}

// boundOf reads the 4 (or 6, with heights that are ignored) numbers of a bbox.
func boundOf(v []float64) (orb.Bound, error) {
	var minx, miny, maxx, maxy float64
	switch len(v) {
	case 4:
		minx, miny, maxx, maxy = v[0], v[1], v[2], v[3]
	case 6:
		minx, miny, maxx, maxy = v[0], v[1], v[3], v[4]
	default:
		return orb.Bound{}, errors.New("BBOX needs 4 numbers (or 6 with heights), got " + strconv.Itoa(len(v)))
	}
	if minx > maxx || miny > maxy {
		return orb.Bound{}, errors.New("BBOX minimum is greater than its maximum")
	}
	return orb.Bound{Min: orb.Point{minx, miny}, Max: orb.Point{maxx, maxy}}, nil
}

func (p *parser) spatial(op SpatialOp) (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	a, b, err := p.geomOperands()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tRParen, `")"`); err != nil {
		return nil, err
	}
	return Spatial{Op: op, Left: a, Right: b}, nil
}

// geomOperands reads the start of a spatial predicate: its name, "(", and two operands
// separated by a comma.
func (p *parser) geomOperands() (a, b Expr, err error) {
	p.advance()
	p.advance() // (
	if a, err = p.scalar(); err != nil {
		return nil, nil, err
	}
	if _, err := p.expect(tComma, `","`); err != nil {
		return nil, nil, err
	}
	if b, err = p.scalar(); err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

func (p *parser) dwithin() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	a, b, err := p.geomOperands()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tComma, `"," and a distance`); err != nil {
		return nil, err
	}
	dt := p.peek()
	d, err := p.number()
	if err != nil {
		return nil, err
	}
	unit := "meters"
	if p.peek().kind == tComma {
		p.advance()
		u := p.peek()
		if u.kind != tIdent && u.kind != tString {
			return nil, p.errAt(u, "expected a unit (meters or kilometers) but found %s", u.describe())
		}
		p.advance()
		unit = u.text
		dt = u
	}
	if _, err := p.expect(tRParen, `")"`); err != nil {
		return nil, err
	}
	m, err := metres(d, unit)
	if err != nil {
		return nil, p.errAt(dt, "%v", err)
	}
	return DWithin{Left: a, Right: b, Distance: m}, nil
}

// metres converts an S_DWITHIN distance to metres and checks its range.
func metres(d float64, unit string) (float64, error) {
	switch strings.ToLower(unit) {
	case "meters", "metres", "meter", "metre", "m":
	case "kilometers", "kilometres", "kilometer", "kilometre", "km":
		d *= 1000
	default:
		return 0, errors.New("unknown distance unit " + quoteShort(unit) + " (use meters or kilometers)")
	}
	if !(d >= 0) || d > MaxDistance {
		return 0, errors.New("S_DWITHIN distance must be between 0 and " + strconv.Itoa(MaxDistance) + " metres")
	}
	return d, nil
}

func isGeometryKeyword(s string) bool {
	switch s {
	case "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION":
		return true
	}
	return false
}

// geometry reads a WKT geometry (2D, not empty) starting at its keyword.
func (p *parser) geometry() (orb.Geometry, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	kw := p.advance()
	kind := strings.ToUpper(kw.text)
	if _, err := p.expect(tLParen, `"("`); err != nil {
		return nil, err
	}
	var g orb.Geometry
	var err error
	switch kind {
	case "POINT":
		g, err = p.coord()
	case "LINESTRING":
		var ls []orb.Point
		ls, err = p.coordList(kw, 2, false)
		g = orb.LineString(ls)
	case "POLYGON":
		g, err = p.rings(kw)
	case "MULTIPOINT":
		var pts []orb.Point
		pts, err = list(p.comma, func() (orb.Point, error) {
			if p.peek().kind != tLParen {
				return p.coord()
			}
			p.advance()
			pt, err := p.coord()
			if err == nil {
				_, err = p.expect(tRParen, `")"`)
			}
			return pt, err
		})
		g = orb.MultiPoint(pts)
	case "MULTILINESTRING":
		var ls []orb.LineString
		ls, err = list(p.comma, func() (orb.LineString, error) {
			if _, err := p.expect(tLParen, `"("`); err != nil {
				return nil, err
			}
			return p.coordList(kw, 2, false)
		})
		g = orb.MultiLineString(ls)
	case "MULTIPOLYGON":
		var polys []orb.Polygon
		polys, err = list(p.comma, func() (orb.Polygon, error) {
			if _, err := p.expect(tLParen, `"("`); err != nil {
				return nil, err
			}
			return p.rings(kw)
		})
		g = orb.MultiPolygon(polys)
	case "GEOMETRYCOLLECTION":
		var c []orb.Geometry
		c, err = list(p.comma, func() (orb.Geometry, error) {
			t := p.peek()
			if t.kind != tIdent || !isGeometryKeyword(strings.ToUpper(t.text)) {
				return nil, p.errAt(t, "expected a geometry in GEOMETRYCOLLECTION but found %s", t.describe())
			}
			if n := p.peekAt(1); n.kind != tLParen {
				return nil, p.errAt(n, "expected \"(\" but found %s (empty and 3D geometries are not supported)", n.describe())
			}
			return p.geometry()
		})
		g = orb.Collection(c)
	}
	if err != nil {
		return nil, err
	}
	if kind != "LINESTRING" && kind != "POLYGON" { // those consumed their ")" already
		if _, err := p.expect(tRParen, `")"`); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func (p *parser) coord() (orb.Point, error) {
	x, err := p.number()
	if err != nil {
		return orb.Point{}, err
	}
	y, err := p.number()
	if err != nil {
		return orb.Point{}, err
	}
	if t := p.peek(); t.kind == tNumber {
		return orb.Point{}, p.errAt(t, "only 2D coordinates are supported")
	}
	return orb.Point{x, y}, nil
}

// coordList reads "x y, x y, ...)" after its opening parenthesis, including the closing one.
func (p *parser) coordList(kw token, minPoints int, ring bool) ([]orb.Point, error) {
	start := p.peek()
	pts, err := list(p.comma, p.coord)
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tRParen, `"," or ")"`); err != nil {
		return nil, err
	}
	if len(pts) < minPoints {
		return nil, p.errAt(start, "%s needs at least %d points, got %d", strings.ToUpper(kw.text), minPoints, len(pts))
	}
	if ring && pts[0] != pts[len(pts)-1] {
		return nil, p.errAt(start, "a polygon ring must end at its first point")
	}
	return pts, nil
}

// rings reads "(ring), (ring))" after a polygon's opening parenthesis, including the closing one.
func (p *parser) rings(kw token) (orb.Polygon, error) {
	poly, err := list(p.comma, func() (orb.Ring, error) {
		if _, err := p.expect(tLParen, `"(" opening a ring`); err != nil {
			return nil, err
		}
		return p.coordList(kw, 4, true)
	})
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tRParen, `"," or ")"`); err != nil {
		return nil, err
	}
	return poly, nil
}

func utfValid(s string) bool { return utf8.ValidString(s) }

func firstInvalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return i
			}
		}
	}
	return len(s)
}
