package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/dongnai-gis/gisd/geo"
)

// PostgreSQL type OIDs the importer converts values for.
const (
	oidBool        = 16
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidJSON        = 114
	oidFloat4      = 700
	oidFloat8      = 701
	oidVarchar     = 1043
	oidDate        = 1082
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidNumeric     = 1700
	oidJSONB       = 3802
)

// importColumn is one attribute an import writes.
type importColumn struct {
	name     string
	typ      string // catalog type: string|integer|number|boolean|date|datetime|json
	oid      uint32 // the table column's type (table layers); 0 for generic layers
	typmod   int32
	required bool // the feature is rejected without it
	zero     bool // NOT NULL with a default: a missing value takes the type's zero value
	landUse  bool // parcels.land_use, built from land-use codes
	index    int
}

// importSource is how one source field name is treated, decided once per name.
type importSource struct {
	col  *importColumn // nil: not imported
	prio int           // lower wins when several fields feed one column
	attr string        // attribute name, for a created layer
}

// importTarget describes where features go and how their fields map there.
type importTarget struct {
	layer    *Layer // nil while creating
	table    string // the relation written: parcels, admin_units, constructions or layer_features
	generic  bool
	create   bool
	geomType string
	cols     []*importColumn
	byName   map[string]*importColumn
	key      []*importColumn
	aliases  map[string]string // folded source name -> column
	explicit map[string]string // source name (as written and folded) -> column
	sources  map[string]*importSource
	attrs    map[string]string // created layer: attribute name -> source name that took it
	landUse  map[string]landUseCode
	ignored  []string // source fields not imported, in order of appearance
	keyAttrs []string // key attribute names (also for a layer being created)

	// Scratch reused feature after feature (one goroutine converts).
	picked []*geo.Property
	prio   []int
	seen   map[string]bool
	keyTxt map[string]string
}

type landUseCode struct {
	legacy     bool
	replacedBy string
}

// fieldAliases maps the field names of Vietnamese GIS layers and national systems (folded:
// lower case, no diacritics, no separators) to the columns of the built-in layers. The first
// name listed for a column wins when a file carries several.
var fieldAliases = map[string][][2]string{
	"parcels": {
		{"maxa", "commune_code"}, {"xaid", "commune_code"}, {"maxaphuong", "commune_code"},
		{"sohieutobando", "sheet_no"}, {"soto", "sheet_no"}, {"tobando", "sheet_no"},
		{"sothututhua", "parcel_no"}, {"sothua", "parcel_no"},
		{"sohieutobandocu", "old_sheet_no"}, {"sothututhuacu", "old_parcel_no"},
		{"dientichphaply", "legal_area_m2"}, {"dientich", "legal_area_m2"},
		{"mucdichsudung", "land_use"}, {"kyhieumucdichsudung", "land_use"}, {"loaidat", "land_use"},
		{"diachi", "address"}, {"diachithua", "address"},
		{"tenchu", "owner_name"}, {"chusudung", "owner_name"},
		{"socccd", "owner_id_number"}, {"cccd", "owner_id_number"}, {"socmnd", "owner_id_number"}, {"sodinhdanh", "owner_id_number"},
		{"sogcn", "certificate_no"}, {"sogiaychungnhan", "certificate_no"},
	},
	"admin_units": {
		{"ma", "code"}, {"madvhc", "code"}, {"madonvi", "code"},
		{"ten", "name"}, {"tendvhc", "name"}, {"tendonvi", "name"},
		{"cap", "level"}, {"loai", "kind"},
		{"parentcode", "parent_code"}, {"macaptren", "parent_code"},
		{"validfrom", "valid_from"}, {"hieuluctu", "valid_from"}, {"validto", "valid_to"}, {"hieulucden", "valid_to"},
	},
	"constructions": {
		{"sogiayphep", "permit_no"}, {"sogpxd", "permit_no"}, {"ngaycap", "permit_date"}, {"ngaycapphep", "permit_date"},
		{"coquancap", "permit_issuer"}, {"loaicongtrinh", "kind"}, {"capcongtrinh", "grade"},
		{"sotang", "storeys"}, {"sotangham", "basements"}, {"chieucao", "height_m"},
		{"tongdientichsan", "total_floor_area_m2"}, {"tinhtrang", "status"},
	},
}

// foldName folds a field name for alias matching: "SoHieuToBanDo", "so_hieu_to_ban_do" and
// "Số hiệu tờ bản đồ" all become "sohieutobando".
func foldName(s string) string {
	return strings.ReplaceAll(geo.NormalizeFieldName(s), "_", "")
}

