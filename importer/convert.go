package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dongnai-gis/gisd/geo/geojson"
)

// problem is a reason to reject a feature, found while converting it.
type problem struct {
	code, field, reason string
}

// converted is one feature's attributes, converted for the target.
type converted struct {
	vals    []any    // per column (table layers), typed for the column (see convertValue)
	props   []byte   // the properties object (generic layers)
	keyVals []string // key values as text
	luFill  bool     // the single land use takes the parcel's official area
}

// converter maps and converts the properties of one feature after another. It belongs to one
// goroutine: it reuses its scratch space from feature to feature.
type converter struct {
	m        *mapper
	s        *Schema
	key      []*Column // key columns (table layers)
	keyAttrs []string  // key attribute names (also for generic layers and a layer being created)
	maxValue int

	picked []*geojson.Property
	prio   []int
	seen   map[string]bool
	keyTxt map[string]string
}

func newConverter(m *mapper, keyAttrs []string, maxValue int) *converter {
	c := &converter{m: m, s: m.s, keyAttrs: keyAttrs, maxValue: maxValue, seen: map[string]bool{}, keyTxt: map[string]string{}}
	if !m.s.Generic {
		for _, k := range keyAttrs {
			c.key = append(c.key, m.byName[k])
		}
	}
	return c
}

// tooLarge is the problem of a value longer than the import allows.
func (c *converter) tooLarge(field string, p *geojson.Property) *problem {
	return &problem{"value_too_large", field, fmt.Sprintf("%s: a value of %d bytes, more than the %d allowed", field, len(p.Raw), c.maxValue)}
}

// convert maps and converts one feature's properties into out. It returns the problem to
// reject the feature with, and adds warnings through warn.
func (c *converter) convert(f *geojson.Feature, out *converted, warn func(code, field, reason string)) *problem {
	for i := range f.Properties {
		if s := c.m.source(f.Properties[i].Key); s.bad != "" {
			return &problem{"bad_field_name", QuoteName(string(f.Properties[i].Key)), s.bad}
		}
	}
	if c.s.Generic {
		return c.convertGeneric(f, out)
	}
	cols := c.s.Columns
	n := len(cols)
	if cap(out.vals) < n {
		out.vals = make([]any, n)
	}
	out.vals = out.vals[:n]
	clear(out.vals)
	if cap(c.picked) < n {
		c.picked, c.prio = make([]*geojson.Property, n), make([]int, n)
	}
	picked, prio := c.picked[:n], c.prio[:n]
	clear(picked)
	for i := range f.Properties {
		p := &f.Properties[i]
		s := c.m.source(p.Key)
		if s.col == nil {
			continue
		}
		j := c.m.index[s.col]
		// A null never hides a value from another field; among values the best name wins.
		if picked[j] == nil || (picked[j].Kind == geojson.KindNull && p.Kind != geojson.KindNull) ||
			(p.Kind != geojson.KindNull && s.prio < prio[j]) {
			picked[j], prio[j] = p, s.prio
		}
	}
	out.luFill = false
	var landUse *geojson.Property
	luIndex := -1
	for j := range cols {
		col, p := &cols[j], picked[j]
		if p != nil && len(p.Raw) > c.maxValue {
			return c.tooLarge(col.Name, p)
		}
		if col.LandUse {
			landUse, luIndex = p, j
			continue
		}
		if p == nil || p.Kind == geojson.KindNull || (p.Kind == geojson.KindString && strings.TrimSpace(string(p.Raw)) == "") {
			continue
		}
		v, prob := convertValue(col, p)
		if prob != nil {
			return prob
		}
		out.vals[j] = v
	}
	if c.s.Table == "admin_units" {
		c.fillAdminLevel(out.vals)
	}
	if luIndex >= 0 {
		v, fill, prob := c.landUseValue(landUse, out.vals, warn)
		if prob != nil {
			return prob
		}
		out.vals[luIndex], out.luFill = v, fill
	}
	for j := range cols {
		col := &cols[j]
		if out.vals[j] != nil {
			continue
		}
		if col.Required {
			return &problem{"missing_attribute", col.Name, "missing required attribute " + col.Name}
		}
		if col.Zero {
			out.vals[j] = zeroValue(col.DB)
		}
	}
	out.keyVals = out.keyVals[:0]
	for _, k := range c.key {
		out.keyVals = append(out.keyVals, textOf(out.vals[c.m.index[k]]))
	}
	return nil
}

