package geojson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/twpayne/go-geom"

	"github.com/dongnai-gis/gisd/geo"
)

// ErrInvalid is wrapped by every error about input that is not GeoJSON the Decoder can read:
// malformed or truncated JSON, a document that is not a FeatureCollection or a sequence of
// Features, non-finite numbers, text that is not UTF-8, nesting deeper than the limit.
var ErrInvalid = errors.New("invalid GeoJSON")

// Error says where the input went wrong: the byte offset (counted after any decompression,
// BOM included) and the index of the feature being read.
type Error struct {
	Offset  int64
	Feature int // index of the feature being read; -1 outside the features
	Msg     string
	kind    error // a second sentinel (ErrUnknownCRS for a bad crs member), or nil
}

func (e *Error) Error() string { return e.ClientMessage() }

// ClientMessage says where and what, for the person who sent the file.
func (e *Error) ClientMessage() string {
	if e.Feature >= 0 {
		return fmt.Sprintf("geojson: feature %d (byte %d): %s", e.Feature, e.Offset, e.Msg)
	}
	return fmt.Sprintf("geojson: byte %d: %s", e.Offset, e.Msg)
}

// Unwrap lets errors.Is match ErrInvalid and, for a crs member that names an unknown CRS,
// ErrUnknownCRS as well.
func (e *Error) Unwrap() []error {
	if e.kind != nil {
		return []error{ErrInvalid, e.kind}
	}
	return []error{ErrInvalid}
}

// ReadError is a failure of the underlying reader (a size limit, a broken gzip stream, a client
// that went away). It is not ErrInvalid: the input may be fine, it just did not arrive.
type ReadError struct {
	Offset int64
	Err    error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("geojson: reading input at byte %d: %v", e.Offset, e.Err)
}
func (e *ReadError) Unwrap() error { return e.Err }

// Kind is the JSON type of a property value.
type Kind uint8

// Property value kinds.
const (
	KindNull Kind = iota
	KindBool
	KindNumber
	KindString
	KindObject
	KindArray
)

func (k Kind) String() string {
	return [...]string{"null", "boolean", "number", "string", "object", "array"}[k]
}

// Property is one member of a feature's "properties" object. Its slices point into the Feature
// and stay valid until the Feature is passed to Decoder.Next again.
type Property struct {
	Key  []byte // unescaped UTF-8
	Kind Kind
	// Raw is the unescaped text of a string, the number as written, the JSON text of an object
	// or array, "true" or "false"; nil for null.
	Raw []byte
	// Num is the value of a number (always finite: the decoder rejects 1e400).
	Num float64
	// HasNUL: the string (or a string inside the object/array) contains U+0000, which
	// PostgreSQL text and jsonb cannot hold.
	HasNUL bool

	kOff, kEnd, vOff, vEnd int
}

// IsInt reports whether a number was written without fraction or exponent.
func (p *Property) IsInt() bool {
	return p.Kind == KindNumber && bytes.IndexAny(p.Raw, ".eE") < 0
}

// Feature is one decoded GeoJSON feature. Decoder.Next reuses it: everything it holds, Geometry
// included, is valid only until the next call.
type Feature struct {
	// Index is the feature's position in the input, from 0 (jq's .features[Index]).
	Index int
	// Type is the feature's "type" member as written ("" when absent); anything but "Feature"
	// is for the caller to reject.
	Type string
	// ID is the "id" member as written (a string's text or a number's digits), "" when absent.
	ID         string
	Properties []Property
	// Geometry in go-geom's flat layout (XY; any Z or M is dropped and HasZ set). Nil when the
	// geometry member is absent or null, or when it could not be built (GeometryProblem).
	Geometry geom.T
	// GeometryType is the geometry's declared type, "" when there is no geometry.
	GeometryType string
	// GeometryProblem says why a geometry that is present could not be built ("coordinates of a
	// Polygon must be nested 3 deep, found 2"); the caller rejects the feature with it.
	GeometryProblem string
	// HasZ: some position had more than two numbers; they were dropped.
	HasZ bool

	arena  []byte
	flat   []float64
	ends1  []int // end (index into flat) of each array of positions
	ends2  []int // end (index into ends1) of each array of arrays of positions
	endss  [][]int
	hasGeo bool
	empty  bool // some coordinates array was empty
	mixed  bool // arrays of different depths side by side
	badPos string
}

