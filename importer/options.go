package importer

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dongnai-gis/gisd/geo"
)

// ErrInvalid is wrapped by every error about an import's options or its input that breaks an
// import rule (as opposed to input that is not GeoJSON, which wraps geojson.ErrInvalid).
var ErrInvalid = errors.New("invalid import")

// OptionError is an option with a value the import cannot take. Option is the option's name
// as Options.Name gives it ("max_rejected"); callers turn it into their own vocabulary (a flag,
// a query parameter).
type OptionError struct {
	Option string
	Msg    string
}

func (e *OptionError) Error() string { return "importer: " + e.ClientMessage() }

// ClientMessage says what is wrong, for the person who gave the option (in importer's words for
// it: callers that name options otherwise use Option and Msg).
func (e *OptionError) ClientMessage() string { return e.Option + ": " + e.Msg }
func (e *OptionError) Unwrap() error         { return ErrInvalid }

// ruleError is input that breaks an import rule; its message is written for the person who sent
// the file.
type ruleError struct{ msg string }

func (e *ruleError) Error() string         { return "importer: " + e.msg }
func (e *ruleError) ClientMessage() string { return e.msg }
func (e *ruleError) Unwrap() error         { return ErrInvalid }

func invalidf(format string, args ...any) error { return &ruleError{fmt.Sprintf(format, args...)} }

func optionErr(option, format string, args ...any) error {
	return &OptionError{Option: option, Msg: fmt.Sprintf(format, args...)}
}

// Import modes.
const (
	ModeAppend  = "append"  // insert; a feature whose key already exists is rejected
	ModeUpsert  = "upsert"  // update by key (the old version goes to history), insert the rest
	ModeReplace = "replace" // delete the layer's features and insert the file's, atomically
)

// Limits of one import. Each bounds what a hostile or careless file can make gisd (and every
// client of the layer) pay for.
const (
	// DefaultMaxValueBytes bounds one attribute value (its text, or the JSON text of an object or
	// array) unless Options.MaxValueBytes says otherwise. A value travels in every tile and every
	// feature of the layer; a 64 KiB address is already a mistake.
	DefaultMaxValueBytes = 64 << 10
	// MaxValueBytesLimit is the most Options.MaxValueBytes may allow: the decoder's bound on the
	// properties of one feature together.
	MaxValueBytesLimit = 16 << 20
	// MaxAttributes bounds the attributes of a layer created from a file. A tile's query reads
	// every public attribute as a column of the row ST_AsMVT encodes, and a PostgreSQL query
	// returns at most 1,664 columns: a layer of 2,000 attributes was created and then answered
	// every tile with an error (measured; 1,600 still worked). 500 keeps well clear of that
	// limit for queries that add columns of their own, keeps a feature's tile bytes sane, and is
	// twice what a shapefile (dBASE: 255 fields), where most of these files come from, can hold.
	MaxAttributes = 500
	// MaxRepairCrossings bounds the self-intersections of a geometry that is repaired rather
	// than rejected. ST_MakeValid's time grows much faster than the crossings it resolves
	// (measured with GEOS 3.11: a scribble of 100 positions took 1.6 s with its default method,
	// 300 positions 39 s; one of 200,000 exhausted the database server's memory). With the
	// structure method, used here, 1,000 crossings take well under a second.
	MaxRepairCrossings = 1000
	// maxFieldNames bounds the distinct field names one input may use: each is remembered once
	// (its mapping), so a file with endless generated names is refused rather than let the
	// cache grow without bound.
	maxFieldNames = 5000
	// maxIgnoredFields bounds the field_ignored warnings of one import.
	maxIgnoredFields = 100
	// DefaultLease is how long an import's record stays "running" without its instance renewing it.
	DefaultLease = time.Minute
)

// Options says what to import and how. The zero value of each field is the safe default. Some
// fields are for the database writer (store) only; Normalize checks them all.
type Options struct {
	Layer string
	Mode  string // ModeAppend (default), ModeUpsert or ModeReplace
	// SRID of the coordinates; 0 takes the file's legacy crs member, else WGS 84.
	SRID int
	// Key names the attributes that identify a feature, for upsert, for append's conflict check
	// and for duplicate detection. Default: the layer's natural key (DefaultKey).
	Key []string
	// Map maps source field names to attributes, over the built-in Vietnamese names.
	Map map[string]string
	// DryRun validates and writes inside a transaction that is rolled back: the report and counts
	// are exact, nothing changes.
	DryRun bool
	// Strict rejects geometry that would otherwise be repaired.
	Strict bool
	// Offline loads the way a bulk loader does: the layer's table is locked for the whole
	// import (readers wait until it commits) and its non-unique indexes, the spatial one among
	// them, are dropped before the first row is written and built again, sorted, after the last.
	// Meant for a first load or a maintenance window; only for layers with a table of their own.
	Offline bool
	// Create makes a new generic layer named Layer with the attributes found in the file.
	Create bool
	Title  string
	// MaxRejected is how many features may be rejected while the rest still commits; 0 (the
	// default) keeps an import all-or-nothing, -1 allows any number.
	MaxRejected int
	// MaxValueBytes bounds the size of one attribute value (default DefaultMaxValueBytes, at
	// most MaxValueBytesLimit); a feature with a larger one is rejected.
	MaxValueBytes int
	Source        string // file name or "upload", for the record
	Actor         string // who asked ("cli:alice", "key:12"), for the record
	BatchSize     int    // features per COPY batch; default 5,000
	// ChunkSize is how many features are validated and written at a time while the next ones
	// are decoded; default 20,000. All chunks are in the one transaction.
	ChunkSize int
	// Lease is how long the import's record stays "running" unless the instance running it
	// renews it (it does, three times per lease); past that, any instance marks it failed.
	// Default DefaultLease.
	Lease time.Duration
}