// fillAdminLevel derives an administrative unit's level from its code when the file omits it:
// the statistics office's codes have 2 digits for a province, 3 for a district, 5 for a commune.
func (c *converter) fillAdminLevel(vals []any) {
	code, level := c.m.byName["code"], c.m.byName["level"]
	if code == nil || level == nil || vals[c.m.index[level]] != nil {
		return
	}
	if s, ok := vals[c.m.index[code]].(string); ok {
		switch len(s) {
		case 2:
			vals[c.m.index[level]] = "province"
		case 3:
			vals[c.m.index[level]] = "district"
		case 5:
			vals[c.m.index[level]] = "commune"
		}
	}
}

// convertGeneric builds the jsonb properties of a generic layer: typed by the catalog for an
// existing layer, as found (with normalized names) for a layer being created.
func (c *converter) convertGeneric(f *geojson.Feature, out *converted) *problem {
	b := append(out.props[:0], '{')
	seen, vals := c.seen, c.keyTxt
	clear(seen)
	clear(vals)
	for i := len(f.Properties) - 1; i >= 0; i-- { // the last of repeated keys wins, as in JSON
		p := &f.Properties[i]
		s := c.m.source(p.Key)
		if s.col == nil || p.Kind == geojson.KindNull || seen[s.col.Name] {
			continue
		}
		if p.HasNUL {
			return &problem{"bad_value", s.col.Name, fmt.Sprintf("%s contains a NUL character (\\u0000), which the database cannot store", QuoteName(string(p.Key)))}
		}
		if len(p.Raw) > c.maxValue {
			return c.tooLarge(s.col.Name, p)
		}
		seen[s.col.Name] = true
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s.col.Name)
		b = append(b, ':')
		if c.s.Create {
			b = rawJSON(b, p)
			if len(c.keyAttrs) > 0 {
				vals[s.col.Name] = valueText(p)
			}
		} else {
			v, prob := convertValue(s.col, p)
			if prob != nil {
				return prob
			}
			b = jsonValue(b, v)
			if len(c.keyAttrs) > 0 {
				vals[s.col.Name] = textOf(v)
			}
		}
	}
	out.props = append(b, '}')
	for i := range c.s.Columns {
		col := &c.s.Columns[i]
		if col.Required && !seen[col.Name] {
			return &problem{"missing_attribute", col.Name, "missing required attribute " + col.Name}
		}
	}
	out.keyVals = out.keyVals[:0]
	for _, k := range c.keyAttrs {
		if vals[k] == "" {
			return &problem{"missing_attribute", k, "missing key attribute " + k}
		}
		out.keyVals = append(out.keyVals, vals[k])
	}
	return nil
}

// rawKey is the feature's key as written, for reporting a feature rejected before conversion.
func (c *converter) rawKey(f *geojson.Feature) string {
	if len(c.keyAttrs) == 0 {
		return ""
	}
	vals := make([]string, len(c.keyAttrs))
	for i := range f.Properties {
		p := &f.Properties[i]
		s := c.m.source(p.Key)
		if s.col == nil {
			continue
		}
		for k, name := range c.keyAttrs {
			if s.col.Name == name && vals[k] == "" {
				vals[k] = valueText(p)
			}
		}
	}
	return KeyText(vals)
}

// typeOf is the type a value is converted to: the table column's where there is one, else the
// catalog's.
func typeOf(c *Column) string {
	switch c.DB {
	case DBInt2, DBInt4, DBInt8:
		return "integer"
	case DBNumeric, DBFloat4, DBFloat8:
		return "number"
	case DBBool:
		return "boolean"
	case DBDate:
		return "date"
	case DBTimestamp, DBTimestamptz:
		return "datetime"
	case DBJSON:
		return "json"
	case DBText:
		return "string"
	}
	return c.Type
}

