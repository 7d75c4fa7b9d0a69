package cql2

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// ParseJSON reads a filter in CQL2 JSON. A *SyntaxError names the member at fault by its path
// ("args[1].op"), or gives the byte offset when the input is not JSON at all.
func ParseJSON(data []byte) (Expr, error) {
	if !utf8.Valid(data) {
		return nil, &SyntaxError{Offset: firstInvalidUTF8(string(data)), Msg: "invalid UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonSyntax(err, data)
	}
	if end := trailing(dec, data); end >= 0 {
		return nil, &SyntaxError{Offset: end, Msg: "unexpected data after the filter"}
	}
	j := &jsonParser{}
	return j.boolean(v, "$")
}

// jsonSyntax reports a JSON decoding error at the offending byte.
func jsonSyntax(err error, data []byte) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// encoding/json counts the offending byte as read.
		return &SyntaxError{Offset: max(0, int(se.Offset)-1), Msg: "malformed JSON: " + se.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &SyntaxError{Offset: len(data), Msg: "the JSON ends too early"}
	}
	return &SyntaxError{Offset: 0, Msg: "malformed JSON"}
}

// trailing returns the offset of anything but white space after the decoded value, or -1.
func trailing(dec *json.Decoder, data []byte) int {
	for i := int(dec.InputOffset()); i < len(data); i++ {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return i
		}
	}
	return -1
}

type jsonParser struct{ depth int }

func jsonErr(path, format string, args ...any) error {
	return &SyntaxError{Offset: -1, Path: strings.TrimPrefix(strings.TrimPrefix(path, "$"), "."), Msg: fmt.Sprintf(format, args...)}
}

func (j *jsonParser) enter(path string) error {
	j.depth++
	if j.depth > MaxDepth {
		return jsonErr(path, "the filter is nested more than %d levels deep", MaxDepth)
	}
	return nil
}

func (j *jsonParser) leave() { j.depth-- }

// opArgs reads {"op": ..., "args": [...]} and checks that no other member is present.
func opArgs(m map[string]any, path string) (string, []any, error) {
	op, ok := m["op"].(string)
	if !ok {
		return "", nil, jsonErr(path+".op", "expected a string")
	}
	for k := range m {
		if k != "op" && k != "args" {
			return "", nil, jsonErr(path+"."+k, "unexpected member %s in an operation", quoteShort(k))
		}
	}
	raw, present := m["args"]
	if !present {
		return "", nil, jsonErr(path+".args", "missing args of %s", quoteShort(op))
	}
	args, ok := raw.([]any)
	if !ok {
		return "", nil, jsonErr(path+".args", "expected an array")
	}
	return op, args, nil
}

func argPath(path string, i int) string { return path + ".args[" + strconv.Itoa(i) + "]" }