var (
	layerIDPattern   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	attributePattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
)

// Normalize fills in defaults and checks what can be checked without the database: the mode,
// the SRID, the numbers, and for a layer being created its id and mapped attribute names.
// Errors are *OptionError.
func (o *Options) Normalize() error {
	if o.Mode == "" {
		o.Mode = ModeAppend
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 5000
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = 20000
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	switch {
	case o.MaxValueBytes == 0:
		o.MaxValueBytes = DefaultMaxValueBytes
	case o.MaxValueBytes < 0 || o.MaxValueBytes > MaxValueBytesLimit:
		return optionErr("max_value_bytes", "%d: want 1 to %d bytes", o.MaxValueBytes, MaxValueBytesLimit)
	}
	if o.MaxRejected < -1 {
		return optionErr("max_rejected", "%d: want -1 (any number) or a count", o.MaxRejected)
	}
	switch o.Mode {
	case ModeAppend, ModeUpsert, ModeReplace:
	default:
		return optionErr("mode", "%q: want append, upsert or replace", o.Mode)
	}
	if o.SRID != 0 {
		if _, ok := geo.LookupCRS(o.SRID); !ok {
			return optionErr("srid", "%d is not supported (VN-2000 TM-3 zones such as 9212, 4326, 4756, 3405, 3406, 3857)", o.SRID)
		}
	}
	for i, k := range o.Key {
		o.Key[i] = strings.TrimSpace(k)
	}
	o.Key = slices.DeleteFunc(o.Key, func(k string) bool { return k == "" })
	if o.Offline && o.Create {
		return optionErr("offline", "a new layer shares its table with the other imported layers, which would all go offline; import it online")
	}
	if !o.Create {
		return nil // the rest is checked against the catalog (store)
	}
	if !layerIDPattern.MatchString(o.Layer) {
		return optionErr("layer", "%q: want a lower-case letter, then letters, digits or _ (at most 63)", o.Layer)
	}
	if o.Mode != ModeAppend {
		return optionErr("mode", "a new layer is created with mode append")
	}
	if o.Title == "" {
		o.Title = o.Layer
	}
	for _, src := range slices.Sorted(maps.Keys(o.Map)) {
		dst := o.Map[src]
		if !attributePattern.MatchString(dst) {
			return optionErr("map", "%s=%s: attribute names are lower-case letters, digits and _", src, dst)
		}
		if Reserved(dst) {
			return optionErr("map", "%s=%s: %s is a name gisd uses itself; choose another", src, dst, dst)
		}
	}
	return nil
}

// defaultKeys are the natural keys of the built-in layers, by table.
var defaultKeys = map[string][]string{
	"parcels":     {"commune_code", "sheet_no", "parcel_no"},
	"admin_units": {"code", "valid_from"},
}

// DefaultKey is the natural key of a built-in layer (parcels: commune, map sheet, parcel
// number; administrative units: code and start of validity), nil for others.
func DefaultKey(table string) []string { return slices.Clone(defaultKeys[table]) }

// reserved are the names gisd gives columns and members of its own: the bookkeeping columns of
// every layer table and its history (version, system time, author, import), the generic table's
// layer id and properties, the stored geometry, the administrative units' derived columns, and
// the GeoJSON id and geometry that the OGC API, CQL2 filters and tiles expose beside the
// attributes. An attribute by one of these names
// would be shadowed by the system's, or shadow it: a filter on "geometry" would compare the
// attribute, not the shape. store's tests check that every column of every layer table is here.
var reserved = map[string]bool{
	"id": true, "geometry": true, "geom": true, "layer_id": true, "properties": true,
	"version": true, "sys_from": true, "sys_to": true, "changed_by": true, "created_by": true,
	"created_at": true, "updated_at": true, "import_id": true, "name_folded": true, "validity": true,
}

// Reserved reports whether name is one gisd uses itself, which no attribute of a created layer
// may take (see Reader: such a field is renamed, and the report says so).
func Reserved(name string) bool { return reserved[name] }

// ReservedNames lists the reserved names, sorted.
func ReservedNames() []string { return slices.Sorted(maps.Keys(reserved)) }
