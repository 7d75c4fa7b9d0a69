package fes

import (
	"encoding/xml"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/geo/gml"
	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

// Namespaces of the two filter encodings.
const (
	NS20 = "http://www.opengis.net/fes/2.0"
	NS11 = "http://www.opengis.net/ogc"
)

// Defaults of Options.
const (
	DefaultGeometryProperty = "geometry"
	DefaultIDProperty       = "id"
)

// Options tune the parsers.
type Options struct {
	// Resolver gives the type of each property named, so that literal text becomes a typed
	// literal, and refuses properties the caller may not use (unknown, personal) as they are
	// read. Use the layer's resolver, the one Compile will use. nil types literals by their
	// look (numbers, true/false, else text) and accepts every name.
	Resolver cql2.Resolver
	// GML reads the geometries: GML.SRS resolves srsName (axis order; nil means
	// gml.Resolver{}), GML.Default is the CRS of geometries without srsName (the query's
	// srsName, or the layer's CRS; zero leaves them to cql2.Options.CRS).
	GML gml.DecodeOptions
	// GeometryProperty is the property of a BBOX that names none; "" means "geometry".
	GeometryProperty string
	// IDProperty is the property resource ids select on; "" means "id".
	IDProperty string
	// TypeName is the feature type the filter applies to ("parcels" or "gisd:parcels").
	// Resource ids of another type match nothing, and a "parcels/sheet_no" path must name it.
	// "" checks neither.
	TypeName string
	// Limits bound the filter document (see ogcxml.Limits; zero fields take its defaults).
	Limits ogcxml.Limits
	// Zone is the time zone of date-times written without an offset; nil means Vietnam
	// (UTC+7, which has no daylight saving).
	Zone *time.Location
	// Locator is the locator of every error: the KVP parameter ("FILTER", the default) or
	// the XML element the WFS reports against.
	Locator string
}

var vietnam = time.FixedZone("ICT", 7*3600)

func (o Options) withDefaults(locator string) Options {
	if o.GeometryProperty == "" {
		o.GeometryProperty = DefaultGeometryProperty
	}
	if o.IDProperty == "" {
		o.IDProperty = DefaultIDProperty
	}
	if o.Zone == nil {
		o.Zone = vietnam
	}
	if o.Locator == "" {
		o.Locator = locator
	}
	if o.GML.SRS == nil {
		o.GML.SRS = gml.Resolver{}.Resolve
	}
	return o
}

// Parse reads a filter document (the value of a FILTER parameter, or a file): its root must be
// a fes:Filter or ogc:Filter.
func Parse(data []byte, opt Options) (cql2.Expr, error) {
	opt = opt.withDefaults("FILTER")
	d, err := ogcxml.NewDecoderBytes(data, opt.Limits)
	if err != nil {
		return nil, locate(err, opt.Locator)
	}
	start, err := ogcxml.Root(d)
	if err != nil {
		return nil, locate(err, opt.Locator)
	}
	e, err := decode(d, start, opt)
	if err != nil {
		return nil, err
	}
	return e, locate(ogcxml.End(d), opt.Locator)
}

// Decode reads the Filter element whose start tag has just been read from d (a decoder made by
// ogcxml.NewDecoder, as the WFS uses for a whole request), up to and including its end tag.
// The limits are those d was made with; opt.Limits does not apply.
func Decode(d *xml.Decoder, start xml.StartElement, opt Options) (cql2.Expr, error) {
	return decode(d, start, opt.withDefaults("Filter"))
}

func decode(d *xml.Decoder, start xml.StartElement, opt Options) (cql2.Expr, error) {
	p := &parser{d: d, opt: opt}
	e, err := p.filter(start)
	return e, locate(err, opt.Locator)
}

// locate sets the locator of an *ogcxml.Error.
func locate(err error, locator string) error {
	var e *ogcxml.Error
	if errors.As(err, &e) {
		e.Locator = locator
		return e
	}
	return err
}

type parser struct {
	d   *xml.Decoder
	opt Options
}

func invalid(format string, args ...any) error { return ogcxml.Invalid("", format, args...) }

// isFilterNS accepts both filter namespaces, no namespace, and the usual prefixes left unbound
// by hand-written KVP filters.
func isFilterNS(n xml.Name) bool {
	switch n.Space {
	case NS20, NS11, "", "fes", "ogc":
		return true
	}
	return false
}

func (p *parser) filter(start xml.StartElement) (cql2.Expr, error) {
	if start.Name.Local != "Filter" || !isFilterNS(start.Name) {
		return nil, invalid("expected a fes:Filter or ogc:Filter element, found <%s>", start.Name.Local)
	}
	var preds []cql2.Expr
	var ids []ResourceID
	err := p.children(start, func(c xml.StartElement) error {
		switch c.Name.Local {
		case "ResourceId", "FeatureId", "GmlObjectId":
			id, err := p.resourceID(c)
			ids = append(ids, id)
			return err
		}
		e, err := p.predicate(c)
		preds = append(preds, e)
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case len(ids) > 0 && len(preds) > 0:
		return nil, invalid("a Filter holds either resource ids or one predicate, not both")
	case len(ids) > 0:
		return IDFilter(ids, p.opt)
	case len(preds) > 1:
		return nil, invalid("a Filter holds one predicate; combine several with <And> or <Or>")
	case len(preds) == 0:
		return nil, ogcxml.Errorf(ogcxml.MissingParameterValue, "", "the Filter is empty")
	}
	return preds[0], nil
}

// children calls fn for each child element of start until its end tag.
func (p *parser) children(start xml.StartElement, fn func(xml.StartElement) error) error {
	return ogcxml.Children(p.d, start, fn)
}

var comparisons = map[string]cql2.CompareOp{
	"PropertyIsEqualTo":              cql2.OpEq,
	"PropertyIsNotEqualTo":           cql2.OpNe,
	"PropertyIsLessThan":             cql2.OpLt,
	"PropertyIsGreaterThan":          cql2.OpGt,
	"PropertyIsLessThanOrEqualTo":    cql2.OpLe,
	"PropertyIsGreaterThanOrEqualTo": cql2.OpGe,
}

var spatialOps = map[string]cql2.SpatialOp{
	"Intersects": cql2.SIntersects, "Within": cql2.SWithin, "Contains": cql2.SContains,
	"Disjoint": cql2.SDisjoint, "Equals": cql2.SEquals, "Touches": cql2.STouches,
	"Crosses": cql2.SCrosses, "Overlaps": cql2.SOverlaps,
}

var temporalOps = map[string]bool{
	"After": true, "Before": true, "Begins": true, "BegunBy": true, "TContains": true, "During": true,
	"EndedBy": true, "Ends": true, "TEquals": true, "Meets": true, "MetBy": true, "TOverlaps": true,
	"OverlappedBy": true, "AnyInteracts": true,
}

func (p *parser) predicate(start xml.StartElement) (cql2.Expr, error) {
	name := start.Name.Local
	if !isFilterNS(start.Name) {
		return nil, invalid("<%s> (namespace %s) is not a filter operator", name, strconv.Quote(start.Name.Space))
	}
	if op, ok := comparisons[name]; ok {
		return p.comparison(start, op)
	}
	if op, ok := spatialOps[name]; ok {
		return p.spatial(start, op)
	}
	switch name {
	case "And", "Or":
		var args []cql2.Expr
		err := p.children(start, func(c xml.StartElement) error {
			e, err := p.predicate(c)
			args = append(args, e)
			return err
		})
		switch {
		case err != nil:
			return nil, err
		case len(args) == 0:
			return nil, invalid("<%s> holds no predicate", name)
		case len(args) == 1:
			return args[0], nil
		case name == "And":
			return cql2.And{Args: args}, nil
		}
		return cql2.Or{Args: args}, nil
	case "Not":
		var arg cql2.Expr
		err := p.children(start, func(c xml.StartElement) error {
			if arg != nil {
				return invalid("<Not> holds more than one predicate")
			}
			var err error
			arg, err = p.predicate(c)
			return err
		})
		if err == nil && arg == nil {
			err = invalid("<Not> holds no predicate")
		}
		if err != nil {
			return nil, err
		}
		return cql2.Not{Arg: arg}, nil
	case "PropertyIsLike":
		return p.like(start)
	case "PropertyIsNull", "PropertyIsNil":
		ops, err := p.operands(start)
		if err != nil {
			return nil, err
		}
		if len(ops) != 1 || ops[0].prop == "" {
			return nil, invalid("<%s> takes one property", name)
		}
		return cql2.IsNull{Arg: cql2.Property{Name: ops[0].prop}}, nil
	case "PropertyIsBetween":
		return p.between(start)
	case "BBOX":
		return p.bbox(start)
	case "DWithin", "Beyond":
		return p.dwithin(start)
	case "ResourceId", "FeatureId", "GmlObjectId":
		return nil, invalid("<%s> may only stand directly in the Filter, not inside an operator", name)
	case "Function":
		return nil, invalid("filter functions are not supported")
	case "Add", "Sub", "Mul", "Div":
		return nil, invalid("arithmetic (<%s>) is not supported", name)
	}
	if temporalOps[name] {
		return nil, invalid("temporal operators (<%s>) are not supported; compare dates with PropertyIsLessThan, PropertyIsBetween ...", name)
	}
	return nil, invalid("unknown filter operator <%s>", name)
}

// operand is one argument of an operator: a property, a literal's text, or a geometry.
type operand struct {
	prop  string      // a ValueReference/PropertyName, resolved
	text  string      // a Literal's text
	isLit bool        // text is set (it may be empty)
	geom  cql2.Expr   // a geometry (cql2.Geometry or cql2.BBox)
	col   cql2.Column // of prop, when the resolver is set
}

// operands reads the expression children of start: ValueReference or PropertyName, Literal,
// or a GML geometry.
func (p *parser) operands(start xml.StartElement) ([]operand, error) {
	var ops []operand
	err := p.children(start, func(c xml.StartElement) error {
		o, err := p.operand(c)
		ops = append(ops, o)
		return err
	})
	return ops, err
}

func (p *parser) operand(c xml.StartElement) (operand, error) {
	if isFilterNS(c.Name) {
		switch c.Name.Local {
		case "ValueReference", "PropertyName":
			text, err := ogcxml.Text(p.d, c)
			if err != nil {
				return operand{}, err
			}
			return p.property(text)
		case "Literal":
			return p.literal(c)
		case "Function":
			return operand{}, invalid("filter functions are not supported")
		case "Add", "Sub", "Mul", "Div":
			return operand{}, invalid("arithmetic (<%s>) is not supported", c.Name.Local)
		}
	}
	if gml.IsGML(c.Name) || c.Name.Space == "" {
		g, err := p.geometry(c)
		return operand{geom: g}, err
	}
	return operand{}, invalid("<%s> is not a property, a literal or a GML geometry", c.Name.Local)
}

// property cleans a ValueReference and checks it with the resolver.
func (p *parser) property(ref string) (operand, error) {
	name, err := propertyName(ref, p.opt.TypeName)
	if err != nil {
		return operand{}, err
	}
	o := operand{prop: name}
	if p.opt.Resolver != nil {
		if o.col, err = p.opt.Resolver.Column(name); err != nil {
			return operand{}, propertyError(name, err)
		}
	}
	return o, nil
}

// propertyError turns a resolver's refusal into an InvalidParameterValue that keeps the cause
// (cql2.ErrProperty) for errors.Is, with the resolver's message when it is a *cql2.Error
// (written for clients) and a generic one otherwise.
func propertyError(name string, err error) error {
	msg := "property " + strconv.Quote(name) + " cannot be used here"
	var ce *cql2.Error
	if errors.As(err, &ce) && ce.Msg != "" {
		msg = ce.Msg
	}
	return &ogcxml.Error{Code: ogcxml.InvalidParameterValue, Msg: msg, Err: err}
}

// propertyName reduces an XPath-like reference to a property name: "ns:prop", "prop",
// "ns:type/ns:prop" (the type must be typeName when that is set) and a leading "./" or "/".
func propertyName(ref, typeName string) (string, error) {
	s := strings.TrimSpace(ref)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "./"), "/")
	if s == "" {
		return "", ogcxml.Errorf(ogcxml.MissingParameterValue, "", "a ValueReference or PropertyName is empty")
	}
	if strings.ContainsAny(s, "[]@()*=|\"' \t\n") || strings.Contains(s, "..") || strings.Contains(s, "//") {
		return "", invalid("property path %s is not supported; name a property, optionally with a prefix (gisd:sheet_no)", quote(ref))
	}
	steps := strings.Split(s, "/")
	switch len(steps) {
	case 1:
	case 2:
		if typeName != "" && local(steps[0]) != local(typeName) {
			return "", invalid("property path %s names the type %s, not %s", quote(ref), quote(local(steps[0])), quote(local(typeName)))
		}
	default:
		return "", invalid("property path %s is not supported; name a property, optionally with a prefix (gisd:sheet_no)", quote(ref))
	}
	name := local(steps[len(steps)-1])
	if name == "" {
		return "", invalid("property path %s has no property name", quote(ref))
	}
	return name, nil
}

