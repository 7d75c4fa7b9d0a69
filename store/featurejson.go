package store

import (
	"strings"

	"github.com/jackc/pgx/v5"
)

// propertiesSQL is a jsonb expression of the given attributes of the row alias. Built-in layers
// read typed columns (jsonb_build_object takes at most 100 arguments, so attributes go in chunks
// joined with ||); generic layers pick the allowed keys out of their properties column.
func propertiesSQL(l *Layer, alias string, attrs []Attribute) string {
	if len(attrs) == 0 {
		return `'{}'::jsonb`
	}
	if l.Storage == StorageGeneric {
		names := make([]string, len(attrs))
		for i, a := range attrs {
			names[i] = quoteLiteral(a.Name)
		}
		col := pgx.Identifier{alias, "properties"}.Sanitize()
		return `coalesce((SELECT jsonb_object_agg(k, v) FROM jsonb_each(` + col + `) AS p(k, v)
			WHERE k IN (` + strings.Join(names, ", ") + `)), '{}'::jsonb)`
	}
	var parts []string
	for start := 0; start < len(attrs); start += 40 {
		end := min(start+40, len(attrs))
		var b strings.Builder
		b.WriteString("jsonb_build_object(")
		for i, a := range attrs[start:end] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteLiteral(a.Name))
			b.WriteString(", ")
			b.WriteString(l.attributeSQL(alias, a))
		}
		b.WriteString(")")
		parts = append(parts, b.String())
	}
	return strings.Join(parts, " || ")
}

// featureSQL is a json expression building a GeoJSON Feature of the row alias in WGS 84 with the
// given attributes as properties.
func featureSQL(l *Layer, alias string, attrs []Attribute) string {
	a := pgx.Identifier{alias}.Sanitize()
	return `json_build_object('type', 'Feature', 'id', ` + a + `.id, 'geometry', ST_AsGeoJSON(` + a + `.geom, 9)::json,
		'properties', ` + propertiesSQL(l, alias, attrs) + `)`
}
