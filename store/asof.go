package store

import (
	"strings"

	"github.com/jackc/pgx/v5"
)

// AsOfRelation is a subquery holding the layer's features as they were at the instant bound to
// parameter param (a timestamptz): the current rows written by then, and the old versions that
// were current then. It has the columns id, version, geom, sys_from, the layer's attributes (and layer_id,
// properties for generic layers), so tile and feature queries can read it in place of Relation.
func (l *Layer) AsOfRelation(param string) string {
	cols := []string{"id", "version", "geom", "sys_from"}
	if l.Storage == StorageGeneric {
		cols = append(cols, "layer_id", "properties")
	} else {
		for _, a := range l.Attributes {
			cols = append(cols, pgx.Identifier{a.Name}.Sanitize())
		}
	}
	list := strings.Join(cols, ", ")
	return `(SELECT ` + list + ` FROM ` + l.Relation() + ` WHERE sys_from <= ` + param + `
		UNION ALL
		SELECT ` + list + ` FROM ` + l.HistoryRelation() + ` WHERE sys_from <= ` + param + ` AND sys_to > ` + param + `)`
}
