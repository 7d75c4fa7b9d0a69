package ogr

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/geo"
)

// wktNode is one WKT1 element: KEYWORD["text", 1.5, CHILD[...], BARE]. Values are kept as text
// in order; children in order.
type wktNode struct {
	key  string
	vals []string
	kids []*wktNode
}

func (n *wktNode) child(key string) *wktNode {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if strings.EqualFold(k.key, key) {
			return k
		}
	}
	return nil
}

func (n *wktNode) val(i int) string {
	if n == nil || i >= len(n.vals) {
		return ""
	}
	return n.vals[i]
}

// parseWKT parses WKT1 (as GDAL prints it with -wkt_format WKT1). It accepts [] and () as
// brackets, and reports false on anything malformed.
func parseWKT(s string) (*wktNode, bool) {
	p := &wktParser{s: s}
	n, ok := p.node(0)
	if !ok {
		return nil, false
	}
	p.space()
	return n, p.i == len(p.s)
}

type wktParser struct {
	s string
	i int
}

func (p *wktParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *wktParser) word() string {
	p.space()
	start := p.i
	for p.i < len(p.s) && strings.IndexByte("[](),\" \t\r\n", p.s[p.i]) < 0 {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *wktParser) node(depth int) (*wktNode, bool) {
	if depth > 32 {
		return nil, false
	}
	n := &wktNode{key: p.word()}
	if n.key == "" {
		return nil, false
	}
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '[' && p.s[p.i] != '(') {
		return nil, false
	}
	p.i++
	for {
		p.space()
		if p.i >= len(p.s) {
			return nil, false
		}
		switch c := p.s[p.i]; {
		case c == '"':
			end := strings.IndexByte(p.s[p.i+1:], '"')
			if end < 0 {
				return nil, false
			}
			n.vals = append(n.vals, p.s[p.i+1:p.i+1+end])
			p.i += end + 2
		default:
			save := p.i
			w := p.word()
			p.space()
			if p.i < len(p.s) && (p.s[p.i] == '[' || p.s[p.i] == '(') {
				p.i = save
				k, ok := p.node(depth + 1)
				if !ok {
					return nil, false
				}
				n.kids = append(n.kids, k)
			} else if w != "" {
				n.vals = append(n.vals, w)
			} else {
				return nil, false
			}
		}
		p.space()
		if p.i >= len(p.s) {
			return nil, false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']', ')':
			p.i++
			return n, true
		default:
			return nil, false
		}
	}
}

// vn2000ToWGS84 are VN-2000's Helmert parameters as EPSG gives them (position vector).
var vn2000ToWGS84 = [7]float64{-191.90441429, -39.30318279, -111.45032835, 0.00928836, -0.01975479, 0.00427372, 0.252906278}

// datumKind classifies a GEOGCS's datum.
type datumKind int

const (
	datumOther datumKind = iota
	datumVN2000
	datumWGS84 // WGS 84 by name, with no shift: how many VN-2000 .prj files describe the datum
)

func classifyDatum(geogcs *wktNode) datumKind {
	d := geogcs.child("DATUM")
	if d == nil {
		return datumOther
	}
	name := strings.ToLower(d.val(0) + " " + geogcs.val(0))
	folded := strings.NewReplacer("-", "", "_", "", " ", "", ".", "").Replace(name)
	if strings.Contains(folded, "vn2000") || strings.Contains(folded, "vietnam2000") {
		return datumVN2000
	}
	sph := d.child("SPHEROID")
	a, _ := strconv.ParseFloat(sph.val(1), 64)
	rf, _ := strconv.ParseFloat(sph.val(2), 64)
	wgs84Ellipsoid := math.Abs(a-6378137) < 0.01 && math.Abs(rf-298.257223563) < 1e-6
	if t := d.child("TOWGS84"); t != nil && wgs84Ellipsoid {
		var v [7]float64
		for i := range min(len(t.vals), 7) {
			v[i], _ = strconv.ParseFloat(t.vals[i], 64)
		}
		if isVN2000Shift(v) {
			return datumVN2000
		}
		if v != [7]float64{} {
			return datumOther
		}
	}
	if wgs84Ellipsoid && (strings.Contains(folded, "wgs84") || strings.Contains(folded, "wgs1984")) {
		return datumWGS84
	}
	return datumOther
}