func (f *Feature) reset(index int) {
	f.Index = index
	f.Type, f.ID = "", ""
	f.Properties = f.Properties[:0]
	f.Geometry, f.GeometryType, f.GeometryProblem, f.HasZ = nil, "", "", false
	f.arena = f.arena[:0]
	f.flat, f.ends1, f.ends2 = f.flat[:0], f.ends1[:0], f.ends2[:0]
	f.hasGeo, f.empty, f.mixed, f.badPos = false, false, false, ""
}

// Property returns the property called key, if any (the last one if the key repeats).
func (f *Feature) Property(key string) (*Property, bool) {
	for i := len(f.Properties) - 1; i >= 0; i-- {
		if string(f.Properties[i].Key) == key {
			return &f.Properties[i], true
		}
	}
	return nil, false
}

// DecoderOptions bound what one input may ask of memory. Zero values take the defaults.
type DecoderOptions struct {
	// MaxDepth bounds JSON nesting (default 64). Deeper input is rejected as soon as the limit
	// is crossed, without recursion, so 100,000 nested arrays cost nothing.
	MaxDepth int
	// MaxValueBytes bounds one string, number, or object/array property value, and all the
	// properties of one feature together (default 16 MiB).
	MaxValueBytes int
	// MaxPositions bounds the positions of one geometry (default 2,000,000, about 32 MB).
	MaxPositions int
}

// Decoder reads GeoJSON features one at a time from a stream, holding only the current feature
// in memory. It reads:
//
//   - a FeatureCollection (RFC 7946), with the members in any order and the legacy "crs" member
//     of the 2008 GeoJSON specification (see CRS);
//   - GeoJSON text sequences (RFC 8142: each Feature preceded by the RS character) and
//     newline-delimited Features, or a single Feature.
//
// A UTF-8 byte order mark is skipped. Anything else — malformed or truncated JSON, NaN,
// Infinity, numbers outside float64 (1e400), text that is not UTF-8, nesting beyond
// MaxDepth — is an error wrapping ErrInvalid that names the byte offset. Problems confined to
// one feature (no geometry, a geometry that cannot be built) are reported on the Feature for
// the caller to reject, so one bad feature does not hide the others.
type Decoder struct {
	r        io.Reader
	buf      []byte
	pos, end int
	base     int64 // input offset of buf[0]
	mark     int   // start of the token being scanned, kept across refills; -1 when none
	capture  *[]byte
	capStart int
	eof      bool

	opt      DecoderOptions
	state    int
	index    int // index of the next feature
	cur      int // index of the feature being read, -1 outside
	scratch  []byte
	stack    []byte
	crs      geo.CRS
	hasCRS   bool
	lateCRS  bool
	crsBuf   []byte
	format   string
	topType  string
	sawFeats bool
	fatal    error
	readErr  error
	keyBuf   []byte
	// coordsDepth is the depth of the current geometry's coordinates (see coords).
	coordsDepth int
}

const (
	stStart = iota
	stFeatures
	stSequence
	stDone
)

// NewDecoder returns a decoder reading from r. It does its own buffering.
func NewDecoder(r io.Reader, opt DecoderOptions) *Decoder {
	if opt.MaxDepth <= 0 {
		opt.MaxDepth = 64
	}
	if opt.MaxValueBytes <= 0 {
		opt.MaxValueBytes = 16 << 20
	}
	if opt.MaxPositions <= 0 {
		opt.MaxPositions = 2_000_000
	}
	return &Decoder{r: r, buf: make([]byte, 256<<10), mark: -1, opt: opt, cur: -1}
}

// CRS returns the CRS named by the legacy "crs" member, if the input had one.
func (d *Decoder) CRS() (geo.CRS, bool) { return d.crs, d.hasCRS }

// LateCRS reports whether the crs member came after the first feature, i.e. too late to have
// applied to the features already returned. Callers that assumed another CRS must reject the
// input.
func (d *Decoder) LateCRS() bool { return d.lateCRS }

// Offset is the number of input bytes consumed so far.
func (d *Decoder) Offset() int64 { return d.base + int64(d.pos) }

// Format names what the input turned out to be: "FeatureCollection", "sequence" (RFC 8142 or
// newline-delimited Features) or "" before the first call to Next.
func (d *Decoder) Format() string { return d.format }

// stop is the panic value the scanning functions use to unwind to Next.
type stop struct{ err error }

