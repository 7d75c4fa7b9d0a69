package importer

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dongnai-gis/gisd/geo"
)

// DBType is the type of the table column an attribute is written to, as far as conversion
// cares: it decides the Go type of the converted value and the range it must fit.
type DBType uint8

// Column types. DBNone is an attribute of a generic layer, held in jsonb and typed only by
// the catalog.
const (
	DBNone DBType = iota
	DBInt2
	DBInt4
	DBInt8
	DBNumeric
	DBFloat4
	DBFloat8
	DBBool
	DBDate
	DBTimestamp
	DBTimestamptz
	DBText
	DBJSON
)

// Column is one attribute an import writes.
type Column struct {
	Name string
	Type string // catalog type: string, integer, number, boolean, date, datetime, json
	DB   DBType // the table column's type; DBNone for generic layers
	// Precision and Scale of a numeric(p, s) column, 0 when unconstrained.
	Precision, Scale int
	Required         bool // the feature is rejected without it
	Zero             bool // NOT NULL with a default: a missing value takes the type's zero value
	LandUse          bool // parcels.land_use, built from land-use codes (see landUseValue)
}

// LandUseCode is one row of the land-use code list.
type LandUseCode struct {
	Legacy     bool
	ReplacedBy string
}

// Schema describes the layer an import writes to, as store reads it from the catalog and the
// table (column types, land-use codes).
type Schema struct {
	Layer string // layer id, for messages
	// Table is the relation written: "parcels", "admin_units" and "constructions" have built-in
	// field names and rules; generic layers all go to layer_features.
	Table        string
	Generic      bool
	Create       bool   // the layer is being created from the file (generic, no columns yet)
	GeometryType string // the geometry type of the layer ("Geometry": any; while creating)
	Columns      []Column
	LandUse      map[string]LandUseCode // parcels: the code list
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
	return strings.ReplaceAll(NormalizeFieldName(s), "_", "")
}

// source is how one field name of the input is treated, decided once per name.
type source struct {
	col  *Column // nil: not imported
	prio int     // lower wins when several fields feed one column
	// bad says why the name itself cannot be imported (a control character): a feature that
	// has the field is rejected.
	bad string
}

// mapper maps the field names of the input to the target's columns.
type mapper struct {
	s        *Schema
	byName   map[string]*Column
	index    map[*Column]int
	aliases  map[string]string // folded source name -> column
	aliasPos map[string]int    // folded source name -> its place in fieldAliases (priority)
	explicit map[string]string // source name (as written, and "\x00"+folded) -> attribute
	sources  map[string]*source
	ignored  []string // source fields not imported, in order of appearance

	// A layer being created: its attributes, the source name each came from, and the fields
	// renamed because gisd uses their normalised name itself.
	attrs   map[string]string
	order   []string
	renamed []renaming
}

type renaming struct{ from, to string }

func newMapper(s *Schema, explicit map[string]string) *mapper {
	m := &mapper{s: s, byName: map[string]*Column{}, index: map[*Column]int{}, aliases: map[string]string{},
		aliasPos: map[string]int{}, explicit: map[string]string{}, sources: map[string]*source{}}
	for i := range s.Columns {
		c := &s.Columns[i]
		m.byName[c.Name] = c
		m.index[c] = i
	}
	for src, dst := range explicit {
		m.explicit[src] = dst
		m.explicit["\x00"+foldName(src)] = dst
	}
	if !s.Generic {
		for i, a := range fieldAliases[s.Table] {
			if _, ok := m.aliases[a[0]]; !ok {
				m.aliases[a[0]], m.aliasPos[a[0]] = a[1], i
			}
		}
	}
	if s.Create {
		m.attrs = map[string]string{}
	}
	return m
}

// tooManyFields reports whether the input has used more distinct field names than allowed.
func (m *mapper) tooManyFields() bool { return len(m.sources) > maxFieldNames }