// convertValue converts a property to the column's type: int16, int32 or int64 for integer
// columns (by the column's width), float64 for numbers, bool, time.Time for dates and times,
// []byte (JSON text) for json, string otherwise. Numbers written as strings ("12") are
// accepted for numeric columns, as shapefile-derived GeoJSON often has them. A value the column
// cannot hold is a problem naming the column.
func convertValue(c *Column, p *geojson.Property) (any, *problem) {
	bad := func(format string, args ...any) (any, *problem) {
		return nil, &problem{"bad_value", c.Name, c.Name + ": " + fmt.Sprintf(format, args...)}
	}
	if p.HasNUL {
		return bad("contains a NUL character (\\u0000), which the database cannot store")
	}
	text := strings.TrimSpace(string(p.Raw))
	shown := text
	if utf8.RuneCountInString(shown) > 40 {
		shown = string([]rune(shown)[:40]) + "…"
	}
	switch typeOf(c) {
	case "integer":
		var n int64
		switch p.Kind {
		case geojson.KindNumber:
			if p.IsInt() {
				v, err := strconv.ParseInt(text, 10, 64)
				if err != nil {
					return bad("%s is out of range", shown)
				}
				n = v
			} else if p.Num == math.Trunc(p.Num) && math.Abs(p.Num) < 1<<53 {
				n = int64(p.Num)
			} else {
				return bad("%s is not an integer", shown)
			}
		case geojson.KindString:
			v, err := strconv.ParseInt(text, 10, 64)
			if err != nil {
				return bad("%q is not an integer", shown)
			}
			n = v
		default:
			return bad("a %s, want an integer", p.Kind)
		}
		switch c.DB {
		case DBInt2:
			if n < math.MinInt16 || n > math.MaxInt16 {
				return bad("%d is out of range (at most %d)", n, math.MaxInt16)
			}
			return int16(n), nil
		case DBInt4:
			if n < math.MinInt32 || n > math.MaxInt32 {
				return bad("%d is out of range (at most %d)", n, math.MaxInt32)
			}
			return int32(n), nil
		}
		return n, nil
	case "number":
		var v float64
		switch p.Kind {
		case geojson.KindNumber:
			v = p.Num
		case geojson.KindString:
			f, err := strconv.ParseFloat(text, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return bad("%q is not a number", shown)
			}
			v = f
		default:
			return bad("a %s, want a number", p.Kind)
		}
		if c.DB == DBNumeric && c.Precision > 0 {
			// Compared as the column will store it, rounded to its scale: 9999.996 is 10000.00.
			scale := math.Pow10(c.Scale)
			if limit := math.Pow10(c.Precision - c.Scale); math.Abs(math.Round(v*scale)/scale) >= limit {
				return bad("%s is too large (at most %d digits before the decimal point)", shown, c.Precision-c.Scale)
			}
		}
		if c.DB == DBFloat4 && math.Abs(v) > math.MaxFloat32 {
			return bad("%s is out of range", shown)
		}
		return v, nil
	case "boolean":
		switch {
		case p.Kind == geojson.KindBool:
			return text == "true", nil
		case text == "true" || text == "1":
			return true, nil
		case text == "false" || text == "0":
			return false, nil
		}
		return bad("%q is not true or false", shown)
	case "date":
		if p.Kind != geojson.KindString {
			return bad("a %s, want a date (YYYY-MM-DD)", p.Kind)
		}
		d, ok := ParseDate(text)
		if !ok {
			return bad("%q is not a date (want YYYY-MM-DD or DD/MM/YYYY)", shown)
		}
		return d, nil
	case "datetime":
		if p.Kind != geojson.KindString {
			return bad("a %s, want a date and time (RFC 3339)", p.Kind)
		}
		d, err := time.Parse(time.RFC3339, text)
		if err != nil {
			if day, ok := ParseDate(text); ok {
				return day, nil
			}
			return bad("%q is not a date and time (want RFC 3339, e.g. 2024-03-15T08:00:00+07:00)", shown)
		}
		return d, nil
	case "json":
		return rawJSON(nil, p), nil
	}
	switch p.Kind {
	case geojson.KindObject, geojson.KindArray:
		return bad("an %s, want text", p.Kind)
	}
	return text, nil
}

