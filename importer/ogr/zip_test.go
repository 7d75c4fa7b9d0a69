package ogr

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// zipEntry is one entry of a hand-made archive.
type zipEntry struct {
	name string
	data []byte
	mode fs.FileMode // 0: a regular file
	// declared, when set, is written as the uncompressed size instead of the real one.
	declared uint64
	flags    uint16
}

func writeZip(t *testing.T, entries []zipEntry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		h.Flags |= e.flags
		if e.declared == 0 {
			w, err := zw.CreateHeader(h)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(e.data)
			continue
		}
		// A raw entry whose header lies about its size.
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.BestCompression)
		fw.Write(e.data)
		fw.Close()
		h.CompressedSize64 = uint64(comp.Len())
		h.UncompressedSize64 = e.declared
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "upload.zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// realShapefile returns the parts of a small valid Shapefile as zip entries named thua.*.
func realShapefile(t *testing.T) []zipEntry {
	t.Helper()
	dir := shapefileParts(t, 3)
	var out []zipEntry
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj"} {
		data, err := os.ReadFile(filepath.Join(dir, "thua"+ext))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, zipEntry{name: "thua" + ext, data: data})
	}
	return out
}

func randomHex(n int) []byte {
	b := make([]byte, n/2)
	rand.Read(b)
	return []byte(hex.EncodeToString(b))
}

func TestOpen_ZipAttacks(t *testing.T) {
	requireGDAL(t)
	shp := realShapefile(t)
	with := func(extra ...zipEntry) []zipEntry { return append(append([]zipEntry{}, shp...), extra...) }
	for _, c := range []struct {
		name    string
		entries []zipEntry
		opt     Options
		kind    error
		code    string
	}{
		{"bomb: ratio", with(zipEntry{name: "readme.txt", data: make([]byte, 20<<20)}), Options{}, ErrUnsafe, CodeZipBomb},
		{"bomb: declared total", with(zipEntry{name: "a.txt", data: randomHex(2 << 20)}, zipEntry{name: "b.txt", data: randomHex(2 << 20)}),
			Options{MaxBytes: 3 << 20}, ErrTooLarge, CodeZipBomb},
		{"bomb: size lies", []zipEntry{shp[0], shp[1], shp[3], {name: "thua.dbf", data: make([]byte, 5<<20), declared: 1000}},
			Options{}, ErrInvalid, CodeUnreadable},
		{"too many entries", with(zipEntry{name: "1"}, zipEntry{name: "2"}, zipEntry{name: "3"}), Options{MaxZipEntries: 6}, ErrUnsafe, CodeZipBomb},
		{"parent", with(zipEntry{name: "../evil.shp", data: []byte("x")}), Options{}, ErrUnsafe, CodeZipPath},
		{"nested parent", with(zipEntry{name: "a/../../evil.txt", data: []byte("x")}), Options{}, ErrUnsafe, CodeZipPath},
		{"absolute", with(zipEntry{name: "/tmp/evil.txt", data: []byte("x")}), Options{}, ErrUnsafe, CodeZipPath},
		{"windows", with(zipEntry{name: `..\..\evil.txt`, data: []byte("x")}), Options{}, ErrUnsafe, CodeZipPath},
		{"drive", with(zipEntry{name: `C:\evil.txt`, data: []byte("x")}), Options{}, ErrUnsafe, CodeZipPath},
		{"symlink", []zipEntry{shp[0], shp[1], shp[3], {name: "thua.dbf", data: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777}},
			Options{}, ErrUnsafe, CodeZipSymlink},
		{"encrypted", []zipEntry{shp[0], shp[1], shp[3], {name: "thua.dbf", data: shp[2].data, flags: 1}}, Options{}, ErrUnsafe, CodeZipEncrypted},
		{"no data", []zipEntry{{name: "readme.txt", data: []byte("hello")}}, Options{}, ErrInvalid, CodeZipEmpty},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeZip(t, c.entries)
			o := openFile(t, path, c.opt)
			wantError(t, o.openErr, c.kind, c.code)
			// Nothing was written next to the work directory either.
			for _, n := range []string{"evil.shp", "evil.txt"} {
				if _, err := os.Stat(filepath.Join(o.tempDir, "..", n)); err == nil {
					t.Errorf("%s was extracted outside the work directory", n)
				}
			}
		})
	}
	t.Run("resource forks ignored", func(t *testing.T) {
		o := mustOpen(t, writeZip(t, with(zipEntry{name: "__MACOSX/._thua.shp", data: []byte("junk")})), Options{})
		if len(o.doc.Features) != 3 {
			t.Errorf("%d features", len(o.doc.Features))
		}
	})
	t.Run("damaged", func(t *testing.T) {
		path := writeZip(t, shp)
		data, _ := os.ReadFile(path)
		os.WriteFile(path, data[:len(data)/2], 0o600)
		o := openFile(t, path, Options{})
		wantError(t, o.openErr, ErrInvalid, CodeUnreadable)
	})
	t.Run("upload over the limit", func(t *testing.T) {
		o := openFile(t, writeZip(t, shp), Options{MaxBytes: 100})
		wantError(t, o.openErr, ErrTooLarge, CodeTooLarge)
	})
}