// local strips a namespace prefix.
func local(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func quote(s string) string {
	if r := []rune(s); len(r) > 64 {
		s = string(r[:64]) + "…"
	}
	return strconv.Quote(s)
}

// literal reads a Literal: text, or a GML geometry inside it (FES 2.0 allows any content).
func (p *parser) literal(start xml.StartElement) (operand, error) {
	var b strings.Builder
	var geom cql2.Expr
	for {
		t, err := p.d.Token()
		if err != nil {
			return operand{}, ogcxml.FromXML(err)
		}
		switch t := t.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			if geom != nil || strings.TrimSpace(b.String()) != "" {
				return operand{}, invalid("a <Literal> holds either text or one geometry")
			}
			if geom, err = p.geometry(t); err != nil {
				return operand{}, err
			}
		case xml.EndElement:
			if geom != nil {
				if strings.TrimSpace(b.String()) != "" {
					return operand{}, invalid("a <Literal> holds either text or one geometry")
				}
				return operand{geom: geom}, nil
			}
			return operand{text: b.String(), isLit: true}, nil
		}
	}
}

// geometry reads a GML geometry into a literal that carries its SRID (coordinates x first).
func (p *parser) geometry(start xml.StartElement) (cql2.Expr, error) {
	g, err := gml.DecodeElement(p.d, start, p.opt.GML)
	if err != nil {
		return nil, err
	}
	if b, ok := g.Geom.(orb.Bound); ok {
		return cql2.BBox{Bound: b, SRID: g.SRS.SRID}, nil
	}
	return cql2.Geometry{Geom: g.Geom, SRID: g.SRS.SRID}, nil
}