// zeroValue is the value a NOT NULL column with a default takes when the file has none.
func zeroValue(t DBType) any {
	switch t {
	case DBInt2:
		return int16(0)
	case DBInt4:
		return int32(0)
	case DBInt8:
		return int64(0)
	case DBNumeric, DBFloat4, DBFloat8:
		return float64(0)
	case DBBool:
		return false
	}
	return ""
}

// textOf formats a converted value for a key or a message.
func textOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return x.Format(time.DateOnly)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

// valueText is a property's value as text, for keys of generic layers.
func valueText(p *geojson.Property) string {
	if p.Kind == geojson.KindNull {
		return ""
	}
	return strings.TrimSpace(string(p.Raw))
}

// rawJSON re-encodes a property value as JSON; strings are escaped afresh so what reaches
// jsonb is canonical whatever escapes the file used.
func rawJSON(b []byte, p *geojson.Property) []byte {
	switch p.Kind {
	case geojson.KindNull:
		return append(b, "null"...)
	case geojson.KindString:
		return appendJSONString(b, string(p.Raw))
	}
	return append(b, p.Raw...)
}

// jsonValue encodes a converted value for a generic layer's properties.
func jsonValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return appendJSONString(b, x)
	case time.Time:
		return append(append(append(b, '"'), x.Format(time.DateOnly)...), '"')
	case float64:
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	case int16:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case bool:
		return strconv.AppendBool(b, x)
	case []byte:
		return append(b, x...)
	}
	enc, _ := json.Marshal(v)
	return append(b, enc...)
}

func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// maxArea bounds the area of one land-use purpose, in m²: Viet Nam covers 3.3·10¹¹ m², so
// anything above 10¹² is a mistake (and sums of such figures could overflow).
const maxArea = 1e12

// luItem is one purpose of a parcel.
type luItem struct {
	code    string
	area    float64
	hasArea bool
}

