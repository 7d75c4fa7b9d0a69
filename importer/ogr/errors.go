package ogr

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors: every error Open and Source.Read return wraps one of them (or the context's
// error when the caller cancelled), so the HTTP layer maps them with errors.Is.
var (
	// ErrUnsupported: a file this package does not read (not a format it knows, a DGN v8, a bare
	// .shp without its .dbf and .shx, GeoJSON, which the import pipeline reads itself). 415.
	ErrUnsupported = errors.New("unsupported file")
	// ErrUnsafe: a file refused for what it could do rather than what it holds: a zip bomb, zip
	// entries outside the archive or symbolic links, a KML with a DOCTYPE or entities, a
	// GeoPackage layer that is a view or has generated columns. 422.
	ErrUnsafe = errors.New("unsafe file")
	// ErrInvalid: a file that cannot be imported as it is: GDAL cannot open it, the .dbf and the
	// .shp disagree, no features, several layers and none chosen, a CRS that cannot be
	// resolved, text whose encoding cannot be told. 422.
	ErrInvalid = errors.New("invalid file")
	// ErrTooLarge: the upload, or what a zip expands to, is over Options.MaxBytes. 413.
	ErrTooLarge = errors.New("file too large")
	// ErrTimeout: GDAL took longer than Options.Timeout; its process was killed. 422 (the file
	// is too slow to read, e.g. a hostile view), or 503 if the server is overloaded.
	ErrTimeout = errors.New("conversion timed out")
	// ErrUnavailable: GDAL's command-line tools are not installed on the server. 503.
	ErrUnavailable = errors.New("GDAL is not available")
)

// Error codes: stable names of the reasons, for import reports and problem types.
const (
	CodeUnsupported    = "unsupported_format"
	CodeTooLarge       = "too_large"
	CodeZipBomb        = "zip_bomb"
	CodeZipPath        = "zip_path"
	CodeZipSymlink     = "zip_symlink"
	CodeZipEncrypted   = "zip_encrypted"
	CodeZipEmpty       = "zip_no_data"
	CodeShapefileParts = "shapefile_parts"
	CodeRecordCount    = "record_count"
	CodeKMLDoctype     = "kml_doctype"
	CodeKMLLink        = "kml_network_link"
	CodeGPKGLayer      = "gpkg_layer"
	CodeLayer          = "layer"
	CodeEmpty          = "no_features"
	CodeDGNEmpty       = "dgn_empty"
	CodeUnreadable     = "unreadable"
	CodeCRS            = "unknown_crs"
	CodeEncoding       = "encoding"
	CodeTimeout        = "timeout"
	CodeUnavailable    = "gdal_unavailable"
	CodeFailed         = "conversion_failed"
)

// Error is a refused file. Error() is written for the person who uploaded it and never holds
// paths, commands or GDAL's own messages; Detail has those, for the server log.
type Error struct {
	Kind error  // one of the sentinels
	Code string // one of the Code constants
	Msg  string
	// Layers lists the layers to choose from (CodeLayer), sorted.
	Layers []string
	// Zones are the EPSG codes of the VN-2000 zones the data probably is in (CodeCRS).
	Zones []int
	// Detail is the internal cause (GDAL's stderr, an I/O error), for logs only.
	Detail string
}

func (e *Error) Error() string { return "ogr: " + e.Msg }

// Unwrap lets errors.Is match the sentinel.
func (e *Error) Unwrap() error { return e.Kind }

func newError(kind error, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Msg: fmt.Sprintf(format, args...)}
}

func (e *Error) withDetail(d string) *Error {
	e.Detail = strings.TrimSpace(d)
	return e
}
