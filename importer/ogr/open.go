package ogr

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/text/vnenc"
)

// Format is a file format this package reads.
type Format string

// The formats. Zip is only what Sniff says of an archive; a Source reports what it held.
const (
	Shapefile  Format = "Shapefile"
	GeoPackage Format = "GeoPackage"
	KML        Format = "KML"
	CSV        Format = "CSV"
	DGN        Format = "DGN"
	Zip        Format = "zip"
)

// Options say what to read and within which limits. The zero value of each field is the
// default.
type Options struct {
	// Layer picks the layer of a file that holds several (Shapefiles in a zip, GeoPackage
	// tables, KML folders), case-insensitively. Without it such a file is refused with the list.
	Layer string
	// Encoding of the attribute text; Unknown (the default) detects it. Naming one overrides
	// detection (and a .cpg).
	Encoding vnenc.Encoding
	// SRID of the coordinates, when the caller knows better than the file (--srid): it is
	// written into the stream as is and the file's CRS is not consulted.
	SRID int
	// Geometry keeps only features of one kind: "point", "line" or "polygon" (a DGN mixes text
	// points, lines and shapes; a layer holds one kind). Empty keeps all.
	Geometry string
	// TempDir is where the private work directory is made; default os.TempDir().
	TempDir string
	// MaxBytes bounds the upload and, separately, what a zip expands to; default 2 GiB.
	MaxBytes int64
	// MaxZipEntries bounds the entries of a zip; default 10,000.
	MaxZipEntries int
	// MaxZipRatio bounds how many times an entry may expand; default 500.
	MaxZipRatio int
	// Timeout bounds the whole job, inspection and conversion, after which GDAL is killed;
	// default one hour.
	Timeout time.Duration
}

func (o *Options) defaults() {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 2 << 30
	}
	if o.MaxZipEntries <= 0 {
		o.MaxZipEntries = 10000
	}
	if o.MaxZipRatio <= 0 {
		o.MaxZipRatio = 500
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Hour
	}
}

// Sniff tells from the first bytes of a file (512 or more, when it has them) and its name
// whether this package reads it. GeoJSON and anything unknown report false: GeoJSON goes to the
// pipeline directly.
func Sniff(head []byte, name string) (Format, bool) {
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return Zip, true
	case bytes.HasPrefix(head, []byte("SQLite format 3\x00")):
		return GeoPackage, true
	case isDGN7(head):
		return DGN, true
	case looksLikeXML(head) && (ext == ".kml" || bytes.Contains(head, []byte("<kml"))):
		return KML, true
	case ext == ".csv" || ext == ".txt" && !looksLikeJSON(head):
		return CSV, true
	}
	return "", false
}

// isDGN7 checks a MicroStation V7 header: the design file's first element is a type 9 (TCB)
// element, 2D (0x08) or 3D (0xC8).
func isDGN7(h []byte) bool {
	return len(h) >= 4 && (h[0] == 0x08 || h[0] == 0xC8) && h[1] == 0x09 && h[2] == 0xFE && h[3] == 0x02
}

func looksLikeXML(h []byte) bool {
	h = bytes.TrimPrefix(h, []byte("\xef\xbb\xbf"))
	return bytes.HasPrefix(bytes.TrimLeft(h, " \t\r\n"), []byte("<"))
}

func looksLikeJSON(h []byte) bool {
	h = bytes.TrimLeft(bytes.TrimPrefix(h, []byte("\xef\xbb\xbf")), " \t\r\n\x1e")
	return bytes.HasPrefix(h, []byte("{"))
}