// Next decodes the next feature into f. It returns io.EOF after the last feature, when the
// whole input has been read and found well-formed. After any other error the decoder is
// finished and returns that error again.
func (d *Decoder) Next(f *Feature) (err error) {
	if d.state == stDone {
		return io.EOF
	}
	defer func() {
		if r := recover(); r != nil {
			s, ok := r.(stop)
			if !ok {
				panic(r)
			}
			d.state = stDone
			d.fatal = s.err
			err = s.err
		}
	}()
	if d.fatal != nil {
		return d.fatal
	}
	for {
		switch d.state {
		case stStart:
			if d.begin(f) {
				return nil
			}
		case stFeatures:
			if d.nextInCollection(f) {
				return nil
			}
		case stSequence:
			if d.nextInSequence(f) {
				return nil
			}
		case stDone:
			return io.EOF
		}
	}
}

func (d *Decoder) failf(format string, args ...any) {
	panic(stop{&Error{Offset: d.Offset(), Feature: d.cur, Msg: fmt.Sprintf(format, args...)}})
}

// truncated fails at the end of input: with the reader's error if it failed, else as a
// truncated file.
func (d *Decoder) truncated() {
	if d.readErr != nil {
		panic(stop{&ReadError{Offset: d.Offset(), Err: d.readErr}})
	}
	d.failf("unexpected end of input: the file is truncated or incomplete")
}

// begin reads up to the first feature and decides the format.
func (d *Decoder) begin(f *Feature) bool {
	if d.ensure(3) && bytes.HasPrefix(d.buf[d.pos:d.end], []byte{0xEF, 0xBB, 0xBF}) {
		d.pos += 3
	}
	if d.ensure(2) && (d.buf[d.pos] == 0xFF && d.buf[d.pos+1] == 0xFE || d.buf[d.pos] == 0xFE && d.buf[d.pos+1] == 0xFF) {
		d.failf("the file is UTF-16; GeoJSON must be UTF-8 (RFC 7946)")
	}
	if d.atEOF() {
		d.failf("empty input: no GeoJSON in it")
	}
	switch c := d.buf[d.pos]; c {
	case 0x1E:
		d.format, d.state = "sequence", stSequence
		return false
	case '{':
		return d.top(f)
	case '[':
		d.failf("not a FeatureCollection: the file is a JSON array")
	default:
		d.unexpected(c, "a GeoJSON object")
	}
	return false
}

// top reads the members of the top-level object. On "features" it leaves the decoder inside
// the array; a top-level Feature (the first of a newline-delimited sequence) is returned in f.
func (d *Decoder) top(f *Feature) bool {
	f.reset(d.index)
	isFeature := false
	done := false
	d.pos++ // '{'
	d.state = stStart
	if d.ws() == '}' {
		d.pos++
		d.failf("not a FeatureCollection: the top-level object is empty")
	}
	for !done {
		k := d.key()
		switch string(k) {
		case "type":
			d.topType = d.stringValue("type")
			if d.topType != "FeatureCollection" && d.topType != "Feature" {
				d.notCollection()
			}
			f.Type = d.topType
		case "features":
			if d.topType == "Feature" || isFeature {
				d.failf("a Feature cannot have a features member")
			}
			if c := d.ws(); c != '[' {
				d.failf("\"features\" must be an array")
			}
			d.pos++
			d.format, d.state, d.sawFeats = "FeatureCollection", stFeatures, true
			return false
		case "crs":
			d.readCRS()
		case "geometry", "properties", "id":
			isFeature = true
			d.cur = d.index
			d.featureMember(f, k, 1)
		default:
			d.skip(1, nil)
		}
		switch c := d.ws(); c {
		case ',':
			d.pos++
		case '}':
			d.pos++
			done = true
		default:
			d.unexpected(c, "',' or '}'")
		}
	}
	if d.topType == "FeatureCollection" {
		d.failf("the FeatureCollection has no \"features\" array")
	}
	if !isFeature && d.topType != "Feature" {
		d.notCollection()
	}
	d.format, d.state = "sequence", stSequence
	d.finishFeature(f)
	return true
}

func (d *Decoder) notCollection() {
	switch d.topType {
	case "":
		d.failf("not a FeatureCollection: the top-level object has no \"type\"")
	case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection":
		d.failf("not a FeatureCollection: the file is a bare %s geometry; wrap it in a Feature", d.topType)
	}
	d.failf("not a FeatureCollection: the top-level object has type %q", d.topType)
}

