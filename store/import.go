package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dongnai-gis/gisd/geo"
)

// Import modes.
const (
	ModeAppend  = "append"  // insert; a feature whose key already exists is rejected
	ModeUpsert  = "upsert"  // update by key (the old version goes to history), insert the rest
	ModeReplace = "replace" // delete the layer's features and insert the file's, atomically
)

// Import states, as the imports table records them.
const (
	StateRunning   = "running"
	StateCommitted = "committed"
	StateValidated = "validated" // a dry run that would have committed
	StateFailed    = "failed"
	StateCancelled = "cancelled"
	StateReverted  = "reverted"
)

// ErrTooManyRejected: validation rejected more features than the import allows, so nothing was
// written. It wraps ErrInvalid.
var ErrTooManyRejected = fmt.Errorf("%w: too many features rejected", ErrInvalid)

// ImportOptions says what to import and how. The zero value of each field is the safe default.
type ImportOptions struct {
	Layer string
	Mode  string // ModeAppend (default), ModeUpsert or ModeReplace
	// SRID of the coordinates; 0 takes the file's legacy crs member, else WGS 84.
	SRID int
	// Key names the attributes that identify a feature, for upsert, for append's conflict check
	// and for duplicate detection. Default: the layer's natural key (parcels: commune_code,
	// sheet_no, parcel_no; admin units: code, valid_from).
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
	Source      string // file name or "upload", for the record
	Actor       string // who asked ("cli:alice", "key:12"), for the record
	BatchSize   int    // features per COPY batch; default 5,000
	// ChunkSize is how many features are validated and written at a time while the next ones
	// are decoded; default 20,000. All chunks are in the one transaction.
	ChunkSize int
}