// Source is one layer of a file, converted to a GeoJSON FeatureCollection as it is read. Its
// fields describe the layer; Read streams it; Close must be called (it stops GDAL if still
// running and removes every temporary file).
type Source struct {
	Format Format
	// Layer is the layer read, as the file names it; Layers all the layers it offers.
	Layer  string
	Layers []string
	// EPSG is the CRS of the stream's coordinates, also written into the stream as its legacy
	// "crs" member; 0 when the file has none (the pipeline then checks the coordinates as for
	// a GeoJSON file without a crs). CRSNote says how it was decided.
	EPSG    int
	CRSNote string
	// FeatureCount as GDAL reports it; -1 when unknown.
	FeatureCount int64
	// Fields are the layer's attributes, names decoded.
	Fields []Field
	// Encoding of the attribute text as decided (ASCII when there is nothing to decode), and
	// how: "detected: ...", "named by the caller", "the .cpg says UTF-8".
	Encoding     vnenc.Encoding
	EncodingNote string

	dir       string
	cancel    context.CancelFunc
	stream    *stream
	text      *textDecoder
	closeOnce sync.Once
	closeErr  error
}

// Read reads the GeoJSON stream. It ends with io.EOF only after GDAL has exited successfully;
// a failed, cancelled or timed-out conversion ends with an error instead (see holdBack).
func (s *Source) Read(p []byte) (int, error) { return s.stream.Read(p) }

// TextTransform is the function the pipeline applies to every property name and every string
// property value; nil when the text needs nothing (plain ASCII). It is safe for concurrent use.
func (s *Source) TextTransform() func(string) string {
	if s.text == nil {
		return nil
	}
	return s.text.transform
}

// Converted is how many values TextTransform decoded from a legacy encoding so far.
func (s *Source) Converted() int64 {
	if s.text == nil {
		return 0
	}
	return s.text.converted.Load()
}

// Summary describes the conversion for the import report, e.g. "Shapefile layer thua_dat,
// 1,234 features; CRS: the file's CRS "VN_2000_..." is VN-2000 / TM-3 106-15 (EPSG:9212)...;
// text: converted 1,180 values from TCVN3 (detected: ...)". Read it after the stream ends for
// the final counts.
func (s *Source) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s layer %s", s.Format, s.Layer)
	if s.FeatureCount >= 0 {
		fmt.Fprintf(&b, ", %s features", thousands(s.FeatureCount))
	}
	if s.CRSNote != "" {
		fmt.Fprintf(&b, "; CRS: %s", s.CRSNote)
	}
	b.WriteString("; text: ")
	switch {
	case s.Encoding.Legacy():
		fmt.Fprintf(&b, "converted %s values from %s (%s)", thousands(s.Converted()), s.Encoding, s.EncodingNote)
	case s.Encoding == vnenc.UTF8:
		fmt.Fprintf(&b, "UTF-8 (%s)", s.EncodingNote)
		if s.text != nil {
			if n := s.text.normalized.Load(); n > 0 {
				fmt.Fprintf(&b, ", %s values composed to NFC", thousands(n))
			}
		}
	default:
		b.WriteString("plain ASCII, nothing to convert")
	}
	return b.String()
}

// Warnings are GDAL's warnings about the file (at most 20), once the stream has ended.
func (s *Source) Warnings() []string {
	if s.stream == nil || s.stream.waitErr == nil && !s.stream.eof {
		return nil
	}
	return s.stream.warnings()
}

// Close stops GDAL if it still runs, waits for it, and removes the work directory. It may be
// called more than once.
func (s *Source) Close() error {
	s.closeOnce.Do(func() {
		if s.stream != nil {
			s.stream.kill()
		}
		s.cancel()
		s.closeErr = os.RemoveAll(s.dir)
	})
	return s.closeErr
}