// nextInCollection reads the next element of the features array, or the rest of the top-level
// object after it.
func (d *Decoder) nextInCollection(f *Feature) bool {
	c := d.ws()
	if c == ']' {
		d.pos++
		d.afterFeatures()
		return false
	}
	if d.index > 0 {
		if c != ',' {
			d.unexpected(c, "',' or ']' between features")
		}
		d.pos++
		c = d.ws()
	}
	if c != '{' {
		if c == ']' {
			d.failf("a comma after the last feature (trailing commas are not JSON)")
		}
		d.cur = d.index
		if c == '"' || c == '[' || c == '-' || '0' <= c && c <= '9' || c == 't' || c == 'f' || c == 'n' {
			d.failf("features[%d] is not an object", d.index)
		}
		d.unexpected(c, "a Feature object")
	}
	d.feature(f, 3)
	return true
}

// afterFeatures reads the members that follow the features array and checks that nothing
// follows the top-level object.
func (d *Decoder) afterFeatures() {
	d.cur = -1
	for {
		c := d.ws()
		d.pos++
		if c == '}' {
			break
		}
		if c != ',' {
			d.pos--
			d.unexpected(c, "',' or '}'")
		}
		k := d.key()
		switch string(k) {
		case "type":
			d.topType = d.stringValue("type")
			if d.topType != "FeatureCollection" {
				d.notCollection()
			}
		case "crs":
			if d.index > 0 {
				d.lateCRS = true
			}
			d.readCRS()
		case "features":
			d.failf("a second \"features\" member")
		default:
			d.skip(1, nil)
		}
	}
	if !d.atEOF() {
		d.failf("unexpected data after the FeatureCollection")
	}
	d.state = stDone
}

// nextInSequence reads the next Feature of an RFC 8142 sequence or of newline-delimited JSON.
func (d *Decoder) nextInSequence(f *Feature) bool {
	for {
		if d.atEOF() {
			d.state = stDone
			return false
		}
		c := d.buf[d.pos]
		if c == 0x1E {
			d.pos++
			continue
		}
		if c != '{' {
			d.cur = d.index
			d.unexpected(c, "the next Feature of the sequence")
		}
		d.feature(f, 1)
		if f.Type == "FeatureCollection" {
			d.failf("a FeatureCollection inside a sequence of Features")
		}
		return true
	}
}

// feature reads a Feature object at '{'; depth is the object's nesting level.
func (d *Decoder) feature(f *Feature, depth int) {
	f.reset(d.index)
	d.cur = d.index
	d.members(func(k []byte) {
		if string(k) == "type" {
			f.Type = d.stringValue("type")
			return
		}
		d.featureMember(f, k, depth)
	})
	d.finishFeature(f)
}

func (d *Decoder) finishFeature(f *Feature) {
	for i := range f.Properties {
		p := &f.Properties[i]
		p.Key = f.arena[p.kOff:p.kEnd]
		if p.Kind != KindNull {
			p.Raw = f.arena[p.vOff:p.vEnd]
		}
	}
	if f.hasGeo {
		d.buildGeometry(f)
	}
	d.index++
	d.cur = -1
}

// featureMember reads one member of a Feature (other than "type").
func (d *Decoder) featureMember(f *Feature, k []byte, depth int) {
	switch string(k) {
	case "id":
		switch c := d.ws(); {
		case c == '"':
			s, _ := d.str()
			f.ID = string(s)
		case c == '-' || '0' <= c && c <= '9':
			tok, _ := d.num()
			f.ID = string(tok)
		default:
			d.skip(depth, nil)
		}
	case "properties":
		if d.ws() == 'n' {
			d.literal()
			return
		}
		if d.ws() != '{' {
			d.failf("\"properties\" must be an object or null")
		}
		d.properties(f, depth+1)
	case "geometry":
		if d.ws() == 'n' {
			d.literal()
			return
		}
		if d.ws() != '{' {
			d.failf("\"geometry\" must be an object or null")
		}
		d.geometry(f, depth+1)
	default:
		d.skip(depth, nil)
	}
}

