package gml

import (
	"errors"
	"io"
	"math"
	"strconv"

	"github.com/paulmach/orb"
)

// Version is the GML version written.
type Version uint8

// GML versions.
const (
	GML32  Version = iota // GML 3.2 (WFS 2.0), the zero value
	GML311                // GML 3.1.1 (WFS 1.1.0)
)

// Namespace returns the namespace URI of v, which the caller binds to the prefix "gml".
func (v Version) Namespace() string {
	if v == GML311 {
		return NS311
	}
	return NS32
}

// ErrNotFinite is returned for a coordinate that is NaN or infinite, which GML cannot hold.
var ErrNotFinite = errors.New("gml: coordinate is not a finite number")

// ErrEmpty is returned for a LineString, ring or Polygon without coordinates.
var ErrEmpty = errors.New("gml: empty geometry")

// Encoder writes orb geometries as GML elements with the prefix "gml" (the caller declares
// xmlns:gml with Version.Namespace). Coordinates are read x first and written in SRS's axis
// order. An Encoder reuses a buffer and is not safe for concurrent use; keep one per response.
//
// Multi-geometries are written as GML 3 MultiSurface and MultiCurve in both versions (3.1.1
// has them too, and every client reads them), so one DescribeFeatureType schema fits both.
type Encoder struct {
	// Version is GML32 (the zero value) or GML311.
	Version Version
	// SRS is written as srsName on the outer element (nothing when zero); its NorthEast swaps
	// the axes.
	SRS SRS
	// Decimals is the number of digits kept after the decimal point, trailing zeros dropped:
	// 7 for degrees (about 1 cm), 3 for metres (1 mm). 0 writes the shortest text that reads
	// back to the same float64.
	Decimals int

	buf     []byte
	srsFor  SRS    // the SRS srsAttr was built for
	srsAttr []byte // ` srsName="..."`, built once rather than per geometry
}

// Encode writes g with gml:id id ("" for none) to w in one Write.
func (e *Encoder) Encode(w io.Writer, g orb.Geometry, id string) error {
	var err error
	e.buf, err = e.Append(e.buf[:0], g, id)
	if err != nil {
		return err
	}
	_, err = w.Write(e.buf)
	return err
}

// Append appends g to dst. id, when not empty, is written as gml:id on the outer element; in
// GML 3.2, which requires gml:id on every geometry, members get id.1, id.2 and so on. On error
// dst is returned unchanged with the error (ErrNotFinite, ErrEmpty, or an unsupported type).
func (e *Encoder) Append(dst []byte, g orb.Geometry, id string) ([]byte, error) {
	n := len(dst)
	out, err := e.geometry(dst, g, id, 0, true)
	if err != nil {
		return dst[:n], err
	}
	return out, nil
}

// AppendEnvelope appends b as a gml:Envelope with srsName, as used in gml:boundedBy.
func (e *Encoder) AppendEnvelope(dst []byte, b orb.Bound) ([]byte, error) {
	n := len(dst)
	dst = append(dst, "<gml:Envelope"...)
	dst = e.srsName(dst)
	dst = append(dst, "><gml:lowerCorner>"...)
	dst, err := e.pos(dst, b.Min)
	if err != nil {
		return dst[:n], err
	}
	dst = append(dst, "</gml:lowerCorner><gml:upperCorner>"...)
	if dst, err = e.pos(dst, b.Max); err != nil {
		return dst[:n], err
	}
	return append(dst, "</gml:upperCorner></gml:Envelope>"...), nil
}

func (e *Encoder) srsName(dst []byte) []byte {
	if e.SRS.IsZero() {
		return dst
	}
	if e.srsAttr == nil || e.srsFor != e.SRS {
		// Names are built from a form and digits: nothing to escape.
		e.srsAttr = append(append(append(e.srsAttr[:0], ` srsName="`...), e.SRS.Name()...), '"')
		e.srsFor = e.SRS
	}
	return append(dst, e.srsAttr...)
}

// open writes <gml:Kind gml:id="id.n" srsName="..."> (".n" only when n > 0, srsName on the
// outer element only).
func (e *Encoder) open(dst []byte, kind, id string, n int, outer bool) []byte {
	dst = append(dst, "<gml:"...)
	dst = append(dst, kind...)
	if id != "" {
		dst = append(dst, ` gml:id="`...)
		dst = appendEscaped(dst, id)
		if n > 0 {
			dst = append(dst, '.')
			dst = strconv.AppendInt(dst, int64(n), 10)
		}
		dst = append(dst, '"')
	}
	if outer {
		dst = e.srsName(dst)
	}
	return append(dst, '>')
}

