package fes

import (
	"encoding/xml"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

// typed turns the text of a Literal into the cql2 literal for a property of type t. Text that
// does not read as t stays a String, so that the compiler reports the mismatch with the
// property's name ("sheet_no is a integer and cannot be compared with 'abc'"). With t == 0 (no
// property, or no resolver) numbers and true/false are recognised by their look.
func typed(text string, t cql2.Type, zone *time.Location) cql2.Expr {
	s := strings.TrimSpace(text)
	switch t {
	case cql2.TypeString:
		return cql2.String{Value: text}
	case cql2.TypeInteger, cql2.TypeNumber:
		if n, err := cql2.ParseNumber(s); err == nil {
			return n
		}
	case cql2.TypeBoolean:
		if b, ok := parseBool(s); ok {
			return cql2.Bool{Value: b}
		}
	case cql2.TypeDate, cql2.TypeTimestamp:
		if e := temporal(s, zone); e != nil {
			return e
		}
	case 0:
		if n, err := cql2.ParseNumber(s); err == nil && s != "" {
			return n
		}
		if s == "true" || s == "false" {
			return cql2.Bool{Value: s == "true"}
		}
	}
	return cql2.String{Value: text}
}

// parseBool reads xsd:boolean.
func parseBool(s string) (bool, bool) {
	switch s {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// temporal reads xsd:date and xsd:dateTime: a date (an xsd:date's zone is dropped: a calendar
// day is compared as a day), an RFC 3339 date-time, or a date-time without an offset, taken in
// zone (GDAL writes those for fields with no time zone).
func temporal(s string, zone *time.Location) cql2.Expr {
	if d, err := cql2.ParseDate(s); err == nil {
		return cql2.Date{Value: d}
	}
	if len(s) > 10 && (s[10] == 'Z' || s[10] == '+' || s[10] == '-') && !strings.Contains(s[10:], "T") {
		if d, err := cql2.ParseDate(s[:10]); err == nil {
			return cql2.Date{Value: d}
		}
	}
	if ts, err := cql2.ParseTimestamp(s); err == nil {
		return cql2.Timestamp{Value: ts}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04:05.999999999"} {
		if ts, err := time.ParseInLocation(layout, s, zone); err == nil && ts.Year() >= 1 && ts.Year() <= 9999 {
			return cql2.Timestamp{Value: ts}
		}
	}
	return nil
}

// likePattern rewrites an FES pattern, with the wildCard, singleChar and escapeChar of start,
// into a CQL2/SQL LIKE pattern (% and _, escaped with \).
func likePattern(start xml.StartElement, pattern string) (string, error) {
	char := func(names []string, def rune) (rune, error) {
		for _, n := range names {
			if v, ok := ogcxml.Attr(start, "", n); ok {
				r, size := utf8.DecodeRuneInString(v)
				if size == 0 || size != len(v) {
					return 0, invalid("<PropertyIsLike> %s must be one character, got %s", n, quote(v))
				}
				return r, nil
			}
		}
		return def, nil
	}
	// Without the attributes (which both encodings require) use SQL's own characters, as
	// OWSLib and QGIS write them.
	wild, err := char([]string{"wildCard"}, '%')
	if err != nil {
		return "", err
	}
	single, err := char([]string{"singleChar"}, '_')
	if err != nil {
		return "", err
	}
	esc, err := char([]string{"escapeChar", "escape"}, '\\') // "escape" in Filter 1.0, which GDAL still writes
	if err != nil {
		return "", err
	}
	if wild == single || wild == esc || single == esc {
		return "", invalid("<PropertyIsLike> wildCard, singleChar and escapeChar must differ")
	}
	var b strings.Builder
	escaped := false
	for _, r := range pattern {
		switch {
		case escaped:
			escaped = false
			writeLiteral(&b, r)
		case r == esc:
			escaped = true
		case r == wild:
			b.WriteByte('%')
		case r == single:
			b.WriteByte('_')
		default:
			writeLiteral(&b, r)
		}
	}
	if escaped { // a trailing escape character stands for itself
		writeLiteral(&b, esc)
	}
	return b.String(), nil
}

// writeLiteral writes r so that LIKE matches it literally.
func writeLiteral(b *strings.Builder, r rune) {
	if r == '%' || r == '_' || r == '\\' {
		b.WriteByte('\\')
	}
	b.WriteRune(r)
}

// distance reads <Distance uom="m">250</Distance> (FES 2.0: uom; Filter 1.1: units; GDAL:
// unit) into metres.
func (p *parser) distance(start xml.StartElement) (float64, error) {
	text, err := ogcxml.Text(p.d, start)
	if err != nil {
		return 0, err
	}
	n, err := cql2.ParseNumber(strings.TrimSpace(text))
	if err != nil {
		return 0, invalid("<Distance> %s is not a number", quote(text))
	}
	unit := ""
	for _, a := range []string{"uom", "units", "unit"} {
		if v, ok := ogcxml.Attr(start, "", a); ok {
			unit = v
			break
		}
	}
	factor, ok := metresPer(unit)
	if !ok {
		return 0, invalid("<Distance> unit %s is not supported; use m (metres) or km", quote(unit))
	}
	d := n.Value * factor
	if !(d >= 0) || d > cql2.MaxDistance {
		return 0, invalid("<Distance> must be between 0 and %d metres", cql2.MaxDistance)
	}
	return d, nil
}

// metresPer gives the metres in one unit, by symbol, name, EPSG code or OGC URI. No unit at
// all (both encodings require one) means metres, the unit of every distance the service
// measures. Degrees are refused: their length depends on where and in which direction.
func metresPer(unit string) (float64, bool) {
	u := strings.ToLower(strings.TrimSpace(unit))
	for _, prefix := range []string{"urn:ogc:def:uom:epsg::", "http://www.opengis.net/def/uom/epsg/0/", "http://www.opengis.net/def/uom/ucum/0/", "urn:ogc:def:uom:ucum::", "#"} {
		u = strings.TrimPrefix(u, prefix)
	}
	switch u {
	case "", "m", "meter", "meters", "metre", "metres", "9001":
		return 1, true
	case "km", "kilometer", "kilometers", "kilometre", "kilometres", "9036":
		return 1000, true
	case "ft", "foot", "feet", "[ft_i]", "9002":
		return 0.3048, true
	case "us-ft", "[ft_us]", "9003":
		return 1200.0 / 3937, true
	case "mi", "mile", "miles", "[mi_i]", "9093":
		return 1609.344, true
	case "nm", "nmi", "[nmi_i]", "9030":
		return 1852, true
	}
	return 0, false
}

// ResourceID is a feature identifier as WFS writes it: "parcels.123" is the feature 123 of
// the type parcels.
type ResourceID struct {
	// TypeName is the part before the last dot ("" when there is none), with any prefix.
	TypeName string
	// ID is the part after it.
	ID string
}

// ParseResourceID splits rid at its last dot.
func ParseResourceID(rid string) ResourceID {
	rid = strings.TrimSpace(rid)
	if i := strings.LastIndexByte(rid, '.'); i >= 0 {
		return ResourceID{TypeName: rid[:i], ID: rid[i+1:]}
	}
	return ResourceID{ID: rid}
}

func (r ResourceID) String() string {
	if r.TypeName == "" {
		return r.ID
	}
	return r.TypeName + "." + r.ID
}

// resourceID reads fes:ResourceId rid=, ogc:FeatureId fid= or ogc:GmlObjectId gml:id= (GDAL
// may write id= without the prefix).
func (p *parser) resourceID(start xml.StartElement) (ResourceID, error) {
	var rid string
	var ok bool
	switch start.Name.Local {
	case "ResourceId":
		for _, a := range []string{"previousRid", "version", "startDate", "endDate"} {
			if _, has := ogcxml.Attr(start, "", a); has {
				return ResourceID{}, invalid("<ResourceId %s=…> asks for a version; only current features can be selected", a)
			}
		}
		rid, ok = ogcxml.Attr(start, "", "rid")
	case "FeatureId":
		rid, ok = ogcxml.Attr(start, "", "fid")
	default:
		for _, a := range start.Attr {
			if a.Name.Local == "id" && (a.Name.Space == "" || a.Name.Space == "gml" || a.Name.Space == "http://www.opengis.net/gml" || a.Name.Space == "http://www.opengis.net/gml/3.2") {
				rid, ok = a.Value, true
			}
		}
	}
	if err := p.d.Skip(); err != nil {
		return ResourceID{}, ogcxml.FromXML(err)
	}
	if !ok || strings.TrimSpace(rid) == "" {
		return ResourceID{}, ogcxml.Errorf(ogcxml.MissingParameterValue, "", "<%s> has no identifier", start.Name.Local)
	}
	return ParseResourceID(rid), nil
}

// IDFilter is the predicate selecting the features ids name: IDProperty IN (...) over the ids
// of opt.TypeName (all of them when TypeName is ""), FALSE when none is of that type. Ids are
// typed by the resolver's id column; one that does not fit (text for an integer id) makes
// compiling fail with the property named.
func IDFilter(ids []ResourceID, opt Options) (cql2.Expr, error) {
	opt = opt.withDefaults("RESOURCEID")
	var t cql2.Type
	if opt.Resolver != nil {
		col, err := opt.Resolver.Column(opt.IDProperty)
		if err != nil {
			return nil, locate(propertyError(opt.IDProperty, err), opt.Locator)
		}
		t = col.Type
	}
	var list []cql2.Expr
	for _, id := range ids {
		if opt.TypeName != "" && id.TypeName != "" && local(id.TypeName) != local(opt.TypeName) {
			continue
		}
		idType := t
		if idType == 0 {
			idType = cql2.TypeInteger
			if _, err := strconv.ParseInt(id.ID, 10, 64); err != nil {
				idType = cql2.TypeString
			}
		}
		list = append(list, typed(id.ID, idType, opt.Zone))
	}
	if len(list) == 0 {
		return cql2.Bool{Value: false}, nil
	}
	return cql2.In{Arg: cql2.Property{Name: opt.IDProperty}, List: list}, nil
}
