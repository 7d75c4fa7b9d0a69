package store

import (
	"strings"

	"github.com/jackc/pgx/v5"
)

// The layer-reading vocabulary: how SQL names a layer's rows, reads its attributes, keeps to its
// own rows in a shared table, and reads it as it was at an instant. Every statement that reads a
// layer — tiles (mvt.go), OGC features, spatial queries, history, the change feed, writes — is
// written with these, so that a layer is read the same way everywhere and the storage rules
// (typed tables for built-in layers, one jsonb table for imported ones) live in one place.
// They are unexported: SQL text never leaves this package.

// relation is the quoted name of the table holding the layer's current features.
func (l *Layer) relation() string {
	if l.Storage == StorageGeneric {
		return pgx.Identifier{"layer_features"}.Sanitize()
	}
	return pgx.Identifier{l.TableName}.Sanitize()
}

// historyRelation is the quoted name of the table holding the layer's past versions.
func (l *Layer) historyRelation() string {
	if l.Storage == StorageGeneric {
		return pgx.Identifier{"layer_features_history"}.Sanitize()
	}
	return pgx.Identifier{l.TableName + "_history"}.Sanitize()
}

// ownRows is the predicate keeping the row alias to the layer's own rows, binding the layer id
// in a: generic layers share one table. It is empty for a layer with a table of its own.
func (l *Layer) ownRows(alias string, a *args) string {
	if l.Storage != StorageGeneric {
		return ""
	}
	return pgx.Identifier{alias, "layer_id"}.Sanitize() + " = " + a.add(l.ID)
}

// attributeSQL is the SQL expression reading attribute a from the row alias, typed as the
// catalog says. Names come from the catalog only; for generic layers the jsonb key is a literal
// of the catalog name, which the catalog restricts to [a-z0-9_] (validAttributeName).
func (l *Layer) attributeSQL(alias string, a Attribute) string {
	if l.Storage != StorageGeneric {
		return pgx.Identifier{alias, a.Name}.Sanitize()
	}
	member := pgx.Identifier{alias, "properties"}.Sanitize() + "->"
	if a.Type != "json" {
		member += ">" // ->> reads the member as text, to be cast
	}
	e := "(" + member + quoteLiteral(a.Name) + ")"
	if cast, ok := jsonbCasts[a.Type]; ok {
		return e + "::" + cast
	}
	return e
}

// jsonbCasts are the SQL types the catalog's attribute types are read as from jsonb text;
// strings stay text and json stays jsonb.
var jsonbCasts = map[string]string{"integer": "bigint", "number": "double precision", "boolean": "boolean",
	"date": "date", "datetime": "timestamptz"}

// asOfRelation is a subquery holding the layer's features as they were at the instant bound to
// param (a timestamptz): the current rows written by then, and the old versions that were
// current then. It has the columns id, version, geom, sys_from, the layer's attributes (and
// layer_id, properties for generic layers), so statements can read it in place of relation.
func (l *Layer) asOfRelation(param string) string {
	cols := []string{"id", "version", "geom", "sys_from"}
	if l.Storage == StorageGeneric {
		cols = append(cols, "layer_id", "properties")
	} else {
		for _, a := range l.Attributes {
			cols = append(cols, pgx.Identifier{a.Name}.Sanitize())
		}
	}
	list := strings.Join(cols, ", ")
	return `(SELECT ` + list + ` FROM ` + l.relation() + ` WHERE sys_from <= ` + param + `
		UNION ALL
		SELECT ` + list + ` FROM ` + l.historyRelation() + ` WHERE sys_from <= ` + param + ` AND sys_to > ` + param + `)`
}

// quoteLiteral quotes s as a SQL string literal. It is used only for attribute names that the
// catalog has already restricted to [a-z0-9_] (see validAttributeName); the doubling of quotes
// makes it safe even so.
func quoteLiteral(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}