func closeTag(dst []byte, kind string) []byte {
	dst = append(dst, "</gml:"...)
	dst = append(dst, kind...)
	return append(dst, '>')
}

// member returns the id and number that name the i-th member (0-based) of a geometry whose
// gml:id is id.n: GML 3.2 requires a gml:id on every geometry, GML 3.1.1 does not, and
// writing none there keeps the output small.
func (e *Encoder) member(id string, n, i int) (string, int) {
	if id == "" || e.Version == GML311 {
		return "", 0
	}
	if n > 0 { // a member of a member (a multi-geometry inside a MultiGeometry)
		id += "." + strconv.Itoa(n)
	}
	return id, i + 1
}

func (e *Encoder) geometry(dst []byte, g orb.Geometry, id string, n int, outer bool) ([]byte, error) {
	var err error
	switch g := g.(type) {
	case orb.Point:
		return e.point(dst, g, id, n, outer)
	case orb.LineString:
		return e.lineString(dst, g, id, n, outer)
	case orb.Ring:
		return e.polygon(dst, orb.Polygon{g}, id, n, outer)
	case orb.Polygon:
		return e.polygon(dst, g, id, n, outer)
	case orb.MultiPoint:
		dst = e.open(dst, "MultiPoint", id, n, outer)
		for i, p := range g {
			dst = append(dst, "<gml:pointMember>"...)
			mid, mn := e.member(id, n, i)
			if dst, err = e.point(dst, p, mid, mn, false); err != nil {
				return dst, err
			}
			dst = append(dst, "</gml:pointMember>"...)
		}
		return closeTag(dst, "MultiPoint"), nil
	case orb.MultiLineString:
		dst = e.open(dst, "MultiCurve", id, n, outer)
		for i, l := range g {
			dst = append(dst, "<gml:curveMember>"...)
			mid, mn := e.member(id, n, i)
			if dst, err = e.lineString(dst, l, mid, mn, false); err != nil {
				return dst, err
			}
			dst = append(dst, "</gml:curveMember>"...)
		}
		return closeTag(dst, "MultiCurve"), nil
	case orb.MultiPolygon:
		dst = e.open(dst, "MultiSurface", id, n, outer)
		for i, p := range g {
			dst = append(dst, "<gml:surfaceMember>"...)
			mid, mn := e.member(id, n, i)
			if dst, err = e.polygon(dst, p, mid, mn, false); err != nil {
				return dst, err
			}
			dst = append(dst, "</gml:surfaceMember>"...)
		}
		return closeTag(dst, "MultiSurface"), nil
	case orb.Collection:
		dst = e.open(dst, "MultiGeometry", id, n, outer)
		for i, m := range g {
			dst = append(dst, "<gml:geometryMember>"...)
			mid, mn := e.member(id, n, i)
			if dst, err = e.geometry(dst, m, mid, mn, false); err != nil {
				return dst, err
			}
			dst = append(dst, "</gml:geometryMember>"...)
		}
		return closeTag(dst, "MultiGeometry"), nil
	case orb.Bound:
		return e.AppendEnvelope(dst, g)
	case nil:
		return dst, errors.New("gml: no geometry")
	}
	return dst, errors.New("gml: geometry type " + g.GeoJSONType() + " is not supported")
}

// The writers of single geometries take concrete types: passing members of a multi-geometry
// through orb.Geometry would allocate an interface value for each.

func (e *Encoder) point(dst []byte, p orb.Point, id string, n int, outer bool) ([]byte, error) {
	dst = e.open(dst, "Point", id, n, outer)
	dst = append(dst, "<gml:pos>"...)
	dst, err := e.pos(dst, p)
	if err != nil {
		return dst, err
	}
	return closeTag(append(dst, "</gml:pos>"...), "Point"), nil
}

func (e *Encoder) lineString(dst []byte, l orb.LineString, id string, n int, outer bool) ([]byte, error) {
	if len(l) == 0 {
		return dst, ErrEmpty
	}
	dst = e.open(dst, "LineString", id, n, outer)
	dst, err := e.posList(dst, l)
	if err != nil {
		return dst, err
	}
	return closeTag(dst, "LineString"), nil
}