func (j *jsonParser) boolean(v any, path string) (Expr, error) {
	if err := j.enter(path); err != nil {
		return nil, err
	}
	defer j.leave()
	switch v := v.(type) {
	case bool:
		return Bool{Value: v}, nil
	case map[string]any:
		if _, ok := v["op"]; !ok {
			return nil, jsonErr(path, "expected a boolean expression ({\"op\": ..., \"args\": [...]})")
		}
	default:
		return nil, jsonErr(path, "expected a boolean expression ({\"op\": ..., \"args\": [...]})")
	}
	m := v.(map[string]any)
	op, args, err := opArgs(m, path)
	if err != nil {
		return nil, err
	}
	lop := strings.ToLower(op)
	want := func(n int) error {
		if len(args) != n {
			return jsonErr(path+".args", "%s takes %d arguments, got %d", quoteShort(op), n, len(args))
		}
		return nil
	}
	scalars := func() ([]Expr, error) {
		out := make([]Expr, len(args))
		for i, a := range args {
			e, err := j.scalar(a, argPath(path, i))
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	}
	switch lop {
	case "and", "or":
		if len(args) < 2 {
			return nil, jsonErr(path+".args", "%s takes at least 2 arguments, got %d", quoteShort(op), len(args))
		}
		out := make([]Expr, len(args))
		for i, a := range args {
			if out[i], err = j.boolean(a, argPath(path, i)); err != nil {
				return nil, err
			}
		}
		if lop == "and" {
			return And{Args: out}, nil
		}
		return Or{Args: out}, nil
	case "not":
		if err := want(1); err != nil {
			return nil, err
		}
		e, err := j.boolean(args[0], argPath(path, 0))
		if err != nil {
			return nil, err
		}
		return Not{Arg: e}, nil
	case "=", "<>", "<", "<=", ">", ">=":
		if err := want(2); err != nil {
			return nil, err
		}
		s, err := scalars()
		if err != nil {
			return nil, err
		}
		return Comparison{Op: CompareOp(lop), Left: s[0], Right: s[1]}, nil
	case "like":
		if err := want(2); err != nil {
			return nil, err
		}
		s, err := scalars()
		if err != nil {
			return nil, err
		}
		return Like{Arg: s[0], Pattern: s[1]}, nil
	case "between":
		if err := want(3); err != nil {
			return nil, err
		}
		s, err := scalars()
		if err != nil {
			return nil, err
		}
		return Between{Arg: s[0], Low: s[1], High: s[2]}, nil
	case "in":
		if err := want(2); err != nil {
			return nil, err
		}
		a, err := j.scalar(args[0], argPath(path, 0))
		if err != nil {
			return nil, err
		}
		list, ok := args[1].([]any)
		if !ok || len(list) == 0 {
			return nil, jsonErr(argPath(path, 1), "expected a non-empty array of values")
		}
		in := In{Arg: a, List: make([]Expr, len(list))}
		for i, x := range list {
			if in.List[i], err = j.scalar(x, argPath(path, 1)+"["+strconv.Itoa(i)+"]"); err != nil {
				return nil, err
			}
		}
		return in, nil
	case "isnull":
		if err := want(1); err != nil {
			return nil, err
		}
		s, err := scalars()
		if err != nil {
			return nil, err
		}
		return IsNull{Arg: s[0]}, nil
	case "s_dwithin", "dwithin":
		if len(args) != 3 && len(args) != 4 {
			return nil, jsonErr(path+".args", "%s takes 3 or 4 arguments (a, b, distance[, units]), got %d", quoteShort(op), len(args))
		}
		a, err := j.scalar(args[0], argPath(path, 0))
		if err != nil {
			return nil, err
		}
		b, err := j.scalar(args[1], argPath(path, 1))
		if err != nil {
			return nil, err
		}
		d, ok := jsonFloat(args[2])
		if !ok {
			return nil, jsonErr(argPath(path, 2), "expected a distance (a number)")
		}
		unit := "meters"
		if len(args) == 4 {
			if unit, ok = args[3].(string); !ok {
				return nil, jsonErr(argPath(path, 3), "expected a unit (\"meters\" or \"kilometers\")")
			}
		}
		m, err := metres(d, unit)
		if err != nil {
			return nil, jsonErr(argPath(path, 2), "%v", err)
		}
		return DWithin{Left: a, Right: b, Distance: m}, nil
	}
	if sop, ok := spatialOps[strings.ToUpper(op)]; ok {
		if err := want(2); err != nil {
			return nil, err
		}
		s, err := scalars()
		if err != nil {
			return nil, err
		}
		return Spatial{Op: sop, Left: s[0], Right: s[1]}, nil
	}
	switch {
	case strings.HasPrefix(lop, "t_"):
		return nil, jsonErr(path+".op", "temporal operators (%s) are not supported; compare dates with <, >, between", quoteShort(op))
	case strings.HasPrefix(lop, "a_"):
		return nil, jsonErr(path+".op", "array operators (%s) are not supported", quoteShort(op))
	case lop == "casei" || lop == "accenti":
		return nil, jsonErr(path+".op", "%s is a function and cannot be used as a condition", quoteShort(op))
	case lop == "+" || lop == "-" || lop == "*" || lop == "/" || lop == "%" || lop == "^" || lop == "div":
		return nil, jsonErr(path+".op", "arithmetic (%s) is not supported", quoteShort(op))
	}
	return nil, jsonErr(path+".op", "unknown operator %s", quoteShort(op))
}

func jsonFloat(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func (j *jsonParser) scalar(v any, path string) (Expr, error) {
	if err := j.enter(path); err != nil {
		return nil, err
	}
	defer j.leave()
	switch v := v.(type) {
	case string:
		return String{Value: v}, nil
	case json.Number:
		n, err := parseNumber(string(v))
		if err != nil {
			return nil, jsonErr(path, "%v", err)
		}
		return n, nil
	case bool:
		return Bool{Value: v}, nil
	case nil:
		return nil, jsonErr(path, "null is not a value; use {\"op\": \"isNull\", ...}")
	case []any:
		return nil, jsonErr(path, "arrays are only allowed as the list of \"in\"")
	}
	m := v.(map[string]any)
	only := func(key string) error {
		for k := range m {
			if k != key {
				return jsonErr(path+"."+k, "unexpected member %s next to %s", quoteShort(k), quoteShort(key))
			}
		}
		return nil
	}
	for _, lit := range jsonLiterals {
		if v, ok := m[lit.key]; ok {
			e, err := lit.read(v, path+"."+lit.key)
			if err != nil {
				return nil, err
			}
			if err := only(lit.key); err != nil {
				return nil, err
			}
			return e, nil
		}
	}
	if _, ok := m["interval"]; ok {
		return nil, jsonErr(path, "intervals are not supported")
	}
	if _, ok := m["type"]; ok {
		g, err := j.geoJSON(m, path)
		if err != nil {
			return nil, err
		}
		return Geometry{Geom: g}, nil
	}
	if _, ok := m["op"]; ok {
		op, args, err := opArgs(m, path)
		if err != nil {
			return nil, err
		}
		switch u := strings.ToUpper(op); u {
		case "CASEI", "ACCENTI":
			if len(args) != 1 {
				return nil, jsonErr(path+".args", "%s takes 1 argument, got %d", quoteShort(op), len(args))
			}
			a, err := j.scalar(args[0], argPath(path, 0))
			if err != nil {
				return nil, err
			}
			return Func{Name: u, Args: []Expr{a}}, nil
		}
		return nil, jsonErr(path+".op", "%s cannot be used as a value", quoteShort(op))
	}
	if _, ok := m["function"]; ok {
		return nil, jsonErr(path+".function", "custom functions are not supported")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return nil, jsonErr(path, "expected a value, {\"property\": ...}, {\"date\": ...}, {\"timestamp\": ...}, {\"bbox\": [...]} or a GeoJSON geometry, got an object with %s", quoteShort(strings.Join(keys, ", ")))
}

// jsonLiterals are the objects of one member that stand for a value, {"date": "2025-07-01"} and
// the like, in the order they are looked for; read reads the member's value at path.
var jsonLiterals = []struct {
	key  string
	read func(v any, path string) (Expr, error)
}{
	{"property", func(v any, path string) (Expr, error) {
		name, ok := v.(string)
		if !ok || name == "" {
			return nil, jsonErr(path, "expected a property name")
		}
		return Property{Name: name}, nil
	}},
	{"date", timeMember(ParseDate, func(t time.Time) Expr { return Date{Value: t} })},
	{"timestamp", timeMember(ParseTimestamp, func(t time.Time) Expr { return Timestamp{Value: t} })},
	{"bbox", func(v any, path string) (Expr, error) {
		arr, _ := v.([]any)
		nums := make([]float64, len(arr))
		for i, x := range arr {
			f, ok := jsonFloat(x)
			if !ok {
				return nil, jsonErr(path+"["+strconv.Itoa(i)+"]", "expected a number")
			}
			nums[i] = f
		}
		bound, err := boundOf(nums)
		if err != nil {
			return nil, jsonErr(path, "%v", err)
		}
		return BBox{Bound: bound}, nil
	}},
}

// timeMember reads the string of a {"date": ...} or {"timestamp": ...} member with parse, and
// makes the value with value.
func timeMember(parse func(string) (time.Time, error), value func(time.Time) Expr) func(v any, path string) (Expr, error) {
	return func(v any, path string) (Expr, error) {
		s, _ := v.(string)
		t, err := parse(s)
		if err != nil {
			return nil, jsonErr(path, "%v", err)
		}
		return value(t), nil
	}
}

// geoJSON reads a GeoJSON geometry object (RFC 7946), 2D, not empty.
func (j *jsonParser) geoJSON(m map[string]any, path string) (orb.Geometry, error) {
	if err := j.enter(path); err != nil {
		return nil, err
	}
	defer j.leave()
	typ, _ := m["type"].(string)
	for k := range m {
		switch k {
		case "type", "coordinates", "geometries", "bbox":
		default:
			return nil, jsonErr(path+"."+k, "unexpected member %s in a GeoJSON geometry", quoteShort(k))
		}
	}
	if typ == "GeometryCollection" {
		c, err := array(m["geometries"], path+".geometries", "geometries", func(v any, p string) (orb.Geometry, error) {
			gm, ok := v.(map[string]any)
			if !ok {
				return nil, jsonErr(p, "expected a GeoJSON geometry")
			}
			return j.geoJSON(gm, p)
		})
		return orb.Collection(c), err
	}
	coords, ok := m["coordinates"]
	cpath := path + ".coordinates"
	if !ok {
		return nil, jsonErr(cpath, "missing coordinates")
	}
	return geoJSONCoordinates(typ, coords, cpath, path+".type")
}

// geoJSONCoordinates builds a 2D geometry of GeoJSON type typ from its decoded coordinates,
// checking what PostGIS would otherwise refuse at query time: finite numbers, enough points,
// closed rings. Errors are *SyntaxError naming cpath.
func geoJSONCoordinates(typ string, coords any, cpath, tpath string) (orb.Geometry, error) {
	switch typ {
	case "Point":
		return point(coords, cpath)
	case "MultiPoint":
		pts, err := points(coords, cpath, 1, false)
		return orb.MultiPoint(pts), err
	case "LineString":
		pts, err := points(coords, cpath, 2, false)
		return orb.LineString(pts), err
	case "MultiLineString":
		ls, err := array(coords, cpath, "line strings", func(v any, p string) (orb.LineString, error) {
			return points(v, p, 2, false)
		})
		return orb.MultiLineString(ls), err
	case "Polygon":
		return polygon(coords, cpath)
	case "MultiPolygon":
		polys, err := array(coords, cpath, "polygons", polygon)
		return orb.MultiPolygon(polys), err
	}
	return nil, jsonErr(tpath, "unknown GeoJSON geometry type %s", quoteShort(typ))
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		return jsonFloat(n)
	case float64:
		return n, !math.IsInf(n, 0) && !math.IsNaN(n)
	}
	return 0, false
}

func point(v any, path string) (orb.Point, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) < 2 {
		return orb.Point{}, jsonErr(path, "expected a position [x, y]")
	}
	if len(arr) > 2 {
		return orb.Point{}, jsonErr(path, "only 2D positions are supported")
	}
	x, okx := number(arr[0])
	y, oky := number(arr[1])
	if !okx || !oky {
		return orb.Point{}, jsonErr(path, "expected finite numbers")
	}
	return orb.Point{x, y}, nil
}

func points(v any, path string, minPoints int, ring bool) ([]orb.Point, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, jsonErr(path, "expected an array of positions")
	}
	if len(arr) < minPoints {
		return nil, jsonErr(path, "expected at least %d positions, got %d", minPoints, len(arr))
	}
	pts := make([]orb.Point, len(arr))
	for i, a := range arr {
		p, err := point(a, path+"["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		pts[i] = p
	}
	if ring && pts[0] != pts[len(pts)-1] {
		return nil, jsonErr(path, "a polygon ring must end at its first position")
	}
	return pts, nil
}

func polygon(v any, path string) (orb.Polygon, error) {
	rings, err := array(v, path, "rings", func(v any, p string) (orb.Ring, error) { return points(v, p, 4, true) })
	return orb.Polygon(rings), err
}

// array reads v, a non-empty JSON array at path, with item; what names the items in the error.
func array[T any](v any, path, what string, item func(v any, path string) (T, error)) ([]T, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, jsonErr(path, "expected a non-empty array of %s", what)
	}
	out := make([]T, len(arr))
	for i, a := range arr {
		x, err := item(a, path+"["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// ParseGeoJSON reads one GeoJSON geometry object (2D, not empty, rings closed) with the rules
// geometry literals of CQL2 JSON follow, so that a geometry posted to a query endpoint is checked
// exactly like one in a filter. Errors are *SyntaxError naming the member at fault.
func ParseGeoJSON(data []byte) (orb.Geometry, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonSyntax(err, data)
	}
	if end := trailing(dec, data); end >= 0 {
		return nil, &SyntaxError{Offset: end, Msg: "unexpected data after the geometry"}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, jsonErr("$", "expected a GeoJSON geometry object")
	}
	if _, ok := m["type"].(string); !ok {
		return nil, jsonErr("$.type", "expected the GeoJSON geometry type")
	}
	j := &jsonParser{}
	return j.geoJSON(m, "$")
}
