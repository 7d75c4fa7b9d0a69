package ogr

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strings"
)

// gpkgLayer is one row of a GeoPackage's gpkg_contents.
type gpkgLayer struct {
	name, dataType, kind, ddl string
}

// gpkgLayers reads the GeoPackage's catalogue with SQL that GDAL runs on the file (read only):
// the registered contents, and what each one is in sqlite_master. Nothing from the file is
// evaluated but its catalogue: views are listed, never selected from. A catalogue that is
// itself a hostile view runs into the timeout.
func gpkgLayers(ctx context.Context, r *runner, file string) ([]gpkgLayer, error) {
	rows, err := gpkgQuery(ctx, r, file, `SELECT c.table_name AS name, c.data_type AS data_type, m.type AS kind, m.sql AS ddl `+
		`FROM gpkg_contents c LEFT JOIN sqlite_master m ON m.name = c.table_name COLLATE NOCASE ORDER BY c.table_name`)
	if err != nil {
		return nil, err
	}
	var out []gpkgLayer
	for _, row := range rows {
		if len(row) >= 4 {
			out = append(out, gpkgLayer{name: row[0], dataType: row[1], kind: row[2], ddl: row[3]})
		}
	}
	return out, nil
}

// checkGPKGTable refuses a layer that reading would make SQLite compute: a view (any SELECT,
// including an endless recursive one), a virtual table (a module reading elsewhere), or a
// table with generated columns (expressions evaluated on every read). Triggers need no check:
// they fire on writes, and GDAL opens the file read-only.
func checkGPKGTable(ctx context.Context, r *runner, file string, l gpkgLayer) error {
	switch {
	case l.kind == "view":
		return newError(ErrUnsafe, CodeGPKGLayer,
			"the GeoPackage layer %q is an SQL view; only tables are imported (views run the file's own SQL)", printable(l.name))
	case l.kind != "table":
		return newError(ErrInvalid, CodeGPKGLayer, "the GeoPackage registers %q but holds no such table", printable(l.name))
	case strings.HasPrefix(strings.ToUpper(strings.TrimSpace(l.ddl)), "CREATE VIRTUAL"):
		return newError(ErrUnsafe, CodeGPKGLayer, "the GeoPackage layer %q is a virtual table; only plain tables are imported", printable(l.name))
	}
	rows, err := gpkgQuery(ctx, r, file, `SELECT name, hidden FROM pragma_table_xinfo('`+strings.ReplaceAll(l.name, "'", "''")+`')`)
	if err != nil {
		return err
	}
	for _, row := range rows {
		if len(row) >= 2 && (row[1] == "2" || row[1] == "3") {
			return newError(ErrUnsafe, CodeGPKGLayer,
				"the GeoPackage layer %q has a generated column (%q), computed by the file's SQL on every read; only plain columns are imported",
				printable(l.name), printable(row[0]))
		}
	}
	return nil
}

// gpkgQuery runs one SELECT through GDAL and returns the rows (without the header).
func gpkgQuery(ctx context.Context, r *runner, file, sql string) ([][]string, error) {
	out, _, err := r.run(ctx, r.ogr2ogr, "-f", "CSV", "/vsistdout/", file, "-sql", sql)
	if err != nil {
		var re *runError
		if errors.As(err, &re) {
			return nil, newError(ErrInvalid, CodeUnreadable,
				"the GeoPackage cannot be read (its catalogue is missing or damaged)").withDetail(re.stderr)
		}
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(out))
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil || len(rows) == 0 {
		return nil, newError(ErrInvalid, CodeUnreadable, "the GeoPackage cannot be read (its catalogue is damaged)")
	}
	return rows[1:], nil
}
