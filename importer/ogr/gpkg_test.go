package ogr

import (
	"context"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/dongnai-gis/gisd/text/vnenc"
)

// geopackage converts the test parcels to a GeoPackage table "parcels" and runs sql on it.
func geopackage(t *testing.T, sql ...string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "data.gpkg")
	gdal(t, "ogr2ogr", "-f", "GPKG", "-nln", "parcels", path, parcelsGeoJSON(t, dir, testParcels))
	for _, q := range sql {
		gdal(t, "ogrinfo", "-q", path, "-sql", q)
	}
	return path
}

const (
	// An endless view registered as a feature layer.
	sqlSlowView       = `CREATE VIEW slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x AS fid, NULL AS geom FROM c`
	sqlRegisterSlow   = `INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('slow', 'features', 'slow', 9212)`
	sqlRegisterSlowGC = `INSERT INTO gpkg_geometry_columns VALUES ('slow', 'geom', 'POLYGON', 9212, 0, 0)`
	// A trigger that would empty the table on any write.
	sqlTrigger = `CREATE TRIGGER evil AFTER UPDATE ON parcels BEGIN DELETE FROM parcels; END`
)

func TestOpen_GeoPackage(t *testing.T) {
	requireGDAL(t)
	t.Run("plain", func(t *testing.T) {
		o := mustOpen(t, geopackage(t), Options{})
		if o.src.Format != GeoPackage || o.src.Layer != "parcels" || o.src.EPSG != 9212 || len(o.doc.Features) != 3 {
			t.Fatalf("%s layer %q EPSG %d, %d features", o.src.Format, o.src.Layer, o.src.EPSG, len(o.doc.Features))
		}
		if got, want := o.owners(), parcelOwners(testParcels); !slices.Equal(got, want) {
			t.Errorf("owners %q, want %q", got, want)
		}
		if o := mustOpen(t, geopackage(t), Options{Geometry: "point"}); len(o.doc.Features) != 0 {
			t.Errorf("point filter kept %d polygons", len(o.doc.Features))
		}
		if o := mustOpen(t, geopackage(t), Options{Geometry: "polygon"}); len(o.doc.Features) != 3 {
			t.Errorf("polygon filter kept %d of 3 polygons", len(o.doc.Features))
		}
	})
	t.Run("TCVN3 stored as Windows-1252 characters", func(t *testing.T) {
		// A tool that did not know the text was TCVN3 stored what the .VnTime font shows
		// ("NguyÔn V¨n ¦ng") as Unicode. Named by the caller, it is decoded.
		var ps []parcel
		for _, p := range testParcels {
			b, _ := vnenc.TCVN3.Encode(p.Owner)
			shown, _ := charmap.Windows1252.NewDecoder().Bytes(b)
			p.Owner = string(shown)
			ps = append(ps, p)
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "legacy.gpkg")
		gdal(t, "ogr2ogr", "-f", "GPKG", "-nln", "parcels", path, parcelsGeoJSON(t, dir, ps))
		o := mustOpen(t, path, Options{Encoding: vnenc.TCVN3})
		if got, want := o.owners(), parcelOwners(testParcels); !slices.Equal(got, want) || o.src.Converted() != 3 {
			t.Errorf("owners %q (%d converted), want %q", got, o.src.Converted(), want)
		}
	})
	hostile := geopackage(t, sqlSlowView, sqlRegisterSlow, sqlRegisterSlowGC, sqlTrigger)
	t.Run("view beside the table", func(t *testing.T) {
		// The view is never selected from: the one table is read, quickly.
		o := mustOpen(t, hostile, Options{Timeout: 30 * time.Second})
		if o.src.Layer != "parcels" || len(o.doc.Features) != 3 || o.duration > 10*time.Second {
			t.Errorf("layer %q, %d features, opened in %v", o.src.Layer, len(o.doc.Features), o.duration)
		}
	})
	t.Run("view chosen", func(t *testing.T) {
		o := openFile(t, hostile, Options{Layer: "slow", Timeout: 30 * time.Second})
		e := wantError(t, o.openErr, ErrUnsafe, CodeGPKGLayer)
		if !strings.Contains(e.Msg, "view") || o.duration > 10*time.Second {
			t.Errorf("message %q after %v", e.Msg, o.duration)
		}
	})
	t.Run("generated column", func(t *testing.T) {
		path := geopackage(t,
			`CREATE TABLE gen (fid INTEGER PRIMARY KEY, geom POLYGON, a TEXT, b TEXT GENERATED ALWAYS AS (upper(a)) VIRTUAL)`,
			`INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('gen', 'features', 'gen', 9212)`,
			`INSERT INTO gpkg_geometry_columns VALUES ('gen', 'geom', 'POLYGON', 9212, 0, 0)`)
		o := openFile(t, path, Options{Layer: "gen"})
		wantError(t, o.openErr, ErrUnsafe, CodeGPKGLayer)
		// Without a layer, the file holds two tables to choose from.
		o = openFile(t, path, Options{})
		if e := wantError(t, o.openErr, ErrInvalid, CodeLayer); !slices.Equal(e.Layers, []string{"gen", "parcels"}) {
			t.Errorf("layers %v", e.Layers)
		}
	})
	t.Run("hostile catalogue", func(t *testing.T) {
		// gpkg_contents itself an endless view: GDAL refuses to open such a file (it wants
		// the catalogue as tables), so the view never runs.
		// One statement list (sqlite3_exec runs them all): GDAL cannot open the file between them.
		path := geopackage(t, `DROP TABLE gpkg_contents; `+
			`CREATE VIEW gpkg_contents AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) `+
			`SELECT 'parcels' AS table_name, 'features' AS data_type, 'parcels' AS identifier, '' AS description, `+
			`'' AS last_change, 0 AS min_x, 0 AS min_y, 0 AS max_x, 0 AS max_y, 9212 AS srs_id FROM c WHERE x < 0`)
		o := openFile(t, path, Options{Timeout: 30 * time.Second})
		wantError(t, o.openErr, ErrInvalid, CodeUnreadable)
		if o.duration > 10*time.Second {
			t.Errorf("took %v", o.duration)
		}
	})
	t.Run("layer name like an option", func(t *testing.T) {
		path := geopackage(t, `ALTER TABLE parcels RENAME TO "-overwrite"`,
			`UPDATE gpkg_contents SET table_name = '-overwrite'`, `UPDATE gpkg_geometry_columns SET table_name = '-overwrite'`)
		o := openFile(t, path, Options{})
		wantError(t, o.openErr, ErrUnsafe, CodeLayer)
	})
	t.Run("not a GeoPackage", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "x.gpkg")
		os.WriteFile(path, append([]byte("SQLite format 3\x00"), make([]byte, 2000)...), 0o600)
		o := openFile(t, path, Options{})
		wantError(t, o.openErr, ErrInvalid, CodeUnreadable)
	})
}

// TestOpen_GeoPackageReadOnly: reading never changes the file, triggers and all.
func TestOpen_GeoPackageReadOnly(t *testing.T) {
	requireGDAL(t)
	path := geopackage(t, sqlTrigger,
		`CREATE TRIGGER evil2 AFTER INSERT ON parcels BEGIN DELETE FROM parcels; END`,
		`CREATE TRIGGER evil3 BEFORE DELETE ON parcels BEGIN SELECT RAISE(ABORT, 'no'); END`)
	f, _ := os.Open(path)
	defer f.Close()
	src, err := Open(context.Background(), f, "x.gpkg", Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	work := filepath.Join(src.dir, "data.gpkg")
	before := fileHash(t, work)
	if _, err := io.Copy(io.Discard, src); err != nil {
		t.Fatal(err)
	}
	if after := fileHash(t, work); after != before {
		t.Errorf("the GeoPackage changed while it was read")
	}
	if entries, _ := os.ReadDir(src.dir); len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("GDAL left files beside it: %v", names)
	}
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}