// landUseValue builds a parcel's land_use from what the file has: a code string such as
// "ONT+CLN", "ONT,CLN" or "ONT:300+CLN:1210.5"; an array like the national system's
// [{"KyHieu": "ONT", "DienTich": 300}, ...]; or land_use in gisd's own form. Codes are checked
// against the code list; legacy codes are mapped to current ones with a warning.
//
// Areas: a single purpose covers the whole parcel (the legal area, or else the official area
// computed from the geometry: fill). Several purposes without areas are stored without them,
// with a warning — splitting the legal area evenly would invent figures no officer recorded.
func (c *converter) landUseValue(p *geojson.Property, vals []any, warn func(code, field, reason string)) (v []byte, fill bool, prob *problem) {
	if p == nil || p.Kind == geojson.KindNull {
		return nil, false, &problem{"missing_attribute", "land_use", "missing required attribute land_use (KyHieuMucDichSuDung)"}
	}
	items, err := parseLandUse(p)
	if err != nil {
		return nil, false, &problem{"bad_value", "land_use", "land_use: " + err.Error()}
	}
	if len(items) == 0 {
		return nil, false, &problem{"missing_attribute", "land_use", "land_use: no land-use code"}
	}
	merged := items[:0]
	for _, it := range items {
		lc, ok := c.s.LandUse[it.code]
		if !ok {
			return nil, false, &problem{"unknown_land_use", "land_use", fmt.Sprintf("unknown land-use code %s", QuoteName(it.code))}
		}
		if lc.Legacy {
			warn("legacy_land_use", "land_use", fmt.Sprintf("legacy land-use code %s mapped to %s", it.code, lc.ReplacedBy))
			it.code = lc.ReplacedBy
		}
		if it.hasArea && it.area < 0 {
			return nil, false, &problem{"bad_value", "land_use", fmt.Sprintf("land_use: negative area %g for %s", it.area, it.code)}
		}
		if it.hasArea && it.area > maxArea {
			return nil, false, &problem{"bad_value", "land_use", fmt.Sprintf("land_use: area %g m² for %s is larger than the country", it.area, it.code)}
		}
		dup := false
		for k := range merged {
			if merged[k].code == it.code {
				merged[k].area += it.area
				merged[k].hasArea = merged[k].hasArea && it.hasArea
				dup = true
			}
		}
		if !dup {
			merged = append(merged, it)
		}
	}
	items = merged
	if len(items) == 1 && !items[0].hasArea {
		if la := c.m.byName["legal_area_m2"]; la != nil {
			if a, ok := vals[c.m.index[la]].(float64); ok && a > 0 {
				items[0].area, items[0].hasArea = a, true
			}
		}
		fill = !items[0].hasArea
	}
	missing := false
	for _, it := range items {
		missing = missing || !it.hasArea
	}
	if missing && len(items) > 1 {
		codes := make([]string, len(items))
		for i, it := range items {
			codes[i] = it.code
		}
		warn("land_use_areas", "land_use", fmt.Sprintf("no area per purpose for %s; stored without areas", strings.Join(codes, "+")))
	}
	b := []byte{'['}
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"code":`...)
		b = appendJSONString(b, it.code)
		if it.hasArea {
			b = append(b, `,"area":`...)
			b = strconv.AppendFloat(b, math.Round(it.area*10)/10, 'f', -1, 64)
		}
		b = append(b, '}')
	}
	return append(b, ']'), fill, nil
}

// parseLandUse reads the forms landUseValue accepts.
func parseLandUse(p *geojson.Property) ([]luItem, error) {
	switch p.Kind {
	case geojson.KindString:
		var out []luItem
		for _, tok := range strings.FieldsFunc(string(p.Raw), func(r rune) bool {
			return r == '+' || r == ',' || r == ';' || r == ' ' || r == '\t'
		}) {
			code, area, hasArea := tok, "", false
			if i := strings.IndexAny(tok, ":="); i >= 0 {
				code, area, hasArea = tok[:i], tok[i+1:], true
			}
			it := luItem{code: strings.ToUpper(strings.TrimSpace(code))}
			if hasArea {
				a, err := strconv.ParseFloat(strings.TrimSpace(area), 64)
				if err != nil || math.IsNaN(a) || math.IsInf(a, 0) {
					return nil, fmt.Errorf("%q: area %q is not a number", string(p.Raw), area)
				}
				it.area, it.hasArea = a, true
			}
			out = append(out, it)
		}
		return out, nil
	case geojson.KindArray:
		var raw []json.RawMessage
		if err := json.Unmarshal(p.Raw, &raw); err != nil {
			return nil, fmt.Errorf("not an array of purposes")
		}
		var out []luItem
		for _, r := range raw {
			r = bytes.TrimSpace(r)
			if len(r) > 0 && r[0] == '"' {
				var s string
				_ = json.Unmarshal(r, &s)
				out = append(out, luItem{code: strings.ToUpper(strings.TrimSpace(s))})
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(r, &m); err != nil {
				return nil, fmt.Errorf("each purpose must be a code or an object with a code and an area")
			}
			var it luItem
			for k, v := range m {
				switch foldName(k) {
				case "code", "kyhieu", "ma", "mamucdich", "kyhieumucdich":
					s, _ := v.(string)
					it.code = strings.ToUpper(strings.TrimSpace(s))
				case "area", "dientich", "dientichmucdich":
					switch a := v.(type) {
					case float64:
						it.area, it.hasArea = a, true
					case string:
						f, err := strconv.ParseFloat(strings.TrimSpace(a), 64)
						if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
							return nil, fmt.Errorf("area %q is not a number", a)
						}
						it.area, it.hasArea = f, true
					}
				}
			}
			if it.code == "" {
				return nil, fmt.Errorf("a purpose without a code")
			}
			out = append(out, it)
		}
		return out, nil
	}
	return nil, fmt.Errorf("a %s, want codes such as \"ONT+CLN\"", p.Kind)
}