// ImportCounts are an import's numbers.
type ImportCounts struct {
	Read      int64 `json:"read"`
	Accepted  int64 `json:"accepted"`
	Rejected  int64 `json:"rejected"`
	Repaired  int64 `json:"repaired"`
	Warnings  int64 `json:"warnings"`
	Inserted  int64 `json:"inserted"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
	Deleted   int64 `json:"deleted"`
	// Bytes of input read (after decompression).
	Bytes int64 `json:"bytes"`
	// ByCode counts report entries by code, complete even when the report is truncated.
	ByCode map[string]int64 `json:"by_code,omitempty"`
	// Truncated: the report holds only its first MaxReportEntries entries.
	Truncated bool  `json:"report_truncated,omitempty"`
	SRID      int   `json:"srid,omitempty"`
	Millis    int64 `json:"ms"`
	// LayerCreated: the import created its layer (revert removes it again).
	LayerCreated bool `json:"layer_created,omitempty"`
	// Timings of the database connection's steps in milliseconds, summed over the chunks (setup;
	// read: COPY, including any wait for the decoder; analyze, validity, checks, constraints,
	// keys, findings; write), to see where the time of a large import goes.
	Timings map[string]int64 `json:"timings_ms,omitempty"`
}

// Report entry levels.
const (
	LevelRejected = "rejected"
	LevelRepaired = "repaired"
	LevelWarning  = "warning"
)

// ReportEntry is one finding about one feature (Index -1: about the whole file).
type ReportEntry struct {
	Index  int    `json:"index"`
	ID     string `json:"id,omitempty"`  // the feature's id member
	Key    string `json:"key,omitempty"` // its key values, "25216/12/345"
	Level  string `json:"level"`
	Code   string `json:"code"` // stable: no_geometry, geometry_type, invalid_geometry, outside, ...
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// MaxReportEntries caps a stored report; counts stay complete.
const MaxReportEntries = 10000

// ImportProgress is a running import's progress.
type ImportProgress struct {
	Phase    string `json:"phase"` // reading, validating, writing, done
	Bytes    int64  `json:"bytes"`
	Read     int64  `json:"read"`
	Accepted int64  `json:"accepted"`
	Rejected int64  `json:"rejected"`
	// FeaturesPerSecond over the reading phase.
	FeaturesPerSecond float64 `json:"features_per_second"`
}

// ImportResult is what an import did.
type ImportResult struct {
	ID     int64         `json:"id"`
	State  string        `json:"state"`
	Counts ImportCounts  `json:"counts"`
	Report []ReportEntry `json:"report"`
}

// ImportError is an import that did not commit, with the findings so far. Its message is
// written for the person who ran the import; it never contains SQL.
type ImportError struct {
	ID     int64
	State  string // failed or cancelled
	Msg    string
	Result *ImportResult
	err    error
}

func (e *ImportError) Error() string { return fmt.Sprintf("store: import %d: %s", e.ID, e.Msg) }
func (e *ImportError) Unwrap() error { return e.err }

// Import is one import job: NewImport records it, Run does it.
type Import struct {
	s       *Store
	id      int64
	opt     ImportOptions
	started time.Time

	phase    atomic.Pointer[string]
	bytes    atomic.Int64
	read     atomic.Int64
	rejected atomic.Int64 // rejected while reading (in Go); validation adds more later
	readDone atomic.Int64 // unix nanos when reading finished
	ran      atomic.Bool

	inputDone chan struct{} // closed when the input has been read to its end or failed
	inputOnce sync.Once
	inputErr  error
}

// InputDone is closed once Run has stopped reading its input: at its end, or at the first
// problem with it. A server streaming an upload into Run answers once this happens.
func (im *Import) InputDone() <-chan struct{} { return im.inputDone }

// InputErr is why reading the input stopped early (nil if it was read to the end); valid after
// InputDone is closed.
func (im *Import) InputErr() error {
	select {
	case <-im.inputDone:
		return im.inputErr
	default:
		return nil
	}
}

func (im *Import) finishInput(err error) {
	im.inputOnce.Do(func() {
		im.inputErr = err
		close(im.inputDone)
	})
}

// ID is the import's id in the imports table.
func (im *Import) ID() int64 { return im.id }

// Options returns the import's options after defaults.
func (im *Import) Options() ImportOptions { return im.opt }

// Progress returns the import's progress; safe to call from any goroutine.
func (im *Import) Progress() ImportProgress {
	p := ImportProgress{Phase: "queued", Bytes: im.bytes.Load(), Read: im.read.Load(), Rejected: im.rejected.Load()}
	if ph := im.phase.Load(); ph != nil {
		p.Phase = *ph
	}
	p.Accepted = p.Read - p.Rejected
	end := time.Now()
	if d := im.readDone.Load(); d != 0 {
		end = time.Unix(0, d)
	}
	if secs := end.Sub(im.started).Seconds(); secs > 0 {
		p.FeaturesPerSecond = float64(p.Read) / secs
	}
	return p
}

func (im *Import) setPhase(p string) { im.phase.Store(&p) }

var layerIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// defaultKeys are the natural keys of the built-in layers.
var defaultKeys = map[string][]string{
	"parcels":     {"commune_code", "sheet_no", "parcel_no"},
	"admin_units": {"code", "valid_from"},
}

// NewImport checks the options against the catalog and records the import (state running), so
// it has an id before its input is read. Option mistakes wrap ErrInvalid (ErrNotFound for an
// unknown layer, ErrConflict for --create of an existing one).
func (s *Store) NewImport(ctx context.Context, opt ImportOptions) (*Import, error) {
	if opt.Mode == "" {
		opt.Mode = ModeAppend
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 5000
	}
	if opt.ChunkSize <= 0 {
		opt.ChunkSize = 20000
	}
	if opt.MaxRejected < -1 {
		return nil, fmt.Errorf("store: import: %w", invalidf("max rejected %d: want -1 (any) or more", opt.MaxRejected))
	}
	switch opt.Mode {
	case ModeAppend, ModeUpsert, ModeReplace:
	default:
		return nil, fmt.Errorf("store: import: %w", invalidf("mode %q: want append, upsert or replace", opt.Mode))
	}
	if opt.SRID != 0 {
		if _, ok := geo.LookupCRS(opt.SRID); !ok {
			return nil, fmt.Errorf("store: import: %w", invalidf("srid %d is not supported (VN-2000 TM-3 zones such as 9212, 4326, 4756, 3405, 3406, 3857)", opt.SRID))
		}
	}
	for i, k := range opt.Key {
		opt.Key[i] = strings.TrimSpace(k)
	}
	opt.Key = slices.DeleteFunc(opt.Key, func(k string) bool { return k == "" })
	if opt.Offline && opt.Create {
		return nil, fmt.Errorf("store: import: %w", invalidf("offline: a new layer shares its table with the other imported layers, which would all go offline; import it online"))
	}
	if opt.Create {
		if !layerIDPattern.MatchString(opt.Layer) {
			return nil, fmt.Errorf("store: import: %w", invalidf("layer id %q: want a lower-case letter, then letters, digits or _ (at most 63)", opt.Layer))
		}
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM layers WHERE id = $1)`, opt.Layer).Scan(&exists); err != nil {
			return nil, fmt.Errorf("store: import: %w", err)
		}
		if exists {
			return nil, fmt.Errorf("store: import: %w", clientError(ErrConflict, "layer %s already exists; import into it without --create", opt.Layer))
		}
		if opt.Mode != ModeAppend {
			return nil, fmt.Errorf("store: import: %w", invalidf("a new layer is created with mode append"))
		}
		if opt.Title == "" {
			opt.Title = opt.Layer
		}
		for src, dst := range opt.Map {
			if !validAttributeName(dst) {
				return nil, fmt.Errorf("store: import: %w", invalidf("map %s=%s: attribute names are lower-case letters, digits and _", src, dst))
			}
		}
	} else {
		l, ok := s.Catalog().Layer(opt.Layer)
		if !ok {
			// Another instance may have created it since our snapshot.
			if c, err := s.LoadCatalog(ctx); err == nil {
				l, ok = c.Layer(opt.Layer)
			}
		}
		if !ok {
			return nil, fmt.Errorf("store: import: %w", clientError(ErrNotFound, "no layer %s (use --create to make a new layer)", opt.Layer))
		}
		if len(opt.Key) == 0 {
			opt.Key = slices.Clone(defaultKeys[l.TableName])
		}
		if opt.Offline && l.Storage == StorageGeneric {
			return nil, fmt.Errorf("store: import: %w", invalidf("offline: layer %s shares its table with the other imported layers, which would all go offline; import it online", l.ID))
		}
		for _, k := range opt.Key {
			if a, ok := l.Attribute(k); !ok || a.Computed {
				return nil, fmt.Errorf("store: import: %w", invalidf("key %s is not an attribute of layer %s", k, l.ID))
			}
		}
		for src, dst := range opt.Map {
			if a, ok := l.Attribute(dst); !ok || a.Computed {
				return nil, fmt.Errorf("store: import: %w", invalidf("map %s=%s: %s is not a writable attribute of layer %s", src, dst, dst, l.ID))
			}
		}
	}
	if opt.Mode == ModeUpsert && len(opt.Key) == 0 {
		return nil, fmt.Errorf("store: import: %w", invalidf("upsert needs --key (the attributes that identify a feature)"))
	}
	options, _ := json.Marshal(map[string]any{
		"key": opt.Key, "map": opt.Map, "dry_run": opt.DryRun, "strict": opt.Strict, "create": opt.Create, "offline": opt.Offline,
		"title": opt.Title, "max_rejected": opt.MaxRejected, "srid": opt.SRID,
	})
	var srid any
	if opt.SRID != 0 {
		srid = opt.SRID
	}
	im := &Import{s: s, opt: opt, started: time.Now(), inputDone: make(chan struct{})}
	err := s.pool.QueryRow(ctx, `INSERT INTO imports (layer_id, mode, state, source, srid, options, actor)
		VALUES ($1, $2, 'running', $3, $4, $5, $6) RETURNING id`,
		opt.Layer, opt.Mode, opt.Source, srid, options, opt.Actor).Scan(&im.id)
	if err != nil {
		return nil, fmt.Errorf("store: import: record: %w", err)
	}
	return im, nil
}