// scalar turns an operand into a cql2 scalar, typing a literal by the column it is compared
// with (t == 0: by its look).
func (p *parser) scalar(o operand, t cql2.Type) (cql2.Expr, error) {
	switch {
	case o.prop != "":
		return cql2.Property{Name: o.prop}, nil
	case o.isLit:
		return typed(o.text, t, p.opt.Zone), nil
	}
	return nil, invalid("a geometry cannot be compared with PropertyIs… operators; use a spatial operator")
}

// typeOf is the type that literals among ops take: that of the first property with a known
// column, 0 when there is none.
func typeOf(ops []operand) cql2.Type {
	for _, o := range ops {
		if o.prop != "" && o.col.Type != 0 {
			return o.col.Type
		}
	}
	return 0
}

func matchCase(start xml.StartElement) bool {
	v, ok := ogcxml.Attr(start, "", "matchCase")
	return !ok || !(strings.TrimSpace(v) == "false" || strings.TrimSpace(v) == "0")
}

// casei wraps both sides in CASEI for matchCase="false" on text.
func casei(a, b cql2.Expr) (cql2.Expr, cql2.Expr) {
	return cql2.Func{Name: "CASEI", Args: []cql2.Expr{a}}, cql2.Func{Name: "CASEI", Args: []cql2.Expr{b}}
}