// properties reads the properties object into f's arena.
func (d *Decoder) properties(f *Feature, depth int) {
	d.members(func(k []byte) {
		p := Property{kOff: len(f.arena)}
		f.arena = append(f.arena, k...)
		p.kEnd = len(f.arena)
		p.vOff = p.kEnd
		switch c := d.ws(); c {
		case '"':
			s, nul := d.str()
			f.arena = append(f.arena, s...)
			p.Kind, p.HasNUL = KindString, nul
		case '{', '[':
			p.Kind = KindObject
			if c == '[' {
				p.Kind = KindArray
			}
			p.HasNUL = d.skip(depth, &f.arena)
		case 't', 'f', 'n':
			p.Kind = d.literal()
			if p.Kind == KindBool {
				if c == 't' {
					f.arena = append(f.arena, "true"...)
				} else {
					f.arena = append(f.arena, "false"...)
				}
			}
		default:
			tok, v := d.num()
			f.arena = append(f.arena, tok...)
			p.Kind, p.Num = KindNumber, v
		}
		p.vEnd = len(f.arena)
		f.Properties = append(f.Properties, p)
		if len(f.arena) > d.opt.MaxValueBytes {
			d.failf("the properties of one feature take more than %d bytes", d.opt.MaxValueBytes)
		}
	})
}

// geometry reads a geometry object; the geometry is built once its type and coordinates are
// both known, since they may come in either order.
func (d *Decoder) geometry(f *Feature, depth int) {
	f.hasGeo = true
	d.coordsDepth = 0
	sawCoords := false
	d.members(func(k []byte) {
		switch string(k) {
		case "type":
			f.GeometryType = d.stringValue("type")
		case "coordinates":
			if sawCoords {
				d.failf("a geometry with two coordinates members")
			}
			sawCoords = true
			if c := d.ws(); c != '[' {
				if c == 'n' {
					d.literal()
					return
				}
				d.failf("\"coordinates\" must be an array")
			}
			d.coordsDepth = d.coords(f, 1)
		case "geometries":
			d.skip(depth, nil)
			f.GeometryProblem = "a GeometryCollection is not supported: split it into one feature per geometry"
		default:
			d.skip(depth, nil)
		}
	})
	if !sawCoords && f.GeometryProblem == "" && f.GeometryType != "GeometryCollection" {
		f.GeometryProblem = "the geometry has no coordinates"
	}
}

// coords reads a coordinates array at '[' and returns its depth: 1 for a position, 2 for an
// array of positions, up to 4 for a MultiPolygon; 0 for an empty array. Recursion is bounded
// by that limit of 4, checked before descending.
func (d *Decoder) coords(f *Feature, level int) int {
	d.pos++ // '['
	c := d.ws()
	if c == ']' {
		d.pos++
		f.empty = true
		return 0
	}
	if c == '-' || '0' <= c && c <= '9' {
		d.position(f)
		return 1
	}
	if c != '[' {
		d.unexpected(c, "a number or an array in coordinates")
	}
	if level >= 4 {
		d.failf("coordinates nested deeper than 4 levels (a MultiPolygon has 4)")
	}
	depth := 0
	for {
		cd := d.coords(f, level+1)
		switch {
		case cd == 0:
		case depth == 0:
			depth = cd
		case cd != depth:
			f.mixed = true
		}
		c = d.ws()
		d.pos++
		if c == ']' {
			break
		}
		if c != ',' {
			d.pos--
			d.unexpected(c, "',' or ']' in coordinates")
		}
		if d.ws() != '[' {
			d.failf("coordinates mix numbers and arrays")
		}
	}
	if depth == 0 {
		return 0
	}
	switch depth + 1 {
	case 2:
		f.ends1 = append(f.ends1, len(f.flat))
	case 3:
		f.ends2 = append(f.ends2, len(f.ends1))
	}
	return depth + 1
}

// position reads the numbers of one position (the '[' already consumed).
func (d *Decoder) position(f *Feature) {
	n := 0
	for {
		c := d.ws()
		if c == '-' || '0' <= c && c <= '9' {
			_, v := d.num()
			if n < 2 {
				f.flat = append(f.flat, v)
			} else {
				f.HasZ = true
			}
			n++
		} else {
			d.unexpected(c, "a number in a position")
		}
		c = d.ws()
		d.pos++
		if c == ']' {
			break
		}
		if c != ',' {
			d.pos--
			d.unexpected(c, "',' or ']' in a position")
		}
	}
	if n < 2 {
		f.flat = f.flat[:len(f.flat)-n]
		if f.badPos == "" {
			f.badPos = "a position needs at least 2 numbers (x, y)"
		}
	}
	if len(f.flat) > 2*d.opt.MaxPositions {
		d.failf("a geometry with more than %d positions", d.opt.MaxPositions)
	}
}

