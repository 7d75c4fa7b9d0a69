package fes

import (
	"encoding/xml"
	"strings"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

// SortKey is one key of a SortBy: a property, ascending unless Desc.
type SortKey struct {
	Property string
	Desc     bool
}

// MaxSortKeys bounds the keys of one SortBy.
const MaxSortKeys = 16

// DecodeSortBy reads a fes:SortBy (ValueReference and SortOrder ASC/DESC) or ogc:SortBy
// (PropertyName and SortOrder) whose start tag has just been read from d. Properties are
// checked with opt.Resolver when it is set (unknown and personal ones are refused, and so is
// the geometry).
func DecodeSortBy(d *xml.Decoder, start xml.StartElement, opt Options) ([]SortKey, error) {
	opt = opt.withDefaults("SortBy")
	p := &parser{d: d, opt: opt}
	var keys []SortKey
	err := p.children(start, func(c xml.StartElement) error {
		if c.Name.Local != "SortProperty" {
			return invalid("unexpected <%s> in <SortBy>", c.Name.Local)
		}
		var key SortKey
		var order string
		named := false
		err := p.children(c, func(cc xml.StartElement) error {
			text, err := ogcxml.Text(d, cc)
			if err != nil {
				return err
			}
			switch cc.Name.Local {
			case "ValueReference", "PropertyName":
				key.Property, named = text, true
			case "SortOrder":
				order = text
			default:
				return invalid("unexpected <%s> in <SortProperty>", cc.Name.Local)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !named {
			return ogcxml.Errorf(ogcxml.MissingParameterValue, "", "<SortProperty> names no property")
		}
		if key, err = p.sortKey(key.Property, order); err != nil {
			return err
		}
		keys = append(keys, key)
		if len(keys) > MaxSortKeys {
			return invalid("more than %d sort keys", MaxSortKeys)
		}
		return nil
	})
	if err == nil && len(keys) == 0 {
		err = ogcxml.Errorf(ogcxml.MissingParameterValue, "", "<SortBy> has no <SortProperty>")
	}
	if err != nil {
		return nil, locate(err, opt.Locator)
	}
	return keys, nil
}

// ParseSortBy reads the SORTBY parameter: "name ASC,area DESC" in WFS 2.0, "name A,area D" in
// WFS 1.1.0; a key without an order is ascending.
func ParseSortBy(kvp string, opt Options) ([]SortKey, error) {
	opt = opt.withDefaults("SORTBY")
	p := &parser{opt: opt}
	var keys []SortKey
	for _, item := range strings.Split(kvp, ",") {
		fields := strings.Fields(item)
		if len(fields) == 0 {
			continue
		}
		if len(fields) > 2 {
			return nil, locate(invalid("SORTBY item %s is not \"property [ASC|DESC]\"", quote(item)), opt.Locator)
		}
		order := ""
		if len(fields) == 2 {
			order = fields[1]
		}
		key, err := p.sortKey(fields[0], order)
		if err != nil {
			return nil, locate(err, opt.Locator)
		}
		keys = append(keys, key)
		if len(keys) > MaxSortKeys {
			return nil, locate(invalid("more than %d sort keys", MaxSortKeys), opt.Locator)
		}
	}
	if len(keys) == 0 {
		return nil, ogcxml.Errorf(ogcxml.MissingParameterValue, opt.Locator, "SORTBY names no property")
	}
	return keys, nil
}

func (p *parser) sortKey(ref, order string) (SortKey, error) {
	o, err := p.property(ref)
	if err != nil {
		return SortKey{}, err
	}
	if p.opt.Resolver != nil && o.col.Type == cql2.TypeGeometry {
		return SortKey{}, invalid("features cannot be sorted by their geometry")
	}
	key := SortKey{Property: o.prop}
	switch strings.ToUpper(strings.TrimSpace(order)) {
	case "", "ASC", "A":
	case "DESC", "D":
		key.Desc = true
	default:
		return SortKey{}, invalid("sort order %s is not ASC or DESC", quote(order))
	}
	return key, nil
}