// Import is NewImport followed by Run.
func (s *Store) Import(ctx context.Context, r io.Reader, opt ImportOptions) (*ImportResult, error) {
	im, err := s.NewImport(ctx, opt)
	if err != nil {
		return nil, err
	}
	return im.Run(ctx, r)
}

// Run reads the input, validates every feature and writes the accepted ones, all in one
// transaction: a bad file, a database error, a cancelled context or a killed process leave the
// layer as it was. It returns the result of a committed (or, for a dry run, validated) import;
// otherwise an *ImportError carrying the report so far. Either way the outcome is recorded in
// the imports table. Run may be called once.
//
// Cancelling ctx stops the import at once, except that Run returns only after a Read of r that
// is under way has returned: to abandon a reader blocked on the network, close it.
func (im *Import) Run(ctx context.Context, r io.Reader) (*ImportResult, error) {
	if im.ran.Swap(true) {
		return nil, fmt.Errorf("store: %w", clientError(ErrConflict, "import %d has already run", im.id))
	}
	im.started = time.Now()
	im.setPhase("reading")
	job := &importRun{im: im, rep: newReport()}
	res, err := job.run(ctx, r)
	im.setPhase("done")
	if err == nil {
		return res, nil
	}
	state, msg := StateFailed, publicMessage(err)
	if ctx.Err() != nil {
		// Whatever broke first (often the input, cut off by the cancellation), it was cancelled.
		state, msg = StateCancelled, "cancelled; nothing was written"
	}
	if dbe := (*DBError)(nil); !errors.As(err, &dbe) && !isInputError(err) && state == StateFailed {
		im.s.log.Error("import failed", "import", im.id, "layer", im.opt.Layer, "err", err)
	}
	res = job.result(state)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if rerr := im.record(rctx, res, msg); rerr != nil {
		im.s.log.Error("import: record the outcome", "import", im.id, "err", rerr)
	}
	return nil, &ImportError{ID: im.id, State: state, Msg: msg, Result: res, err: err}
}