// buildGeometry turns the flat coordinates into a go-geom geometry of the declared type.
func (d *Decoder) buildGeometry(f *Feature) {
	if f.GeometryProblem != "" {
		return
	}
	if f.badPos != "" {
		f.GeometryProblem = f.badPos
		return
	}
	if f.mixed {
		f.GeometryProblem = "the coordinates mix arrays of different depths"
		return
	}
	want := coordsDepthOf(f.GeometryType)
	depth := d.coordsDepth
	switch {
	case f.GeometryType == "":
		f.GeometryProblem = "the geometry has no type"
		return
	case want == 0:
		f.GeometryProblem = fmt.Sprintf("unknown geometry type %q", f.GeometryType)
		return
	case depth == 0:
		f.Geometry = emptyGeometry(f.GeometryType)
		return
	case depth != want:
		f.GeometryProblem = fmt.Sprintf("the coordinates of a %s must be nested %d deep, found %d", f.GeometryType, want, depth)
		return
	case f.empty:
		f.GeometryProblem = fmt.Sprintf("the %s has an empty part", f.GeometryType)
		return
	}
	switch f.GeometryType {
	case "Point":
		f.Geometry = geom.NewPointFlat(geom.XY, f.flat[:2])
	case "MultiPoint":
		f.Geometry = geom.NewMultiPointFlat(geom.XY, f.flat)
	case "LineString":
		f.Geometry = geom.NewLineStringFlat(geom.XY, f.flat)
	case "MultiLineString":
		f.Geometry = geom.NewMultiLineStringFlat(geom.XY, f.flat, f.ends1)
	case "Polygon":
		f.Geometry = geom.NewPolygonFlat(geom.XY, f.flat, f.ends1)
	case "MultiPolygon":
		f.endss = f.endss[:0]
		prev := 0
		for _, e := range f.ends2 {
			f.endss = append(f.endss, f.ends1[prev:e:e])
			prev = e
		}
		f.Geometry = geom.NewMultiPolygonFlat(geom.XY, f.flat, f.endss)
	}
}

// coordsDepthOf is how deeply the coordinates of a geometry type nest; 0 for other types.
func coordsDepthOf(t string) int {
	switch t {
	case "Point":
		return 1
	case "MultiPoint", "LineString":
		return 2
	case "MultiLineString", "Polygon":
		return 3
	case "MultiPolygon":
		return 4
	}
	return 0
}

func emptyGeometry(t string) geom.T {
	switch t {
	case "Point":
		return geom.NewPointEmpty(geom.XY)
	case "MultiPoint":
		return geom.NewMultiPoint(geom.XY)
	case "LineString":
		return geom.NewLineString(geom.XY)
	case "MultiLineString":
		return geom.NewMultiLineString(geom.XY)
	case "Polygon":
		return geom.NewPolygon(geom.XY)
	}
	return geom.NewMultiPolygon(geom.XY)
}

// readCRS reads the legacy crs member: {"type": "name", "properties": {"name": "EPSG:9212"}}
// (any form geo.ParseCRS accepts, urn:ogc:def:crs:EPSG::9212 included) or the older
// {"type": "EPSG", "properties": {"code": 9212}}. null means "no CRS".
func (d *Decoder) readCRS() {
	d.crsBuf = d.crsBuf[:0]
	d.skip(1, &d.crsBuf)
	if string(d.crsBuf) == "null" {
		return
	}
	var v struct {
		Type       string `json:"type"`
		Properties struct {
			Name string          `json:"name"`
			Code json.RawMessage `json:"code"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(d.crsBuf, &v); err != nil {
		d.failf("the crs member must be an object like {\"type\": \"name\", \"properties\": {\"name\": \"EPSG:9212\"}}")
	}
	var name string
	switch v.Type {
	case "name":
		name = v.Properties.Name
	case "EPSG":
		name = "EPSG:" + string(bytes.Trim(v.Properties.Code, `"`))
	default:
		d.failf("crs of type %q is not supported (want a named CRS such as urn:ogc:def:crs:EPSG::9212)", v.Type)
	}
	c, err := geo.ParseCRS(name)
	if err != nil {
		panic(stop{&Error{Offset: d.Offset(), Feature: -1, Msg: "crs member: " + strings.TrimPrefix(err.Error(), "geo: "), kind: geo.ErrUnknownCRS}})
	}
	d.crs, d.hasCRS = c, true
}