// Open copies the file read from r (named name, for its extension) into a private work
// directory, checks it, inspects the layer and starts converting it. name is the client's file
// name; only its extension is used. The returned Source must be closed; on error nothing is
// left behind.
//
// Errors wrap ErrUnsupported, ErrUnsafe, ErrInvalid, ErrTooLarge, ErrTimeout or ErrUnavailable
// (as *Error, whose message is for the client), or the context's error.
func Open(ctx context.Context, r io.Reader, name string, opt Options) (_ *Source, err error) {
	opt.defaults()
	if opt.SRID != 0 {
		if _, ok := geo.LookupCRS(opt.SRID); !ok {
			return nil, fmt.Errorf("ogr: srid %d: %w", opt.SRID, geo.ErrUnknownCRS)
		}
	}
	dir, err := os.MkdirTemp(opt.TempDir, "gisd-ogr-")
	if err != nil {
		return nil, fmt.Errorf("ogr: work directory: %w", err)
	}
	tctx, cancel := context.WithTimeoutCause(ctx, opt.Timeout, errDeadline)
	s := &Source{dir: dir, cancel: cancel, FeatureCount: -1}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	run, err := newRunner(ctx, dir)
	if err != nil {
		return nil, err
	}
	upload := filepath.Join(dir, "upload")
	head, err := copyUpload(upload, r, opt.MaxBytes)
	if err != nil {
		return nil, err
	}
	format, ok := Sniff(head, name)
	if !ok {
		if looksLikeJSON(head) {
			return nil, newError(ErrUnsupported, CodeUnsupported, "the file is GeoJSON, which the import reads itself")
		}
		return nil, unsupported(head, name)
	}
	data := filepath.Join(dir, "data")
	if format == Zip {
		if format, err = s.unzip(upload, data, &opt); err != nil {
			return nil, err
		}
	} else {
		if err := os.Rename(upload, data+extOf(format)); err != nil {
			return nil, fmt.Errorf("ogr: %w", err)
		}
		s.Layer = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	s.Format = format
	file := data + extOf(format)
	if err := s.inspect(tctx, run, file, &opt); err != nil {
		return nil, err
	}
	return s, nil
}

// extOf is the extension the work file of each format gets; GDAL picks drivers partly by it.
func extOf(f Format) string {
	switch f {
	case Shapefile:
		return ".shp"
	case GeoPackage:
		return ".gpkg"
	case KML:
		return ".kml"
	case CSV:
		return ".csv"
	case DGN:
		return ".dgn"
	}
	return ""
}

func unsupported(head []byte, name string) error {
	switch ext := strings.ToLower(filepath.Ext(name)); {
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0")) && ext == ".dgn":
		return newError(ErrUnsupported, CodeUnsupported,
			"the file is a MicroStation V8 DGN; GDAL reads V7 only: save it as V7 in MicroStation")
	case ext == ".shp" || ext == ".dbf" || ext == ".shx":
		return newError(ErrUnsupported, CodeUnsupported,
			"a Shapefile is several files (.shp, .shx, .dbf and .prj): upload them together in a zip")
	}
	return newError(ErrUnsupported, CodeUnsupported,
		"the file is not a format gisd imports (GeoJSON, zipped Shapefile, GeoPackage, KML/KMZ, CSV with WKT, DGN V7)")
}

// copyUpload writes the upload to path, refusing more than limit bytes, and returns its first
// 4 KiB for Sniff.
func copyUpload(path string, r io.Reader, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ogr: %w", err)
	}
	var head bytes.Buffer
	n, err := io.Copy(io.MultiWriter(f, &headWriter{&head}), io.LimitReader(r, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("ogr: receiving the file: %w", err)
	}
	if n > limit {
		return nil, newError(ErrTooLarge, CodeTooLarge, "the file is larger than %s", fmtBytes(limit))
	}
	if n == 0 {
		return nil, newError(ErrInvalid, CodeEmpty, "the file is empty")
	}
	return head.Bytes(), nil
}

type headWriter struct{ b *bytes.Buffer }

func (w *headWriter) Write(p []byte) (int, error) {
	if room := 4096 - w.b.Len(); room > 0 {
		w.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// unzip checks the archive and extracts the parts of the chosen layer to data.*, under names of
// our own: nothing named by the archive is ever created.
func (s *Source) unzip(upload, data string, opt *Options) (Format, error) {
	zr, err := zip.OpenReader(upload)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return "", zipDamaged(err)
	}
	if errors.Is(err, zip.ErrInsecurePath) {
		return "", newError(ErrUnsafe, CodeZipPath, "a zip entry points outside the archive; it is refused as a whole")
	}
	defer zr.Close()
	members, err := checkZip(&zr.Reader, opt)
	if err != nil {
		return "", err
	}
	// Shapefiles: the members sharing a directory and base name.
	sets := map[string]map[string]zipMember{}
	var others []zipMember
	for _, m := range members {
		switch m.ext {
		case ".shp", ".shx", ".dbf", ".prj", ".cpg":
			if sets[m.key()] == nil {
				sets[m.key()] = map[string]zipMember{}
			}
			sets[m.key()][m.ext] = m
		case ".gpkg", ".kml", ".csv", ".dgn":
			others = append(others, m)
		}
	}
	budget := opt.MaxBytes
	var shps []zipMember
	for _, set := range sets {
		if m, ok := set[".shp"]; ok {
			shps = append(shps, m)
		}
	}
	if len(shps) > 0 {
		names := layerNames(shps)
		pick, err := chooseLayer(opt.Layer, names, "Shapefiles")
		if err != nil {
			return "", err
		}
		i := slices.Index(names, pick)
		set := sets[shps[i].key()]
		s.Layer, s.Layers = pick, names
		for _, ext := range []string{".shx", ".dbf"} {
			if _, ok := set[ext]; !ok {
				return "", newError(ErrInvalid, CodeShapefileParts,
					"the Shapefile %s has no %s in the zip; a Shapefile needs its .shp, .shx and .dbf", pick, ext)
			}
		}
		for ext, m := range set {
			if err := extractMember(m, data+ext, &budget); err != nil {
				return "", err
			}
		}
		return Shapefile, nil
	}
	if len(others) == 0 {
		return "", newError(ErrInvalid, CodeZipEmpty,
			"the zip holds no Shapefile (.shp with .shx and .dbf), GeoPackage, KML, CSV or DGN")
	}
	names := layerNames(others)
	pick, err := chooseLayer(opt.Layer, names, "files")
	if err != nil {
		return "", err
	}
	m := others[slices.Index(names, pick)]
	format := map[string]Format{".gpkg": GeoPackage, ".kml": KML, ".csv": CSV, ".dgn": DGN}[m.ext]
	if err := extractMember(m, data+extOf(format), &budget); err != nil {
		return "", err
	}
	if len(others) > 1 {
		s.Layers = names
	}
	s.Layer = pick
	return format, nil
}

// layerNames names the members by base name, or by path when two share a base name.
func layerNames(ms []zipMember) []string {
	count := map[string]int{}
	for _, m := range ms {
		count[strings.ToLower(m.base)]++
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.base
		if count[strings.ToLower(m.base)] > 1 && m.dir != "" {
			names[i] = m.dir + "/" + m.base
		}
	}
	return names
}

// chooseLayer picks want among layers (case-insensitively), or the only one.
func chooseLayer(want string, layers []string, what string) (string, error) {
	sorted := slices.Clone(layers)
	slices.Sort(sorted)
	if want != "" {
		for _, l := range layers {
			if strings.EqualFold(l, want) {
				return l, nil
			}
		}
		return "", &Error{Kind: ErrInvalid, Code: CodeLayer, Layers: sorted, Msg: fmt.Sprintf(
			"the file has no layer %q; it holds %s", printable(want), listNames(sorted))}
	}
	switch len(layers) {
	case 0:
		return "", newError(ErrInvalid, CodeEmpty, "the file holds no layer with features")
	case 1:
		return layers[0], nil
	}
	return "", &Error{Kind: ErrInvalid, Code: CodeLayer, Layers: sorted, Msg: fmt.Sprintf(
		"the file holds %d %s: %s; choose one with --layer (layer= over HTTP)", len(layers), what, listNames(sorted))}
}

func listNames(names []string) string {
	shown := make([]string, 0, min(len(names), 20))
	for _, n := range names[:min(len(names), 20)] {
		shown = append(shown, strconv.Quote(printable(n)))
	}
	if len(names) > 20 {
		shown = append(shown, fmt.Sprintf("and %d more", len(names)-20))
	}
	return strings.Join(shown, ", ")
}

// thousands formats n with comma separators, as the import report writes counts.
func thousands(n int64) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