// record writes a failed, cancelled or validated outcome (a committed one is written inside the
// import's transaction).
func (im *Import) record(ctx context.Context, res *ImportResult, msg string) error {
	counts, report := res.encode()
	var errText any
	if msg != "" {
		errText = msg
	}
	_, err := im.s.pool.Exec(ctx, `UPDATE imports SET state = $2, counts = $3, report = $4, error = $5,
		srid = coalesce(srid, $6), finished_at = now() WHERE id = $1`,
		im.id, res.State, counts, report, errText, nullZero(res.Counts.SRID))
	return err
}

func nullZero(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func (r *ImportResult) encode() (counts, report []byte) {
	counts, _ = json.Marshal(r.Counts)
	rep := r.Report
	if rep == nil {
		rep = []ReportEntry{}
	}
	report, _ = json.Marshal(rep)
	return counts, report
}

// isInputError reports whether err is about the input, not the system.
func isInputError(err error) bool {
	var re *geo.ReadError
	return errors.Is(err, geo.ErrGeoJSON) || errors.Is(err, geo.ErrCRSMismatch) || errors.Is(err, geo.ErrUnknownCRS) ||
		errors.Is(err, ErrInvalid) || errors.As(err, &re)
}

// publicMessage is what a person is told about err: input and constraint problems in full,
// anything else as a database or system error without its internals.
func publicMessage(err error) string {
	var dbe *DBError
	var re *geo.ReadError
	switch {
	case errors.As(err, &re):
		return "reading the input failed after " + fmt.Sprint(re.Offset) + " bytes: " + re.Err.Error() + "; nothing was written"
	case errors.Is(err, geo.ErrGeoJSON), errors.Is(err, geo.ErrCRSMismatch), errors.Is(err, geo.ErrUnknownCRS):
		return ClientMessage(err) + "; nothing was written"
	case errors.As(err, &dbe) && dbe.cause != nil && (errors.Is(dbe, ErrInvalid) || errors.Is(dbe, ErrConflict)):
		return "the database refused the data: " + dbe.Message + "; nothing was written"
	case errors.Is(err, ErrInvalid):
		return ClientMessage(err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled; nothing was written"
	}
	return "the import failed because of a database or system error (logged on the server); nothing was written"
}

// report collects findings: the first MaxReportEntries entries in full, every count exactly.
type report struct {
	mu        sync.Mutex
	entries   []ReportEntry
	byCode    map[string]int64
	levels    map[string]int64
	truncated bool
	rejected  map[int]bool // indexes rejected in Go, for the distinct count
}

func newReport() *report {
	return &report{byCode: map[string]int64{}, levels: map[string]int64{}}
}

func (r *report) add(e ReportEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byCode[e.Code]++
	r.levels[e.Level]++
	if len(r.entries) < MaxReportEntries {
		r.entries = append(r.entries, e)
	} else {
		r.truncated = true
	}
}

// sorted returns the entries by feature index (file-level ones first), stable within one.
func (r *report) sorted() []ReportEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.entries)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// keyOf formats key values for a report: "25216/12/345".
func keyOf(vals []string) string {
	for _, v := range vals {
		if v != "" {
			return strings.Join(vals, "/")
		}
	}
	return ""
}

// quoteField quotes a field name in a message.
func quoteField(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// tooMany is the error for an import with more rejections than allowed.
func tooMany(rejected int64, max int) error {
	allow := "pass --max-rejected N (max_rejected=N over HTTP) to commit the accepted features anyway"
	if max > 0 {
		return clientError(ErrTooManyRejected, "%d features rejected, more than the %d allowed; nothing was written (see the report)", rejected, max)
	}
	return clientError(ErrTooManyRejected, "%d features rejected; nothing was written (see the report; fix them, or %s)", rejected, allow)
}
