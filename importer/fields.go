package importer

import (
	"strconv"
	"time"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/geo/geojson"
)

// NormalizeFieldName turns a source field name into an attribute name the catalog accepts
// ([a-z][a-z0-9_]*, at most 63 bytes): Vietnamese diacritics folded (geo.Fold), lower case, every
// run of other characters one '_', no leading or trailing '_', and "f_" in front of a leading
// digit. "Tên đường" becomes "ten_duong", "SoThuTuThua" "sothututhua", "2020 area" "f_2020_area".
// It returns "" when nothing is left ("???").
func NormalizeFieldName(s string) string {
	folded := geo.Fold(s)
	b := make([]byte, 0, len(folded))
	pending := false
	for i := 0; i < len(folded); i++ {
		c := folded[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			if pending && len(b) > 0 {
				b = append(b, '_')
			}
			pending = false
			b = append(b, c)
			continue
		}
		pending = true
	}
	if len(b) > 0 && b[0] >= '0' && b[0] <= '9' {
		b = append([]byte("f_"), b...)
	}
	if len(b) > 63 {
		b = b[:63]
		for len(b) > 0 && b[len(b)-1] == '_' {
			b = b[:len(b)-1]
		}
	}
	return string(b)
}

// Attribute types, as the layer catalog names them.
const (
	TypeString  = "string"
	TypeInteger = "integer"
	TypeNumber  = "number"
	TypeBoolean = "boolean"
	TypeDate    = "date"
	TypeJSON    = "json"
)

// FieldTypes infers the type of each property of a stream of features, for a layer created
// from a file. It keeps a few counters per field name, not the values, so it costs the same for
// ten features or ten million.
type FieldTypes struct {
	order []string
	stats map[string]*fieldStat
}

type fieldStat struct {
	ints, floats, bools, dates, strings, objects int64
}

// Add counts one property value. Nulls say nothing about a type and are ignored (but the
// field is still listed).
func (t *FieldTypes) Add(p *geojson.Property) {
	if t.stats == nil {
		t.stats = map[string]*fieldStat{}
	}
	st, ok := t.stats[string(p.Key)]
	if !ok {
		st = &fieldStat{}
		k := string(p.Key)
		t.stats[k] = st
		t.order = append(t.order, k)
	}
	switch p.Kind {
	case geojson.KindNumber:
		if p.IsInt() && fitsInt64(p.Raw) {
			st.ints++
		} else {
			st.floats++
		}
	case geojson.KindBool:
		st.bools++
	case geojson.KindString:
		if isDate(p.Raw) {
			st.dates++
		} else {
			st.strings++
		}
	case geojson.KindObject, geojson.KindArray:
		st.objects++
	}
}

// InferredField is one field of the input with its inferred type.
type InferredField struct {
	Name string // as written in the file
	Type string // TypeString, TypeInteger, ...
}

// Fields lists the fields in the order they were first seen. A field whose values are all
// integers is integer; numbers (mixed with integers) number; all true/false boolean; all
// YYYY-MM-DD strings date; objects or arrays json; anything mixed, or only nulls, string.
func (t *FieldTypes) Fields() []InferredField {
	out := make([]InferredField, 0, len(t.order))
	for _, name := range t.order {
		st := t.stats[name]
		typ := TypeString
		nonNull := st.ints + st.floats + st.bools + st.dates + st.strings + st.objects
		switch {
		case nonNull == 0:
		case st.ints == nonNull:
			typ = TypeInteger
		case st.ints+st.floats == nonNull:
			typ = TypeNumber
		case st.bools == nonNull:
			typ = TypeBoolean
		case st.dates == nonNull:
			typ = TypeDate
		case st.objects == nonNull:
			typ = TypeJSON
		}
		out = append(out, InferredField{Name: name, Type: typ})
	}
	return out
}

func fitsInt64(b []byte) bool {
	_, err := strconv.ParseInt(string(b), 10, 64)
	return err == nil
}

// isDate reports whether b is a calendar date written YYYY-MM-DD.
func isDate(b []byte) bool {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return false
	}
	_, err := time.Parse(time.DateOnly, string(b))
	return err == nil
}

// ParseDate parses a date as GIS files write them: 2024-03-15, 2024-03-15T00:00:00 (any time
// part is dropped), 15/03/2024 (Vietnamese day/month order) or 2024/03/15.
func ParseDate(s string) (time.Time, bool) {
	if len(s) >= 10 {
		if t, err := time.Parse(time.DateOnly, s[:10]); err == nil && (len(s) == 10 || s[10] == 'T' || s[10] == ' ') {
			return t, true
		}
	}
	for _, layout := range []string{"02/01/2006", "2/1/2006", "2006/01/02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