func (p *parser) comparison(start xml.StartElement, op cql2.CompareOp) (cql2.Expr, error) {
	ops, err := p.operands(start)
	if err != nil {
		return nil, err
	}
	if len(ops) != 2 {
		return nil, invalid("<%s> takes 2 operands, got %d", start.Name.Local, len(ops))
	}
	t := typeOf(ops)
	l, err := p.scalar(ops[0], t)
	if err != nil {
		return nil, err
	}
	r, err := p.scalar(ops[1], t)
	if err != nil {
		return nil, err
	}
	if !matchCase(start) && t == cql2.TypeString {
		l, r = casei(l, r)
	}
	return cql2.Comparison{Op: op, Left: l, Right: r}, nil
}

func (p *parser) between(start xml.StartElement) (cql2.Expr, error) {
	var arg operand
	var lo, hi []operand
	n := 0
	err := p.children(start, func(c xml.StartElement) error {
		n++
		switch c.Name.Local {
		case "LowerBoundary", "UpperBoundary":
			ops, err := p.operands(c)
			if err != nil {
				return err
			}
			if len(ops) != 1 {
				return invalid("<%s> takes one value", c.Name.Local)
			}
			if c.Name.Local == "LowerBoundary" {
				lo = ops
			} else {
				hi = ops
			}
			return nil
		}
		if n != 1 {
			return invalid("unexpected <%s> in <PropertyIsBetween>", c.Name.Local)
		}
		var err error
		arg, err = p.operand(c)
		return err
	})
	if err != nil {
		return nil, err
	}
	if arg.prop == "" && !arg.isLit || lo == nil || hi == nil {
		return nil, invalid("<PropertyIsBetween> takes a value, a <LowerBoundary> and an <UpperBoundary>")
	}
	t := typeOf([]operand{arg, lo[0], hi[0]})
	var out [3]cql2.Expr
	for i, o := range []operand{arg, lo[0], hi[0]} {
		if out[i], err = p.scalar(o, t); err != nil {
			return nil, err
		}
	}
	return cql2.Between{Arg: out[0], Low: out[1], High: out[2]}, nil
}