// resolveTarget builds the target inside the import's transaction, reading column types from
// the table itself so values are converted (and range-checked) for exactly what it holds.
func (run *importRun) resolveTarget(ctx context.Context, tx pgx.Tx) (*importTarget, error) {
	opt := run.im.opt
	t := &importTarget{byName: map[string]*importColumn{}, aliases: map[string]string{}, explicit: map[string]string{},
		sources: map[string]*importSource{}}
	for src, dst := range opt.Map {
		t.explicit[src] = dst
		t.explicit["\x00"+foldName(src)] = dst
	}
	t.keyAttrs = opt.Key
	t.seen, t.keyTxt = map[string]bool{}, map[string]string{}
	if opt.Create {
		t.create, t.generic, t.table, t.geomType = true, true, "layer_features", "Geometry"
		t.attrs = map[string]string{}
		return t, nil
	}
	l, ok := run.im.s.Catalog().Layer(opt.Layer)
	if !ok {
		return nil, clientError(ErrNotFound, "no layer %s", opt.Layer)
	}
	t.layer, t.geomType = l, l.GeometryType
	t.generic = l.Storage == StorageGeneric
	t.table = "layer_features"
	if !t.generic {
		t.table = l.TableName
	}
	type colInfo struct {
		oid             uint32
		typmod          int32
		notNull, hasDef bool
	}
	info := map[string]colInfo{}
	if !t.generic {
		rows, err := tx.Query(ctx, `SELECT attname, atttypid, atttypmod, attnotnull, atthasdef FROM pg_attribute
			WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, t.table)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var name string
			var ci colInfo
			if err := rows.Scan(&name, &ci.oid, &ci.typmod, &ci.notNull, &ci.hasDef); err != nil {
				return nil, err
			}
			info[name] = ci
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, a := range fieldAliases[t.table] {
			if _, ok := t.aliases[a[0]]; !ok {
				t.aliases[a[0]] = a[1]
			}
		}
	}
	for _, a := range l.Attributes {
		if a.Computed {
			continue
		}
		c := &importColumn{name: a.Name, typ: a.Type, required: a.Required, index: len(t.cols)}
		if !t.generic {
			ci, ok := info[a.Name]
			if !ok {
				return nil, fmt.Errorf("the catalog lists attribute %s of layer %s, which table %s does not have", a.Name, l.ID, t.table)
			}
			c.oid, c.typmod = ci.oid, ci.typmod
			c.required = c.required || (ci.notNull && !ci.hasDef)
			c.zero = ci.notNull && ci.hasDef
			c.landUse = t.table == "parcels" && a.Name == "land_use"
		}
		t.cols = append(t.cols, c)
		t.byName[c.name] = c
	}
	for _, k := range opt.Key {
		t.key = append(t.key, t.byName[k])
	}
	if t.table == "parcels" {
		rows, err := tx.Query(ctx, `SELECT code, legacy, coalesce(replaced_by, '') FROM land_use_codes`)
		if err != nil {
			return nil, err
		}
		t.landUse = map[string]landUseCode{}
		for rows.Next() {
			var code string
			var c landUseCode
			if err := rows.Scan(&code, &c.legacy, &c.replacedBy); err != nil {
				return nil, err
			}
			t.landUse[code] = c
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// source decides, once per field name, which column a source field feeds: --map first, then a
// field named like the column, then the built-in Vietnamese names.
func (t *importTarget) source(key []byte) *importSource {
	if s, ok := t.sources[string(key)]; ok {
		return s
	}
	name := string(key)
	s := &importSource{}
	folded := foldName(name)
	dst, mapped := t.explicit[name]
	if !mapped {
		dst, mapped = t.explicit["\x00"+folded]
	}
	switch {
	case t.create:
		attr := dst
		if !mapped {
			attr = geo.NormalizeFieldName(name)
		}
		if attr != "" && !validAttributeName(attr) {
			attr = "f_" + attr
		}
		if attr != "" {
			// Two fields that normalize alike ("Tên", "ten") keep apart as ten, ten_2.
			base := attr
			for i := 2; t.attrs[attr] != "" && t.attrs[attr] != name; i++ {
				attr = fmt.Sprintf("%s_%d", base, i)
			}
			t.attrs[attr] = name
			s.attr = attr
			s.col = &importColumn{name: attr}
		}
	case mapped:
		s.col, s.prio = t.byName[dst], 0
	default:
		if c, ok := t.byName[name]; ok {
			s.col, s.prio = c, 1
		} else if c, ok := t.byName[geo.NormalizeFieldName(name)]; ok {
			s.col, s.prio = c, 2
		} else if col, ok := t.aliases[folded]; ok {
			s.col = t.byName[col]
			s.prio = 3
			for i, a := range fieldAliases[t.table] {
				if a[0] == folded {
					s.prio = 3 + i
				}
			}
		}
	}
	if s.col == nil && len(t.ignored) < maxIgnoredFields {
		t.ignored = append(t.ignored, name)
	}
	t.sources[name] = s
	return s
}

// Field names are remembered once each; a file with endless distinct names (generated keys,
// an attack) is refused rather than let the cache and the report grow without bound.
const (
	maxFieldNames    = 5000
	maxIgnoredFields = 100
)

// tooManyFields reports whether the input has used more distinct field names than allowed.
func (t *importTarget) tooManyFields() bool { return len(t.sources) > maxFieldNames }

// row is one feature converted for the staging table.
type convertedFeature struct {
	vals    []any    // per column (table layers)
	props   []byte   // the properties object (generic layers)
	keyVals []string // key values as text
	luFill  bool     // the single land use takes the parcel's official area
}

// featureProblem is a rejection found while converting.
type featureProblem struct {
	code, field, reason string
}

func (p *featureProblem) Error() string { return p.reason }

// convert maps and converts one feature's properties. It returns a problem to reject the
// feature with, and adds warnings through warn.
func (t *importTarget) convert(f *geo.Feature, out *convertedFeature, warn func(code, field, reason string)) *featureProblem {
	if t.generic {
		return t.convertGeneric(f, out)
	}
	n := len(t.cols)
	if cap(out.vals) < n {
		out.vals = make([]any, n)
	}
	out.vals = out.vals[:n]
	clear(out.vals)
	if cap(t.picked) < n {
		t.picked, t.prio = make([]*geo.Property, n), make([]int, n)
	}
	picked, prio := t.picked[:n], t.prio[:n]
	clear(picked)
	for i := range f.Properties {
		p := &f.Properties[i]
		s := t.source(p.Key)
		if s.col == nil {
			continue
		}
		j := s.col.index
		// A null never hides a value from another field; among values the best name wins.
		if picked[j] == nil || (picked[j].Kind == geo.KindNull && p.Kind != geo.KindNull) ||
			(p.Kind != geo.KindNull && s.prio < prio[j]) {
			picked[j], prio[j] = p, s.prio
		}
	}
	out.luFill = false
	var landUse *geo.Property
	for j, c := range t.cols {
		p := picked[j]
		if c.landUse {
			landUse = p
			continue
		}
		if p == nil || p.Kind == geo.KindNull || (p.Kind == geo.KindString && strings.TrimSpace(string(p.Raw)) == "") {
			continue
		}
		v, prob := convertValue(c, p)
		if prob != nil {
			return prob
		}
		out.vals[j] = v
	}
	if t.table == "admin_units" {
		fillAdminLevel(t, out.vals)
	}
	if lu := t.byName["land_use"]; lu != nil && lu.landUse {
		v, fill, prob := t.landUseValue(landUse, out.vals, warn)
		if prob != nil {
			return prob
		}
		out.vals[lu.index], out.luFill = v, fill
	}
	for j, c := range t.cols {
		if out.vals[j] != nil {
			continue
		}
		if c.required {
			return &featureProblem{"missing_attribute", c.name, "missing required attribute " + c.name}
		}
		if c.zero {
			out.vals[j] = zeroValue(c.oid)
		}
	}
	out.keyVals = out.keyVals[:0]
	for _, k := range t.key {
		out.keyVals = append(out.keyVals, textOf(out.vals[k.index]))
	}
	return nil
}

// fillAdminLevel derives an administrative unit's level from its code when the file omits it:
// the statistics office's codes have 2 digits for a province, 3 for a district, 5 for a commune.
func fillAdminLevel(t *importTarget, vals []any) {
	code, level := t.byName["code"], t.byName["level"]
	if code == nil || level == nil || vals[level.index] != nil {
		return
	}
	if s, ok := vals[code.index].(string); ok {
		switch len(s) {
		case 2:
			vals[level.index] = "province"
		case 3:
			vals[level.index] = "district"
		case 5:
			vals[level.index] = "commune"
		}
	}
}

// convertGeneric builds the jsonb properties of a generic layer: typed by the catalog for an
// existing layer, as found (with normalized names) for a layer being created.
func (t *importTarget) convertGeneric(f *geo.Feature, out *convertedFeature) *featureProblem {
	b := append(out.props[:0], '{')
	seen, vals := t.seen, t.keyTxt
	clear(seen)
	clear(vals)
	for i := len(f.Properties) - 1; i >= 0; i-- { // the last of repeated keys wins, as in JSON
		p := &f.Properties[i]
		s := t.source(p.Key)
		if s.col == nil || p.Kind == geo.KindNull || seen[s.col.name] {
			continue
		}
		if p.HasNUL {
			return &featureProblem{"bad_value", s.col.name, fmt.Sprintf("%s contains a NUL character (\\u0000), which the database cannot store", quoteField(string(p.Key)))}
		}
		seen[s.col.name] = true
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s.col.name)
		b = append(b, ':')
		if t.create {
			b = rawJSON(b, p)
			if len(t.keyAttrs) > 0 {
				vals[s.col.name] = valueText(p)
			}
		} else {
			v, prob := convertValue(s.col, p)
			if prob != nil {
				return prob
			}
			b = jsonValue(b, v)
			if len(t.keyAttrs) > 0 {
				vals[s.col.name] = textOf(v)
			}
		}
	}
	out.props = append(b, '}')
	for _, c := range t.cols {
		if c.required && !seen[c.name] {
			return &featureProblem{"missing_attribute", c.name, "missing required attribute " + c.name}
		}
	}
	out.keyVals = out.keyVals[:0]
	for _, k := range t.keyAttrs {
		if vals[k] == "" {
			return &featureProblem{"missing_attribute", k, "missing key attribute " + k}
		}
		out.keyVals = append(out.keyVals, vals[k])
	}
	return nil
}

// rawKey is the feature's key as written, for reporting a feature rejected before conversion.
func (t *importTarget) rawKey(f *geo.Feature) string {
	if len(t.keyAttrs) == 0 {
		return ""
	}
	vals := make([]string, len(t.keyAttrs))
	for i := range f.Properties {
		p := &f.Properties[i]
		s := t.source(p.Key)
		if s.col == nil {
			continue
		}
		for k, name := range t.keyAttrs {
			if s.col.name == name && vals[k] == "" {
				vals[k] = valueText(p)
			}
		}
	}
	return keyOf(vals)
}

// convertValue converts a property to the column's type. Numbers written as strings ("12") are
// accepted for numeric columns, as shapefile-derived GeoJSON often has them.
func convertValue(c *importColumn, p *geo.Property) (any, *featureProblem) {
	bad := func(format string, args ...any) (any, *featureProblem) {
		return nil, &featureProblem{"bad_value", c.name, c.name + ": " + fmt.Sprintf(format, args...)}
	}
	if p.HasNUL {
		return bad("contains a NUL character (\\u0000), which the database cannot store")
	}
	text := strings.TrimSpace(string(p.Raw))
	shown := text
	if utf8.RuneCountInString(shown) > 40 {
		shown = string([]rune(shown)[:40]) + "…"
	}
	typ := c.typ
	switch c.oid {
	case oidInt2, oidInt4, oidInt8:
		typ = "integer"
	case oidNumeric, oidFloat4, oidFloat8:
		typ = "number"
	case oidBool:
		typ = "boolean"
	case oidDate:
		typ = "date"
	case oidTimestamptz, oidTimestamp:
		typ = "datetime"
	case oidJSON, oidJSONB:
		typ = "json"
	case oidText, oidVarchar:
		typ = "string"
	}
	switch typ {
	case "integer":
		var n int64
		switch p.Kind {
		case geo.KindNumber:
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
		case geo.KindString:
			v, err := strconv.ParseInt(text, 10, 64)
			if err != nil {
				return bad("%q is not an integer", shown)
			}
			n = v
		default:
			return bad("a %s, want an integer", p.Kind)
		}
		switch c.oid {
		case oidInt2:
			if n < math.MinInt16 || n > math.MaxInt16 {
				return bad("%d is out of range (at most %d)", n, math.MaxInt16)
			}
			return int16(n), nil
		case oidInt4:
			if n < math.MinInt32 || n > math.MaxInt32 {
				return bad("%d is out of range (at most %d)", n, math.MaxInt32)
			}
			return int32(n), nil
		}
		return n, nil
	case "number":
		var v float64
		switch p.Kind {
		case geo.KindNumber:
			v = p.Num
		case geo.KindString:
			f, err := strconv.ParseFloat(text, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return bad("%q is not a number", shown)
			}
			v = f
		default:
			return bad("a %s, want a number", p.Kind)
		}
		if c.oid == oidNumeric && c.typmod >= 4 {
			prec, scale := ((c.typmod-4)>>16)&0xffff, (c.typmod-4)&0xffff
			if limit := math.Pow10(int(prec - scale)); math.Abs(v) >= limit {
				return bad("%s is too large (at most %d digits before the decimal point)", shown, prec-scale)
			}
		}
		return v, nil
	case "boolean":
		switch {
		case p.Kind == geo.KindBool:
			return text == "true", nil
		case text == "true" || text == "1":
			return true, nil
		case text == "false" || text == "0":
			return false, nil
		}
		return bad("%q is not true or false", shown)
	case "date":
		if p.Kind != geo.KindString {
			return bad("a %s, want a date (YYYY-MM-DD)", p.Kind)
		}
		d, ok := geo.ParseDate(text)
		if !ok {
			return bad("%q is not a date (want YYYY-MM-DD or DD/MM/YYYY)", shown)
		}
		return d, nil
	case "datetime":
		if p.Kind != geo.KindString {
			return bad("a %s, want a date and time (RFC 3339)", p.Kind)
		}
		d, err := time.Parse(time.RFC3339, text)
		if err != nil {
			if day, ok := geo.ParseDate(text); ok {
				return day, nil
			}
			return bad("%q is not a date and time (want RFC 3339, e.g. 2024-03-15T08:00:00+07:00)", shown)
		}
		return d, nil
	case "json":
		return rawJSON(nil, p), nil
	}
	switch p.Kind {
	case geo.KindObject, geo.KindArray:
		return bad("an %s, want text", p.Kind)
	}
	return text, nil
}

func zeroValue(oid uint32) any {
	switch oid {
	case oidInt2:
		return int16(0)
	case oidInt4:
		return int32(0)
	case oidInt8:
		return int64(0)
	case oidNumeric, oidFloat4, oidFloat8:
		return float64(0)
	case oidBool:
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
func valueText(p *geo.Property) string {
	if p.Kind == geo.KindNull {
		return ""
	}
	return strings.TrimSpace(string(p.Raw))
}

// rawJSON re-encodes a property value as JSON; strings are escaped afresh so what reaches
// jsonb is canonical whatever escapes the file used.
func rawJSON(b []byte, p *geo.Property) []byte {
	switch p.Kind {
	case geo.KindNull:
		return append(b, "null"...)
	case geo.KindString:
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

// luItem is one purpose of a parcel.
type luItem struct {
	code    string
	area    float64
	hasArea bool
}

// landUseValue builds a parcel's land_use from what the file has: a code string such as
// "ONT+CLN", "ONT,CLN" or "ONT:300+CLN:1210.5"; an array like the national system's
// [{"KyHieu": "ONT", "DienTich": 300}, ...]; or land_use in gisd's own form. Codes are checked
// against land_use_codes; legacy codes are mapped to current ones with a warning.
//
// Areas: a single purpose covers the whole parcel (the legal area, or else the official area
// computed from the geometry: fill). Several purposes without areas are stored without them,
// with a warning — splitting the legal area evenly would invent figures no officer recorded.
func (t *importTarget) landUseValue(p *geo.Property, vals []any, warn func(code, field, reason string)) (v []byte, fill bool, prob *featureProblem) {
	if p == nil || p.Kind == geo.KindNull {
		return nil, false, &featureProblem{"missing_attribute", "land_use", "missing required attribute land_use (KyHieuMucDichSuDung)"}
	}
	items, err := parseLandUse(p)
	if err != nil {
		return nil, false, &featureProblem{"bad_value", "land_use", "land_use: " + err.Error()}
	}
	if len(items) == 0 {
		return nil, false, &featureProblem{"missing_attribute", "land_use", "land_use: no land-use code"}
	}
	merged := items[:0]
	for _, it := range items {
		c, ok := t.landUse[it.code]
		if !ok {
			return nil, false, &featureProblem{"unknown_land_use", "land_use", fmt.Sprintf("unknown land-use code %s", quoteField(it.code))}
		}
		if c.legacy {
			warn("legacy_land_use", "land_use", fmt.Sprintf("legacy land-use code %s mapped to %s", it.code, c.replacedBy))
			it.code = c.replacedBy
		}
		if it.hasArea && it.area < 0 {
			return nil, false, &featureProblem{"bad_value", "land_use", fmt.Sprintf("land_use: negative area %g for %s", it.area, it.code)}
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
		if la := t.byName["legal_area_m2"]; la != nil {
			if a, ok := vals[la.index].(float64); ok && a > 0 {
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
func parseLandUse(p *geo.Property) ([]luItem, error) {
	switch p.Kind {
	case geo.KindString:
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
	case geo.KindArray:
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
						if err != nil {
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
