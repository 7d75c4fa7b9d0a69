package store

import (
	"fmt"
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
	key := quoteLiteral(a.Name)
	col := pgx.Identifier{alias, "properties"}.Sanitize()
	switch a.Type {
	case "integer":
		return fmt.Sprintf("(%s->>%s)::bigint", col, key)
	case "number":
		return fmt.Sprintf("(%s->>%s)::double precision", col, key)
	case "boolean":
		return fmt.Sprintf("(%s->>%s)::boolean", col, key)
	case "date":
		return fmt.Sprintf("(%s->>%s)::date", col, key)
	case "datetime":
		return fmt.Sprintf("(%s->>%s)::timestamptz", col, key)
	case "json":
		return fmt.Sprintf("(%s->%s)", col, key)
	default:
		return fmt.Sprintf("(%s->>%s)", col, key)
	}
}

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