func (p *parser) like(start xml.StartElement) (cql2.Expr, error) {
	ops, err := p.operands(start)
	if err != nil {
		return nil, err
	}
	if len(ops) != 2 || ops[0].prop == "" || !ops[1].isLit {
		return nil, invalid("<PropertyIsLike> takes a property and a literal pattern")
	}
	pattern, err := likePattern(start, ops[1].text)
	if err != nil {
		return nil, err
	}
	var arg, pat cql2.Expr = cql2.Property{Name: ops[0].prop}, cql2.String{Value: pattern}
	if !matchCase(start) {
		arg, pat = casei(arg, pat)
	}
	return cql2.Like{Arg: arg, Pattern: pat}, nil
}

// spatial reads a binary spatial operator: a property and a geometry, in either order.
func (p *parser) spatial(start xml.StartElement, op cql2.SpatialOp) (cql2.Expr, error) {
	ops, err := p.operands(start)
	if err != nil {
		return nil, err
	}
	if len(ops) != 2 {
		return nil, invalid("<%s> takes a property and a geometry, got %d operands", start.Name.Local, len(ops))
	}
	var args [2]cql2.Expr
	for i, o := range ops {
		if args[i], err = p.spatialOperand(start, o); err != nil {
			return nil, err
		}
	}
	return cql2.Spatial{Op: op, Left: args[0], Right: args[1]}, nil
}

func (p *parser) spatialOperand(start xml.StartElement, o operand) (cql2.Expr, error) {
	switch {
	case o.geom != nil:
		return o.geom, nil
	case o.prop != "":
		return cql2.Property{Name: o.prop}, nil
	}
	return nil, invalid("<%s> needs a property and a GML geometry, not a text literal", start.Name.Local)
}

// bbox reads BBOX: an optional property (the layer's geometry when absent) and an envelope (a
// geometry stands for its envelope).
func (p *parser) bbox(start xml.StartElement) (cql2.Expr, error) {
	ops, err := p.operands(start)
	if err != nil {
		return nil, err
	}
	var prop cql2.Expr = cql2.Property{Name: p.opt.GeometryProperty}
	var box *cql2.BBox
	for _, o := range ops {
		switch {
		case o.prop != "" && len(ops) == 2:
			prop = cql2.Property{Name: o.prop}
		case o.geom != nil && box == nil:
			b := geomBBox(o.geom)
			box = &b
		default:
			return nil, invalid("<BBOX> takes an optional property and an envelope")
		}
	}
	if box == nil {
		return nil, invalid("<BBOX> needs an envelope (gml:Envelope)")
	}
	if p.opt.Resolver != nil && len(ops) == 1 {
		if _, err := p.property(p.opt.GeometryProperty); err != nil {
			return nil, err
		}
	}
	return cql2.Spatial{Op: cql2.SIntersects, Left: prop, Right: *box}, nil
}

func geomBBox(g cql2.Expr) cql2.BBox {
	switch g := g.(type) {
	case cql2.BBox:
		return g
	case cql2.Geometry:
		return cql2.BBox{Bound: g.Geom.Bound(), SRID: g.SRID}
	}
	return cql2.BBox{}
}

// dwithin reads DWithin and Beyond: a property, a geometry and a Distance with its unit.
func (p *parser) dwithin(start xml.StartElement) (cql2.Expr, error) {
	var ops []operand
	dist, seen := 0.0, false
	err := p.children(start, func(c xml.StartElement) error {
		if c.Name.Local == "Distance" && isFilterNS(c.Name) {
			var err error
			dist, err = p.distance(c)
			seen = true
			return err
		}
		o, err := p.operand(c)
		ops = append(ops, o)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(ops) != 2 || !seen {
		return nil, invalid("<%s> takes a property, a geometry and a <Distance>", start.Name.Local)
	}
	var args [2]cql2.Expr
	for i, o := range ops {
		if args[i], err = p.spatialOperand(start, o); err != nil {
			return nil, err
		}
	}
	e := cql2.DWithin{Left: args[0], Right: args[1], Distance: dist}
	if start.Name.Local == "Beyond" {
		return cql2.Not{Arg: e}, nil
	}
	return e, nil
}
