package store

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/geo"
)

// GeometryProperty is the name filters, queryables and sortby use for a layer's geometry.
const GeometryProperty = "geometry"

// IDProperty is the feature id, queryable and sortable on every layer that has no attribute of
// that name.
const IDProperty = "id"

// Queryable is a property a filter may name.
type Queryable struct {
	Name  string
	Title string
	Type  cql2.Type
	// Attribute is the catalog attribute behind the property; nil for id and geometry.
	Attribute *Attribute
}

// queryableTypes maps catalog attribute types to CQL2 types. json attributes (land_use) have no
// CQL2 counterpart and are not queryable.
var queryableTypes = map[string]cql2.Type{
	"string": cql2.TypeString, "integer": cql2.TypeInteger, "number": cql2.TypeNumber,
	"boolean": cql2.TypeBoolean, "date": cql2.TypeDate, "datetime": cql2.TypeTimestamp,
}

// Queryables lists what anonymous filters on the layer may name: see QueryablesFor.
func (l *Layer) Queryables() []Queryable { return l.QueryablesFor(nil) }

// QueryablesFor lists what filters on the layer may name, in catalog order, for a caller who
// may see the attributes visible (nil: the public ones): those of a scalar type, then id and
// geometry. An attribute the caller may not see is never queryable either: a filter on it would
// reveal its values one question at a time.
func (l *Layer) QueryablesFor(visible []Attribute) []Queryable {
	if visible == nil {
		visible = l.PublicAttributes()
	}
	var out []Queryable
	hasID := false
	for i := range l.Attributes {
		a := &l.Attributes[i]
		t, ok := queryableTypes[a.Type]
		if !ok || !slices.ContainsFunc(visible, func(v Attribute) bool { return v.Name == a.Name }) {
			continue
		}
		hasID = hasID || a.Name == IDProperty
		out = append(out, Queryable{Name: a.Name, Title: a.Title, Type: t, Attribute: a})
	}
	if !hasID {
		out = append(out, Queryable{Name: IDProperty, Title: "Feature id", Type: cql2.TypeInteger})
	}
	return append(out, Queryable{Name: GeometryProperty, Title: "Geometry", Type: cql2.TypeGeometry})
}

// Queryable returns the queryable property called name for a caller who may see visible (nil:
// the public attributes).
func (l *Layer) Queryable(name string, visible []Attribute) (Queryable, bool) {
	for _, q := range l.QueryablesFor(visible) {
		if q.Name == name {
			return q, true
		}
	}
	return Queryable{}, false
}

// layerResolver resolves property names of one layer's rows under a table alias.
type layerResolver struct {
	l       *Layer
	alias   string
	visible []Attribute
}

// resolver returns the cql2.Resolver for the layer's rows under alias for a caller who may see
// visible (nil: the public attributes). It refuses attributes the caller may not see, json and
// unknown ones with a *cql2.Error naming the property.
func (l *Layer) resolver(alias string, visible []Attribute) cql2.Resolver {
	return layerResolver{l, alias, visible}
}

func (r layerResolver) Column(name string) (cql2.Column, error) {
	if q, ok := r.l.Queryable(name, r.visible); ok {
		return r.l.queryableColumn(r.alias, q), nil
	}
	perr := func(format string, args ...any) error {
		return &cql2.Error{Kind: cql2.ErrProperty, Property: name, Msg: fmt.Sprintf(format, args...)}
	}
	if a, ok := r.l.Attribute(name); ok {
		switch {
		case !slices.ContainsFunc(r.visible, func(v Attribute) bool { return v.Name == name }) && a.Visibility == VisibilityPersonal:
			return cql2.Column{}, perr("%s is personal data; filtering on it needs a key with the %s:personal scope", name, r.l.ID)
		case !slices.ContainsFunc(r.visible, func(v Attribute) bool { return v.Name == name }) && a.Visibility != VisibilityPublic:
			return cql2.Column{}, perr("%s is restricted; filtering on it needs a key with the %s:read scope", name, r.l.ID)
		default:
			return cql2.Column{}, perr("%s is a %s attribute and cannot be used in a filter", name, a.Type)
		}
	}
	if name == "geom" {
		return cql2.Column{}, perr("unknown property geom (the geometry is called %s)", GeometryProperty)
	}
	names := make([]string, 0, len(r.l.Attributes)+2)
	for _, q := range r.l.QueryablesFor(r.visible) {
		names = append(names, q.Name)
	}
	return cql2.Column{}, perr("unknown property %s; the queryables of %s are %s", quoteName(name), r.l.ID, strings.Join(names, ", "))
}

// queryableColumn is the SQL reading q under alias.
func (l *Layer) queryableColumn(alias string, q Queryable) cql2.Column {
	switch {
	case q.Attribute != nil:
		return cql2.Column{SQL: l.attributeSQL(alias, *q.Attribute), Type: q.Type}
	case q.Name == GeometryProperty:
		return cql2.Column{SQL: pgx.Identifier{alias, "geom"}.Sanitize(), Type: cql2.TypeGeometry, SRID: geo.SRIDWGS84}
	default:
		return cql2.Column{SQL: pgx.Identifier{alias, "id"}.Sanitize(), Type: cql2.TypeInteger}
	}
}

// filterSQL compiles a CQL2 filter on the layer's rows under alias into a SQL predicate, for a
// caller who may see the attributes visible (nil: the public ones), binding its values in a.
// Geometry literals are in crs (zero: CRS84). Errors wrap cql2.ErrProperty or cql2.ErrType and
// their messages are written for the client (they name the property, never SQL).
func (l *Layer) filterSQL(alias string, visible []Attribute, e cql2.Expr, crs geo.CRS, a *args) (string, error) {
	sql, vals, err := cql2.Compile(e, l.resolver(alias, visible), cql2.Options{FirstParam: len(*a) + 1, CRS: crs})
	if err != nil {
		return "", err
	}
	*a = append(*a, vals...)
	return sql, nil
}

// CheckFilter reports whether filter e can be evaluated on the layer's public attributes, with
// geometry literals in crs (zero: CRS84): the check the tile service makes before it looks in
// its cache, so that a filter naming a personal or unknown property is refused even when no
// statement runs. Errors are those of filterSQL.
func (l *Layer) CheckFilter(e cql2.Expr, crs geo.CRS) error {
	var a args
	_, err := l.filterSQL("t", nil, e, crs, &a)
	return err
}

// quoteName quotes a client-supplied name for a message, cut short.
func quoteName(s string) string {
	if r := []rune(s); len(r) > 64 {
		s = string(r[:64]) + "…"
	}
	return `"` + s + `"`
}
