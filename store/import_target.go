package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/dongnai-gis/gisd/importer"
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

// dbTypes and oidOf translate between column type OIDs and importer's column types.
var dbTypes = map[uint32]importer.DBType{
	oidBool: importer.DBBool, oidInt2: importer.DBInt2, oidInt4: importer.DBInt4, oidInt8: importer.DBInt8,
	oidText: importer.DBText, oidVarchar: importer.DBText, oidJSON: importer.DBJSON, oidJSONB: importer.DBJSON,
	oidFloat4: importer.DBFloat4, oidFloat8: importer.DBFloat8, oidNumeric: importer.DBNumeric,
	oidDate: importer.DBDate, oidTimestamp: importer.DBTimestamp, oidTimestamptz: importer.DBTimestamptz,
}

// importTarget is where an import's rows go: the schema importer converts for, and what the
// SQL needs besides.
type importTarget struct {
	importer.Schema
	layer   *Layer   // nil while creating
	oids    []uint32 // per column: the table column's type (table layers)
	key     []string // the import's key attributes
	notNull map[string]bool
}

// column returns the index of the named column, -1 if none.
func (t *importTarget) column(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// resolveTarget describes the target inside the import's transaction, reading column types from
// the table itself so values are converted (and range-checked) for exactly what it holds.
func (run *importRun) resolveTarget(ctx context.Context, tx pgx.Tx) (*importTarget, error) {
	opt := run.im.opt
	t := &importTarget{key: opt.Key, notNull: map[string]bool{}}
	t.Layer = opt.Layer
	if opt.Create {
		t.Create, t.Generic, t.Table, t.GeometryType = true, true, "layer_features", "Geometry"
		return t, nil
	}
	l, ok := run.im.s.Catalog().Layer(opt.Layer)
	if !ok {
		return nil, clientError(ErrNotFound, "no layer %s", opt.Layer)
	}
	t.layer, t.GeometryType = l, l.GeometryType
	t.Generic = l.Storage == StorageGeneric
	t.Table = "layer_features"
	if !t.Generic {
		t.Table = l.TableName
	}
	type colInfo struct {
		oid             uint32
		typmod          int32
		notNull, hasDef bool
	}
	info := map[string]colInfo{}
	if !t.Generic {
		rows, err := tx.Query(ctx, `SELECT attname, atttypid, atttypmod, attnotnull, atthasdef FROM pg_attribute
			WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, t.Table)
		if err != nil {
			return nil, err
		}
		var name string
		var ci colInfo
		if _, err := pgx.ForEachRow(rows, []any{&name, &ci.oid, &ci.typmod, &ci.notNull, &ci.hasDef}, func() error {
			info[name] = ci
			return nil
		}); err != nil {
			return nil, err
		}
	}
	for _, a := range l.Attributes {
		if a.Computed {
			continue
		}
		c := importer.Column{Name: a.Name, Type: a.Type, Required: a.Required}
		var oid uint32
		if !t.Generic {
			ci, ok := info[a.Name]
			if !ok {
				return nil, fmt.Errorf("the catalog lists attribute %s of layer %s, which table %s does not have", a.Name, l.ID, t.Table)
			}
			oid, c.DB = ci.oid, dbTypes[ci.oid]
			if ci.oid == oidNumeric && ci.typmod >= 4 {
				c.Precision, c.Scale = int(((ci.typmod-4)>>16)&0xffff), int((ci.typmod-4)&0xffff)
			}
			c.Required = c.Required || (ci.notNull && !ci.hasDef)
			t.notNull[a.Name] = ci.notNull
			c.Zero = ci.notNull && ci.hasDef
			c.LandUse = t.Table == "parcels" && a.Name == "land_use"
		}
		t.Columns = append(t.Columns, c)
		t.oids = append(t.oids, oid)
	}
	if t.Table == "parcels" {
		rows, err := tx.Query(ctx, `SELECT code, legacy, coalesce(replaced_by, '') FROM land_use_codes`)
		if err != nil {
			return nil, err
		}
		t.LandUse = map[string]importer.LandUseCode{}
		var code string
		var c importer.LandUseCode
		if _, err := pgx.ForEachRow(rows, []any{&code, &c.Legacy, &c.ReplacedBy}, func() error {
			t.LandUse[code] = c
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return t, nil
}