// isVN2000Shift accepts VN-2000's shift in either rotation convention (MapInfo and some ESRI
// files write the coordinate-frame signs) and the rounded 3-parameter shifts in circulation.
func isVN2000Shift(v [7]float64) bool {
	for i := range 3 {
		if math.Abs(v[i]-vn2000ToWGS84[i]) > 5 { // metres
			return false
		}
	}
	for i := 3; i < 6; i++ {
		if v[i] != 0 && math.Abs(math.Abs(v[i])-math.Abs(vn2000ToWGS84[i])) > 0.001 {
			return false
		}
	}
	return true
}

// crsChoice is how a layer's CRS was resolved.
type crsChoice struct {
	epsg      int    // in the geo registry; 0 when the layer has no CRS
	reproject bool   // not in the registry: GDAL converts to EPSG:4326 (epsg is 4326)
	from      string // the file's CRS, for the note ("EPSG:32648" or the WKT name)
	note      string
}

// resolveCRS maps the layer's CRS (WKT1 as GDAL prints it, "" for none) to an EPSG code of the
// geo registry. It matches, in order: an EPSG authority in the registry; for a transverse
// Mercator on the WGS 84 ellipsoid, the parameters of a VN-2000 zone (central meridian, scale
// 0.9999 for TM-3 and 0.9996 for UTM 48N/49N, false easting 500 km, false northing 0) with a
// datum named VN-2000, carrying VN-2000's shift, or named WGS 84 (as most hand-made VN-2000
// .prj files do; no WGS 84 CRS has a 0.9999 scale in Vietnam); geographic WGS 84 or VN-2000.
// A CRS with an EPSG authority outside the registry and no VN-2000 datum (WGS 84 / UTM 48N) is
// converted by GDAL. Anything else is unknown: ok is false and desc describes it.
func resolveCRS(wkt string) (c crsChoice, desc string, ok bool) {
	if strings.TrimSpace(wkt) == "" {
		return crsChoice{}, "", true
	}
	root, parsed := parseWKT(wkt)
	if !parsed {
		return crsChoice{}, "a CRS definition GDAL printed but gisd cannot read", false
	}
	if root.key == "COMPD_CS" { // horizontal + vertical: the horizontal part decides
		if h := root.child("PROJCS"); h != nil {
			root = h
		} else if h := root.child("GEOGCS"); h != nil {
			root = h
		}
	}
	name := root.val(0)
	code := 0
	if a := root.child("AUTHORITY"); a != nil && strings.EqualFold(a.val(0), "EPSG") {
		code, _ = strconv.Atoi(a.val(1))
	}
	if z, known := geo.LookupCRS(code); known && code != 0 {
		return crsChoice{epsg: code, from: "EPSG:" + strconv.Itoa(code),
			note: fmt.Sprintf("the file's CRS is %s (EPSG:%d)", z.Name, code)}, "", true
	}
	switch root.key {
	case "GEOGCS":
		switch classifyDatum(root) {
		case datumVN2000:
			return crsChoice{epsg: geo.SRIDVN2000, from: name, note: fmt.Sprintf("the file's CRS %q is VN-2000 longitude/latitude (EPSG:4756)", name)}, "", true
		case datumWGS84:
			return crsChoice{epsg: geo.SRIDWGS84, from: name, note: fmt.Sprintf("the file's CRS %q is WGS 84 (EPSG:4326)", name)}, "", true
		}
	case "PROJCS":
		if c, ok := matchVN2000Projection(root); ok {
			return c, "", true
		}
	}
	if code != 0 && code != 4326 && !(root.key == "PROJCS" && classifyDatum(root.child("GEOGCS")) == datumVN2000) {
		return crsChoice{epsg: geo.SRIDWGS84, reproject: true, from: "EPSG:" + strconv.Itoa(code),
			note: fmt.Sprintf("the file's CRS EPSG:%d (%s) is converted to WGS 84 by GDAL", code, name)}, "", true
	}
	return crsChoice{}, describeCRS(root), false
}