func (e *Encoder) polygon(dst []byte, p orb.Polygon, id string, n int, outer bool) ([]byte, error) {
	if len(p) == 0 {
		return dst, ErrEmpty
	}
	dst = e.open(dst, "Polygon", id, n, outer)
	var err error
	for i, r := range p {
		if len(r) == 0 {
			return dst, ErrEmpty
		}
		if i == 0 {
			dst = append(dst, "<gml:exterior><gml:LinearRing>"...)
		} else {
			dst = append(dst, "<gml:interior><gml:LinearRing>"...)
		}
		if dst, err = e.posList(dst, r); err != nil {
			return dst, err
		}
		if i == 0 {
			dst = append(dst, "</gml:LinearRing></gml:exterior>"...)
		} else {
			dst = append(dst, "</gml:LinearRing></gml:interior>"...)
		}
	}
	return closeTag(dst, "Polygon"), nil
}

// pos writes "x y" (or "y x" for a north-first SRS).
func (e *Encoder) pos(dst []byte, p orb.Point) ([]byte, error) {
	a, b := p[0], p[1]
	if e.SRS.NorthEast {
		a, b = b, a
	}
	var err error
	if dst, err = e.number(dst, a); err != nil {
		return dst, err
	}
	dst = append(dst, ' ')
	return e.number(dst, b)
}

func (e *Encoder) posList(dst []byte, pts []orb.Point) ([]byte, error) {
	dst = append(dst, `<gml:posList srsDimension="2">`...)
	var err error
	for i, p := range pts {
		if i > 0 {
			dst = append(dst, ' ')
		}
		if dst, err = e.pos(dst, p); err != nil {
			return dst, err
		}
	}
	return append(dst, "</gml:posList>"...), nil
}

// number writes v with e.Decimals digits after the point, trailing zeros (and a bare point)
// dropped, and no negative zero.
func (e *Encoder) number(dst []byte, v float64) ([]byte, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return dst, ErrNotFinite
	}
	if e.Decimals <= 0 {
		if v == 0 {
			return append(dst, '0'), nil
		}
		return strconv.AppendFloat(dst, v, 'f', -1, 64), nil
	}
	return appendFixed(dst, v, e.Decimals), nil
}

var (
	pow10f = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}
	pow10u = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}
)

// appendFixed writes v rounded to d decimals, as strconv.AppendFloat(dst, v, 'f', d, 64)
// would, with trailing zeros dropped. Formatting coordinates is most of the work of a GML
// response, and AppendFloat with a precision takes a slow general path (about 100 ns a
// number), so the common case is done in integers: v·10^d is computed in float64, whose
// error is below 2^-9 while it stays under 2^43, and rounded; when its fraction is within
// 0.01 of one half, where that error could flip the rounding, AppendFloat decides.
// TestAppendFixed_MatchesAppendFloat checks the two agree.
func appendFixed(dst []byte, v float64, d int) []byte {
	if d >= 1 && d < len(pow10f) {
		a := math.Abs(v)
		x := a * pow10f[d]
		if x < 1<<43 {
			fl := math.Floor(x)
			frac := x - fl
			if math.Abs(frac-0.5) > 0.01 {
				n := uint64(fl)
				if frac > 0.5 {
					n++
				}
				return appendScaled(dst, n, d, v < 0)
			}
		}
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, v, 'f', d, 64)
	end := len(dst)
	for dst[end-1] == '0' {
		end--
	}
	if dst[end-1] == '.' {
		end--
	}
	dst = dst[:end]
	if end-start == 2 && dst[start] == '-' && dst[start+1] == '0' { // -0.0000001 rounded to -0
		dst = append(dst[:start], '0')
	}
	return dst
}

// appendScaled writes n/10^d in decimal, without trailing zeros.
func appendScaled(dst []byte, n uint64, d int, neg bool) []byte {
	if n == 0 {
		return append(dst, '0')
	}
	if neg {
		dst = append(dst, '-')
	}
	dst = strconv.AppendUint(dst, n/pow10u[d], 10)
	frac := n % pow10u[d]
	if frac == 0 {
		return dst
	}
	var digits [9]byte
	for i := d - 1; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	end := d
	for digits[end-1] == '0' {
		end--
	}
	dst = append(dst, '.')
	return append(dst, digits[:end]...)
}

// appendEscaped appends s escaped for an attribute value.
func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		case '&':
			dst = append(dst, "&amp;"...)
		case '"':
			dst = append(dst, "&quot;"...)
		case '\n', '\r', '\t':
			dst = append(dst, "&#"...)
			dst = strconv.AppendInt(dst, int64(c), 10)
			dst = append(dst, ';')
		case 0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31:
			dst = append(dst, "\uFFFD"...) // XML 1.0 cannot hold these at all, escaped or not
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
