package gml

import (
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

// GML namespaces.
const (
	NS32  = "http://www.opengis.net/gml/3.2"
	NS311 = "http://www.opengis.net/gml"
)

// IsGML reports whether n is an element or attribute of GML: in either GML namespace, or
// written with a "gml" prefix that the document never bound (hand-written KVP filters).
func IsGML(n xml.Name) bool {
	return n.Space == NS32 || n.Space == NS311 || n.Space == "gml"
}

// DefaultMaxPoints bounds the coordinates of one decoded geometry when DecodeOptions does not.
const DefaultMaxPoints = 1_000_000

// DecodeOptions tune decoding.
type DecodeOptions struct {
	// SRS resolves srsName attributes. nil means Resolver{}.Resolve: geo's registry, and
	// EPSG:nnnn x first as WFS clients write it.
	SRS func(name string) (SRS, error)
	// Default is the CRS of coordinates that have no srsName on their element or an ancestor
	// (the query's srsName or the layer's CRS). When it is zero such coordinates are taken as
	// written and Geometry.SRS is zero.
	Default SRS
	// MaxPoints bounds the coordinates of one geometry; 0 means DefaultMaxPoints.
	MaxPoints int
}

// Geometry is a decoded GML geometry.
type Geometry struct {
	// Geom holds the coordinates x first (longitude, easting) whatever the order written.
	// Envelope and Box decode to an orb.Bound; Surface and Curve to Polygon and LineString.
	Geom orb.Geometry
	// SRS is the CRS the coordinates are in: the srsName of the element or an ancestor, else
	// DecodeOptions.Default.
	SRS SRS
	// ID is the gml:id of the element, "" when absent.
	ID string
}

// Decode reads a document whose root element is a GML geometry, through ogcxml.NewDecoder
// with lim.
func Decode(r io.Reader, lim ogcxml.Limits, opt DecodeOptions) (Geometry, error) {
	d := ogcxml.NewDecoder(r, lim)
	start, err := ogcxml.Root(d)
	if err != nil {
		return Geometry{}, err
	}
	g, err := DecodeElement(d, start, opt)
	if err != nil {
		return Geometry{}, err
	}
	return g, ogcxml.End(d)
}

// DecodeElement reads the geometry whose start tag, start, has just been read from d (which
// should come from ogcxml.NewDecoder), up to and including its end tag. Errors are
// *ogcxml.Error: InvalidParameterValue for GML that is well-formed but not acceptable.
func DecodeElement(d *xml.Decoder, start xml.StartElement, opt DecodeOptions) (Geometry, error) {
	if opt.SRS == nil {
		opt.SRS = Resolver{}.Resolve
	}
	if opt.MaxPoints <= 0 {
		opt.MaxPoints = DefaultMaxPoints
	}
	p := &decoder{d: d, opt: opt}
	ctx := context{srs: opt.Default, dim: 2}
	g, srs, err := p.geometry(start, ctx)
	if err != nil {
		return Geometry{}, err
	}
	id, _ := gmlID(start)
	return Geometry{Geom: g, SRS: srs, ID: id}, nil
}

func gmlID(start xml.StartElement) (string, bool) {
	for _, a := range start.Attr {
		if a.Name.Local == "id" && IsGML(a.Name) {
			return a.Value, true
		}
	}
	return "", false
}

// context is what an element inherits from its ancestors.
type context struct {
	srs      SRS
	explicit bool // srs comes from an srsName inside the geometry, not from Default
	dim      int  // srsDimension
}

type decoder struct {
	d      *xml.Decoder
	opt    DecodeOptions
	points int
}

func invalid(el, format string, args ...any) error {
	return ogcxml.Invalid(el, format, args...)
}

// enter applies the srsName and srsDimension of start to ctx.
func (p *decoder) enter(start xml.StartElement, ctx context) (context, error) {
	if name, ok := ogcxml.Attr(start, "", "srsName"); ok && strings.TrimSpace(name) != "" {
		s, err := p.opt.SRS(name)
		if err != nil {
			return ctx, err
		}
		if ctx.explicit && s.SRID != ctx.srs.SRID {
			return ctx, invalid(start.Name.Local, "<%s> is in %s but its enclosing geometry in %s; one geometry must use one CRS",
				start.Name.Local, s.Name(), ctx.srs.Name())
		}
		ctx.srs, ctx.explicit = s, true
	}
	if v, ok := ogcxml.Attr(start, "", "srsDimension"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 2 || n > 4 {
			return ctx, invalid(start.Name.Local, "srsDimension %s is not 2, 3 or 4", quote(v))
		}
		ctx.dim = n
	}
	return ctx, nil
}

// geometry reads any supported geometry element.
func (p *decoder) geometry(start xml.StartElement, ctx context) (orb.Geometry, SRS, error) {
	if !IsGML(start.Name) && start.Name.Space != "" {
		return nil, SRS{}, invalid(start.Name.Local, "<%s> is not a GML geometry (namespace %s)", start.Name.Local, quote(start.Name.Space))
	}
	ctx, err := p.enter(start, ctx)
	if err != nil {
		return nil, SRS{}, err
	}
	var g orb.Geometry
	switch start.Name.Local {
	case "Point":
		g, err = p.point(start, ctx)
	case "LineString":
		var ls []orb.Point
		ls, err = p.pointList(start, ctx, 2)
		g = orb.LineString(ls)
	case "LinearRing", "Ring":
		var r orb.Ring
		r, err = p.ring(start, ctx)
		g = orb.Polygon{r}
	case "Polygon":
		g, err = p.polygon(start, ctx)
	case "Surface":
		g, err = p.surface(start, ctx)
	case "Curve":
		var ls orb.LineString
		ls, err = p.curve(start, ctx)
		g = ls
	case "MultiPoint", "MultiCurve", "MultiLineString", "MultiSurface", "MultiPolygon", "MultiGeometry":
		g, err = p.multi(start, ctx)
	case "Envelope", "Box":
		g, err = p.envelope(start, ctx)
	default:
		return nil, SRS{}, invalid(start.Name.Local, "GML geometry <%s> is not supported (use Point, LineString, Polygon, "+
			"MultiPoint, MultiCurve, MultiSurface, Surface, Curve, Envelope or Box)", start.Name.Local)
	}
	if err != nil {
		return nil, SRS{}, err
	}
	return g, ctx.srs, nil
}

// children calls fn for each child element of start (after start has been read) until its end
// tag. Standard GML object properties (name, description, identifier, metaDataProperty) are
// skipped, and members given by reference (xlink:href) refused.
func (p *decoder) children(start xml.StartElement, fn func(child xml.StartElement) error) error {
	return ogcxml.Children(p.d, start, func(c xml.StartElement) error {
		switch c.Name.Local {
		case "name", "description", "descriptionReference", "identifier", "metaDataProperty":
			return ogcxml.FromXML(p.d.Skip())
		}
		if _, ok := ogcxml.Attr(c, "http://www.w3.org/1999/xlink", "href"); ok {
			return invalid(c.Name.Local, "<%s> refers to a geometry by xlink:href; give the geometry itself", c.Name.Local)
		}
		return fn(c)
	})
}

func unexpected(parent, child xml.StartElement) error {
	return invalid(parent.Name.Local, "unexpected <%s> in <%s>", child.Name.Local, parent.Name.Local)
}

// coords reads the points of a coordinate element (pos, posList, coordinates, coord,
// lowerCorner, upperCorner) already opened by start, swapped to x first.
func (p *decoder) coords(start xml.StartElement, ctx context) ([]orb.Point, error) {
	var pts []orb.Point
	var err error
	switch start.Name.Local {
	case "coord":
		var pt orb.Point
		pt, err = p.coord(start)
		pts = []orb.Point{pt}
	case "coordinates":
		var text string
		if text, err = ogcxml.Text(p.d, start); err == nil {
			pts, err = parseCoordinates(start, text)
		}
	case "pos", "lowerCorner", "upperCorner", "posList":
		if ctx, err = p.enter(start, ctx); err != nil {
			return nil, err
		}
		var text string
		if text, err = ogcxml.Text(p.d, start); err == nil {
			pts, err = parsePosList(start.Name.Local, text, ctx.dim, start.Name.Local != "posList")
		}
	default:
		return nil, invalid(start.Name.Local, "<%s> is not a GML coordinate element", start.Name.Local)
	}
	if err != nil {
		return nil, err
	}
	p.points += len(pts)
	if p.points > p.opt.MaxPoints {
		return nil, invalid(start.Name.Local, "the geometry has more than %d coordinates", p.opt.MaxPoints)
	}
	if ctx.srs.NorthEast {
		for i := range pts {
			pts[i][0], pts[i][1] = pts[i][1], pts[i][0]
		}
	}
	return pts, nil
}

// parsePosList reads white-space separated numbers in tuples of dim and keeps x and y. A
// single position (pos, corners) takes 2 or more numbers whatever dim says, since clients
// write 3D positions without declaring srsDimension.
func parsePosList(el, text string, dim int, single bool) ([]orb.Point, error) {
	nums, err := parseNumbers(el, text)
	if err != nil {
		return nil, err
	}
	if single {
		if len(nums) < 2 || len(nums) > 4 {
			return nil, invalid(el, "<%s> needs 2 coordinates, got %d", el, len(nums))
		}
		return []orb.Point{{nums[0], nums[1]}}, nil
	}
	if len(nums) == 0 || len(nums)%dim != 0 {
		return nil, invalid(el, "<%s> has %d numbers, not a multiple of its dimension %d", el, len(nums), dim)
	}
	pts := make([]orb.Point, len(nums)/dim)
	for i := range pts {
		pts[i] = orb.Point{nums[i*dim], nums[i*dim+1]}
	}
	return pts, nil
}

func parseNumbers(el, text string) ([]float64, error) {
	nums := make([]float64, 0, strings.Count(text, " ")+1)
	for i := 0; i < len(text); {
		for i < len(text) && isSpace(text[i]) {
			i++
		}
		j := i
		for j < len(text) && !isSpace(text[j]) {
			j++
		}
		if j > i {
			f, err := parseCoord(el, text[i:j])
			if err != nil {
				return nil, err
			}
			nums = append(nums, f)
		}
		i = j
	}
	return nums, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func parseCoord(el, s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, invalid(el, "<%s>: %s is not a finite number", el, quote(s))
	}
	return f, nil
}

// parseCoordinates reads GML 2 <coordinates> with its decimal, cs and ts attributes.
func parseCoordinates(start xml.StartElement, text string) ([]orb.Point, error) {
	attr := func(name, def string) string {
		if v, ok := ogcxml.Attr(start, "", name); ok && v != "" {
			return v
		}
		return def
	}
	dec, cs, ts := attr("decimal", "."), attr("cs", ","), attr("ts", " ")
	if dec == cs || dec == ts || cs == ts {
		return nil, invalid("coordinates", "<coordinates> needs distinct decimal, cs and ts separators")
	}
	var tuples []string
	if strings.TrimSpace(ts) == "" {
		// Tuples are separated by white space; tolerate "1, 2 3, 4" by gluing the coordinate
		// separator to its neighbours first.
		if strings.TrimSpace(cs) != "" {
			for strings.Contains(text, cs+" ") || strings.Contains(text, " "+cs) {
				text = strings.ReplaceAll(strings.ReplaceAll(text, cs+" ", cs), " "+cs, cs)
			}
		}
		tuples = strings.Fields(text)
	} else {
		for _, t := range strings.Split(text, ts) {
			if t = strings.TrimSpace(t); t != "" {
				tuples = append(tuples, t)
			}
		}
	}
	if len(tuples) == 0 {
		return nil, invalid("coordinates", "<coordinates> is empty")
	}
	pts := make([]orb.Point, len(tuples))
	for i, t := range tuples {
		parts := strings.Split(t, cs)
		if len(parts) < 2 || len(parts) > 3 {
			return nil, invalid("coordinates", "<coordinates>: tuple %s does not have 2 or 3 coordinates", quote(t))
		}
		for k := 0; k < 2; k++ {
			s := strings.TrimSpace(parts[k])
			if dec != "." {
				s = strings.ReplaceAll(s, dec, ".")
			}
			f, err := parseCoord("coordinates", s)
			if err != nil {
				return nil, err
			}
			pts[i][k] = f
		}
	}
	return pts, nil
}

// coord reads GML 2 <coord><X>..</X><Y>..</Y>[<Z>..</Z>]</coord>.
func (p *decoder) coord(start xml.StartElement) (orb.Point, error) {
	var pt orb.Point
	var got [2]bool
	err := p.children(start, func(c xml.StartElement) error {
		text, err := ogcxml.Text(p.d, c)
		if err != nil {
			return err
		}
		var k int
		switch c.Name.Local {
		case "X":
			k = 0
		case "Y":
			k = 1
		case "Z":
			return nil
		default:
			return unexpected(start, c)
		}
		if pt[k], err = parseCoord(c.Name.Local, strings.TrimSpace(text)); err != nil {
			return err
		}
		got[k] = true
		return nil
	})
	if err == nil && !(got[0] && got[1]) {
		err = invalid("coord", "<coord> needs <X> and <Y>")
	}
	return pt, err
}

func (p *decoder) point(start xml.StartElement, ctx context) (orb.Point, error) {
	var pts []orb.Point
	err := p.children(start, func(c xml.StartElement) error {
		if len(pts) > 0 {
			return invalid("Point", "<Point> has more than one position")
		}
		switch c.Name.Local {
		case "pos", "coordinates", "coord":
			got, err := p.coords(c, ctx)
			pts = got
			return err
		}
		return unexpected(start, c)
	})
	if err != nil {
		return orb.Point{}, err
	}
	if len(pts) != 1 {
		return orb.Point{}, invalid("Point", "<Point> needs exactly one position, got %d", len(pts))
	}
	return pts[0], nil
}

// pointList reads the positions of a LineString, LinearRing or LineStringSegment: a posList,
// a coordinates, or a sequence of pos, coord and pointProperty/pointRep.
func (p *decoder) pointList(start xml.StartElement, ctx context, minPoints int) ([]orb.Point, error) {
	var pts []orb.Point
	lists, singles := 0, 0
	err := p.children(start, func(c xml.StartElement) error {
		switch c.Name.Local {
		case "posList", "coordinates":
			lists++
			got, err := p.coords(c, ctx)
			pts = append(pts, got...)
			return err
		case "pos", "coord":
			singles++
			got, err := p.coords(c, ctx)
			pts = append(pts, got...)
			return err
		case "pointProperty", "pointRep":
			singles++
			return p.children(c, func(pc xml.StartElement) error {
				if pc.Name.Local != "Point" {
					return unexpected(c, pc)
				}
				pctx, err := p.enter(pc, ctx)
				if err != nil {
					return err
				}
				pt, err := p.point(pc, pctx)
				pts = append(pts, pt)
				return err
			})
		}
		return unexpected(start, c)
	})
	if err != nil {
		return nil, err
	}
	if lists > 1 || lists == 1 && singles > 0 {
		return nil, invalid(start.Name.Local, "<%s> mixes a coordinate list with other positions", start.Name.Local)
	}
	if len(pts) < minPoints {
		return nil, invalid(start.Name.Local, "<%s> needs at least %d positions, got %d", start.Name.Local, minPoints, len(pts))
	}
	return pts, nil
}

// ring reads a LinearRing, or a GML 3 Ring made of curve members, and checks it is closed.
func (p *decoder) ring(start xml.StartElement, ctx context) (orb.Ring, error) {
	var pts []orb.Point
	var err error
	if start.Name.Local == "Ring" {
		err = p.children(start, func(c xml.StartElement) error {
			if c.Name.Local != "curveMember" {
				return unexpected(start, c)
			}
			return p.children(c, func(cc xml.StartElement) error {
				g, _, err := p.geometry(cc, ctx)
				if err != nil {
					return err
				}
				ls, ok := g.(orb.LineString)
				if !ok {
					return invalid("Ring", "a <Ring> member must be a LineString or a Curve, not <%s>", cc.Name.Local)
				}
				pts = appendJoined(pts, ls)
				return nil
			})
		})
	} else {
		pts, err = p.pointList(start, ctx, 4)
	}
	if err != nil {
		return nil, err
	}
	if len(pts) < 4 {
		return nil, invalid(start.Name.Local, "a ring needs at least 4 positions, got %d", len(pts))
	}
	if pts[0] != pts[len(pts)-1] {
		return nil, invalid(start.Name.Local, "a ring must end at its first position")
	}
	return orb.Ring(pts), nil
}

// appendJoined appends the points of a segment, dropping its first when it repeats the last
// point already there (consecutive segments share their joint).
func appendJoined(pts []orb.Point, seg []orb.Point) []orb.Point {
	if len(pts) > 0 && len(seg) > 0 && pts[len(pts)-1] == seg[0] {
		seg = seg[1:]
	}
	return append(pts, seg...)
}

// boundary reads one ring property (exterior, interior, outerBoundaryIs, innerBoundaryIs).
func (p *decoder) boundary(prop xml.StartElement, ctx context) (orb.Ring, error) {
	var r orb.Ring
	err := p.children(prop, func(c xml.StartElement) error {
		if r != nil {
			return invalid(prop.Name.Local, "<%s> holds more than one ring", prop.Name.Local)
		}
		if c.Name.Local != "LinearRing" && c.Name.Local != "Ring" {
			return unexpected(prop, c)
		}
		rctx, err := p.enter(c, ctx)
		if err != nil {
			return err
		}
		r, err = p.ring(c, rctx)
		return err
	})
	if err == nil && r == nil {
		err = invalid(prop.Name.Local, "<%s> holds no ring", prop.Name.Local)
	}
	return r, err
}

// polygon reads the rings of a Polygon or a PolygonPatch.
func (p *decoder) polygon(start xml.StartElement, ctx context) (orb.Polygon, error) {
	var poly orb.Polygon
	err := p.children(start, func(c xml.StartElement) error {
		switch c.Name.Local {
		case "exterior", "outerBoundaryIs":
			if len(poly) > 0 {
				return invalid(start.Name.Local, "<%s> has more than one exterior ring, or it follows an interior one", start.Name.Local)
			}
		case "interior", "innerBoundaryIs":
			if len(poly) == 0 {
				return invalid(start.Name.Local, "<%s> has an interior ring before its exterior", start.Name.Local)
			}
		default:
			return unexpected(start, c)
		}
		r, err := p.boundary(c, ctx)
		poly = append(poly, r)
		return err
	})
	if err == nil && len(poly) == 0 {
		err = invalid(start.Name.Local, "<%s> has no exterior ring", start.Name.Local)
	}
	return poly, err
}

// surface reads a Surface with a single planar patch, which is what QGIS writes.
func (p *decoder) surface(start xml.StartElement, ctx context) (orb.Polygon, error) {
	var poly orb.Polygon
	err := p.children(start, func(c xml.StartElement) error {
		if c.Name.Local != "patches" && c.Name.Local != "polygonPatches" {
			return unexpected(start, c)
		}
		return p.children(c, func(pc xml.StartElement) error {
			if pc.Name.Local != "PolygonPatch" {
				return invalid(pc.Name.Local, "surface patch <%s> is not supported; only PolygonPatch is", pc.Name.Local)
			}
			if poly != nil {
				return invalid("Surface", "a <Surface> with more than one patch is not supported")
			}
			var err error
			poly, err = p.polygon(pc, ctx)
			return err
		})
	})
	if err == nil && poly == nil {
		err = invalid("Surface", "<Surface> has no patch")
	}
	return poly, err
}

// curve reads a Curve made of LineStringSegments, joined into one line.
func (p *decoder) curve(start xml.StartElement, ctx context) (orb.LineString, error) {
	var pts []orb.Point
	err := p.children(start, func(c xml.StartElement) error {
		if c.Name.Local != "segments" {
			return unexpected(start, c)
		}
		return p.children(c, func(sc xml.StartElement) error {
			if sc.Name.Local != "LineStringSegment" {
				return invalid(sc.Name.Local, "curve segment <%s> is not supported; only LineStringSegment is", sc.Name.Local)
			}
			seg, err := p.pointList(sc, ctx, 2)
			pts = appendJoined(pts, seg)
			return err
		})
	})
	if err == nil && len(pts) < 2 {
		err = invalid("Curve", "<Curve> needs at least 2 positions")
	}
	return orb.LineString(pts), err
}

// memberKinds maps each multi-geometry to its member properties: the singular one holds one
// geometry, the plural one several.
var memberKinds = map[string][2]string{
	"MultiPoint":      {"pointMember", "pointMembers"},
	"MultiCurve":      {"curveMember", "curveMembers"},
	"MultiLineString": {"lineStringMember", ""},
	"MultiSurface":    {"surfaceMember", "surfaceMembers"},
	"MultiPolygon":    {"polygonMember", ""},
	"MultiGeometry":   {"geometryMember", "geometryMembers"},
}

func (p *decoder) multi(start xml.StartElement, ctx context) (orb.Geometry, error) {
	kinds := memberKinds[start.Name.Local]
	var members []orb.Geometry
	err := p.children(start, func(c xml.StartElement) error {
		one := c.Name.Local == kinds[0]
		if !one && (kinds[1] == "" || c.Name.Local != kinds[1]) {
			return unexpected(start, c)
		}
		n := 0
		err := p.children(c, func(mc xml.StartElement) error {
			if one && n > 0 {
				return invalid(c.Name.Local, "<%s> holds more than one geometry", c.Name.Local)
			}
			n++
			g, _, err := p.geometry(mc, ctx)
			members = append(members, g)
			return err
		})
		if err == nil && one && n == 0 {
			err = invalid(c.Name.Local, "<%s> holds no geometry", c.Name.Local)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	wrong := func(m orb.Geometry) error {
		return invalid(start.Name.Local, "<%s> cannot hold a %s", start.Name.Local, m.GeoJSONType())
	}
	switch start.Name.Local {
	case "MultiPoint":
		out := make(orb.MultiPoint, 0, len(members))
		for _, m := range members {
			pt, ok := m.(orb.Point)
			if !ok {
				return nil, wrong(m)
			}
			out = append(out, pt)
		}
		return out, nil
	case "MultiCurve", "MultiLineString":
		out := make(orb.MultiLineString, 0, len(members))
		for _, m := range members {
			ls, ok := m.(orb.LineString)
			if !ok {
				return nil, wrong(m)
			}
			out = append(out, ls)
		}
		return out, nil
	case "MultiSurface", "MultiPolygon":
		out := make(orb.MultiPolygon, 0, len(members))
		for _, m := range members {
			switch m := m.(type) {
			case orb.Polygon:
				out = append(out, m)
			case orb.MultiPolygon: // a nested MultiSurface, as some writers nest them
				out = append(out, m...)
			default:
				return nil, wrong(m)
			}
		}
		return out, nil
	}
	for _, m := range members {
		if _, ok := m.(orb.Bound); ok {
			return nil, wrong(m)
		}
	}
	return orb.Collection(members), nil
}

// envelope reads an Envelope (lowerCorner and upperCorner, or two pos, or coordinates, or two
// coord) or a GML 2 Box (coordinates or two coord).
func (p *decoder) envelope(start xml.StartElement, ctx context) (orb.Bound, error) {
	var lower, upper []orb.Point
	var pts []orb.Point
	err := p.children(start, func(c xml.StartElement) error {
		got, err := p.coords(c, ctx)
		if err != nil {
			return err
		}
		switch c.Name.Local {
		case "lowerCorner":
			lower = got
		case "upperCorner":
			upper = got
		default:
			pts = append(pts, got...)
		}
		return nil
	})
	if err != nil {
		return orb.Bound{}, err
	}
	if lower != nil || upper != nil {
		if lower == nil || upper == nil || len(pts) > 0 {
			return orb.Bound{}, invalid(start.Name.Local, "<%s> needs one lowerCorner and one upperCorner", start.Name.Local)
		}
		b := orb.Bound{Min: lower[0], Max: upper[0]}
		if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
			return orb.Bound{}, invalid(start.Name.Local, "the lowerCorner of <%s> is above or right of its upperCorner", start.Name.Local)
		}
		return b, nil
	}
	if len(pts) != 2 {
		return orb.Bound{}, invalid(start.Name.Local, "<%s> needs 2 corners, got %d", start.Name.Local, len(pts))
	}
	// Box corners may come in any order.
	return orb.Bound{Min: pts[0], Max: pts[0]}.Extend(pts[1]), nil
}