// source decides, once per field name, which column a source field feeds: an explicit mapping
// first, then a field named like the column, then the built-in Vietnamese names. For a layer
// being created every field becomes an attribute with a normalised name.
func (m *mapper) source(key []byte) *source {
	if s, ok := m.sources[string(key)]; ok {
		return s
	}
	name := string(key)
	s := &source{}
	m.sources[name] = s
	if r, ok := controlChar(name); ok {
		s.bad = fmt.Sprintf("the property name %s contains the control character %U, which no attribute name may hold", QuoteName(name), r)
		return s
	}
	folded := foldName(name)
	dst, mapped := m.explicit[name]
	if !mapped {
		dst, mapped = m.explicit["\x00"+folded]
	}
	switch {
	case m.s.Create:
		attr := dst
		if !mapped {
			attr = NormalizeFieldName(name)
			if Reserved(attr) {
				renamed := "f_" + attr
				m.renamed = append(m.renamed, renaming{name, renamed})
				attr = renamed
			}
		}
		if attr != "" && !attributePattern.MatchString(attr) {
			attr = "f_" + attr
		}
		if attr != "" {
			// Two fields that normalize alike ("Tên", "ten") keep apart as ten, ten_2.
			base := attr
			for i := 2; m.attrs[attr] != "" && m.attrs[attr] != name; i++ {
				attr = fmt.Sprintf("%s_%d", base, i)
			}
			if m.attrs[attr] == "" {
				m.order = append(m.order, attr)
			}
			m.attrs[attr] = name
			s.col = &Column{Name: attr}
		}
	case mapped:
		s.col, s.prio = m.byName[dst], 0
	default:
		if c, ok := m.byName[name]; ok {
			s.col, s.prio = c, 1
		} else if c, ok := m.byName[NormalizeFieldName(name)]; ok {
			s.col, s.prio = c, 2
		} else if col, ok := m.aliases[folded]; ok {
			s.col, s.prio = m.byName[col], 3+m.aliasPos[folded]
		}
	}
	if s.col == nil && len(m.ignored) < maxIgnoredFields {
		m.ignored = append(m.ignored, name)
	}
	return s
}

// controlChar returns the first control character (C0, DEL or C1) of s.
func controlChar(s string) (rune, bool) {
	for _, r := range s {
		if unicode.IsControl(r) {
			return r, true
		}
	}
	return 0, false
}

// QuoteName quotes a field name for a message, every control character escaped, so that the
// report can hold it whatever it contains.
func QuoteName(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case unicode.IsControl(r) || r == utf8.RuneError:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// attributes lists, for a layer being created, the attribute names in the order first seen.
func (m *mapper) attributes() []string { return slices.Clone(m.order) }

// sourceOf is the source name an attribute of a created layer came from.
func (m *mapper) sourceOf(attr string) string { return m.attrs[attr] }

// CommonType is the layer type for a new layer whose features have the given geometry types
// (with counts): the multi type when singles and multis of one kind mix. Different kinds
// (points and polygons) cannot share a layer: the error, wrapping ErrInvalid, says how many
// of each were found.
func CommonType(counts map[string]int64) (string, error) {
	kinds := map[string]bool{}
	multi := map[string]bool{}
	for t, n := range counts {
		if n == 0 {
			continue
		}
		base, isMulti := strings.CutPrefix(t, "Multi")
		multi[base] = multi[base] || isMulti
		kinds[base] = true
	}
	switch len(kinds) {
	case 0:
		return "", invalidf("no geometries to infer a layer type from")
	case 1:
		for k := range kinds {
			if multi[k] {
				return "Multi" + k, nil
			}
			return k, nil
		}
	}
	var parts []string
	for _, t := range geo.GeometryTypes {
		if counts[t] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[t], t))
		}
	}
	return "", invalidf("mixed geometry types (%s): a layer holds one kind of geometry; split the file by type", strings.Join(parts, ", "))
}