func matchVN2000Projection(p *wktNode) (crsChoice, bool) {
	proj := strings.ToLower(p.child("PROJECTION").val(0))
	if proj != "transverse_mercator" {
		return crsChoice{}, false
	}
	params := projParams(p)
	if unit := p.child("UNIT"); unit != nil {
		if f, err := strconv.ParseFloat(unit.val(1), 64); err != nil || f != 1 {
			return crsChoice{}, false
		}
	}
	datum := classifyDatum(p.child("GEOGCS"))
	if datum == datumOther || params["latitude_of_origin"] != 0 || params["false_northing"] != 0 ||
		params["false_easting"] != 500000 {
		return crsChoice{}, false
	}
	cm, k := params["central_meridian"], params["scale_factor"]
	name := p.val(0)
	datumNote := ""
	if datum == datumWGS84 {
		datumNote = ", datum written as WGS 84 (read as VN-2000, whose zones these parameters are)"
	}
	var srid int
	switch {
	case k == 0.9999:
		for _, z := range geo.VN2000Zones() {
			if math.Abs(z.CentralMeridian-cm) < 1e-7 {
				srid = z.SRID
			}
		}
	case k == 0.9996 && cm == 105 && datum == datumVN2000:
		srid = 3405
	case k == 0.9996 && cm == 111 && datum == datumVN2000:
		srid = 3406
	}
	if srid == 0 {
		return crsChoice{}, false
	}
	z, _ := geo.LookupCRS(srid)
	return crsChoice{epsg: srid, from: name, note: fmt.Sprintf(
		"the file's CRS %q is %s (EPSG:%d): central meridian %s, scale %s%s",
		name, z.Name, srid, fmtNum(cm), fmtNum(k), datumNote)}, true
}

func projParams(p *wktNode) map[string]float64 {
	m := map[string]float64{}
	for _, k := range p.kids {
		if k.key == "PARAMETER" {
			if v, err := strconv.ParseFloat(k.val(1), 64); err == nil {
				m[strings.ToLower(k.val(0))] = v
			}
		}
	}
	return m
}

// describeCRS is a one-line description of a CRS gisd could not identify, for the refusal.
func describeCRS(root *wktNode) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q", root.val(0))
	if root.key == "PROJCS" {
		params := projParams(root)
		fmt.Fprintf(&b, " (%s", strings.ReplaceAll(root.child("PROJECTION").val(0), "_", " "))
		for _, p := range []struct{ key, label string }{
			{"central_meridian", "central meridian"}, {"scale_factor", "scale"}, {"false_easting", "false easting"},
		} {
			if v, ok := params[p.key]; ok {
				fmt.Fprintf(&b, ", %s %s", p.label, fmtNum(v))
			}
		}
		if d := root.child("GEOGCS").child("DATUM"); d != nil {
			fmt.Fprintf(&b, ", datum %q", d.val(0))
		}
		b.WriteString(")")
	}
	return b.String()
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// probableZones lists the VN-2000 TM-3 zones that put projected coordinates (x, y) inside the
// import region, the one geo.GuessVN2000Zone picks first. Empty for coordinates that are not
// projected or fit no zone.
func probableZones(x, y float64) []int {
	best, ok := geo.GuessVN2000Zone(x, y, geo.ImportRegion)
	if !ok {
		return nil
	}
	zones := []int{best}
	for _, z := range geo.VN2000Zones() {
		lon, lat, err := geo.ToWGS84(x, y, z.SRID)
		if err == nil && z.SRID != best && geo.ImportRegion.Contains(orb.Point{lon, lat}) {
			zones = append(zones, z.SRID)
		}
	}
	slices.Sort(zones[1:])
	return zones
}
