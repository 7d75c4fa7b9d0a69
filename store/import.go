package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/geo/geojson"
	"github.com/dongnai-gis/gisd/importer"
)

// The database half of an import. importer reads, checks and converts the features; this file
// and the other import_*.go files record the job, stage the rows (COPY), validate them against
// the database (set-based), write them into the layer in one transaction, and revert an import.

// ErrTooManyRejected: validation rejected more features than the import allows, so nothing was
// written. It wraps ErrInvalid.
var ErrTooManyRejected = fmt.Errorf("%w: too many features rejected", ErrInvalid)

// optionError is an import option the import cannot take: an ErrInvalid whose client message is
// the option's, and that still is (errors.As) the *importer.OptionError naming the option.
func optionError(err error) error {
	return &Error{Kind: ErrInvalid, Message: ClientMessage(err), cause: err}
}

// ImportError is an import that did not commit, with the findings so far. Its message is
// written for the person who ran the import; it never contains SQL.
type ImportError struct {
	ID     int64
	State  string // failed or cancelled
	Msg    string
	Result *importer.Result
	err    error
}

func (e *ImportError) Error() string { return fmt.Sprintf("store: import %d: %s", e.ID, e.Msg) }

// ClientMessage is Msg: it is written for the person who ran the import.
func (e *ImportError) ClientMessage() string { return e.Msg }
func (e *ImportError) Unwrap() error         { return e.err }

// Import is one import job: NewImport records it, Run does it.
type Import struct {
	s       *Store
	id      int64
	opt     importer.Options
	started atomic.Int64 // unix nanos when Run began (Progress reads it while Run runs)

	phase    atomic.Pointer[string]
	rd       atomic.Pointer[importer.Reader]
	readDone atomic.Int64 // unix nanos when reading finished
	ran      atomic.Bool

	inputDone chan struct{} // closed when the input has been read to its end or failed
	inputOnce sync.Once
	inputErr  error

	stopping chan struct{} // closed when something other than Run's caller stops the import
}

// Stopping is closed when the import was stopped by something other than the context its caller
// gave Run: another instance cancelled it, or its lease was lost. A server streaming an upload
// into Run then stops reading it (Run returns only once a Read under way has returned).
func (im *Import) Stopping() <-chan struct{} { return im.stopping }

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
func (im *Import) Options() importer.Options { return im.opt }

// Progress returns the import's progress; safe to call from any goroutine.
func (im *Import) Progress() importer.Progress {
	p := importer.Progress{Phase: "queued"}
	if rd := im.rd.Load(); rd != nil {
		p.Bytes, p.Read, p.Rejected = rd.Bytes(), rd.Read(), rd.Rejected()
	}
	if ph := im.phase.Load(); ph != nil {
		p.Phase = *ph
	}
	p.Accepted = p.Read - p.Rejected
	end := time.Now()
	if d := im.readDone.Load(); d != 0 {
		end = time.Unix(0, d)
	}
	if secs := end.Sub(time.Unix(0, im.started.Load())).Seconds(); secs > 0 {
		p.FeaturesPerSecond = float64(p.Read) / secs
	}
	return p
}

func (im *Import) setPhase(p string) { im.phase.Store(&p) }

// NewImport checks the options against the catalog and records the import (state running), so
// it has an id before its input is read. Option mistakes wrap ErrInvalid and are, or wrap, an
// *importer.OptionError naming the option; an unknown layer is ErrNotFound, creating one that
// exists ErrConflict.
func (s *Store) NewImport(ctx context.Context, opt importer.Options) (*Import, error) {
	opt.Key, opt.Map = slices.Clone(opt.Key), maps.Clone(opt.Map)
	if err := opt.Normalize(); err != nil {
		return nil, fmt.Errorf("store: import: %w", optionError(err))
	}
	optionErr := func(option, format string, args ...any) error {
		return fmt.Errorf("store: import: %w", optionError(&importer.OptionError{Option: option, Msg: fmt.Sprintf(format, args...)}))
	}
	if opt.Create {
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM layers WHERE id = $1)`, opt.Layer).Scan(&exists); err != nil {
			return nil, fmt.Errorf("store: import: %w", err)
		}
		if exists {
			return nil, fmt.Errorf("store: import: %w", clientError(ErrConflict, "layer %s already exists", opt.Layer))
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
			return nil, fmt.Errorf("store: import: %w", clientError(ErrNotFound, "no layer %s", opt.Layer))
		}
		if len(opt.Key) == 0 {
			opt.Key = importer.DefaultKey(l.TableName)
		}
		if opt.Offline && l.Storage == StorageGeneric {
			return nil, optionErr("offline", "layer %s shares its table with the other imported layers, which would all go offline; import it online", l.ID)
		}
		for _, k := range opt.Key {
			if a, ok := l.Attribute(k); !ok || a.Computed {
				return nil, optionErr("key", "%s is not an attribute of layer %s", k, l.ID)
			}
		}
		for _, src := range slices.Sorted(maps.Keys(opt.Map)) {
			if a, ok := l.Attribute(opt.Map[src]); !ok || a.Computed {
				return nil, optionErr("map", "%s=%s: %s is not a writable attribute of layer %s", src, opt.Map[src], opt.Map[src], l.ID)
			}
		}
		if opt.Mode == importer.ModeUpsert && len(opt.Key) == 0 {
			return nil, optionErr("key", "an upsert needs the attributes that identify a feature")
		}
	}
	options, _ := json.Marshal(map[string]any{
		"key": opt.Key, "map": opt.Map, "dry_run": opt.DryRun, "strict": opt.Strict, "create": opt.Create, "offline": opt.Offline,
		"title": opt.Title, "max_rejected": opt.MaxRejected, "max_value_bytes": opt.MaxValueBytes, "srid": opt.SRID,
	})
	im := &Import{s: s, opt: opt, inputDone: make(chan struct{}), stopping: make(chan struct{})}
	im.started.Store(time.Now().UnixNano())
	err := s.pool.QueryRow(ctx, `INSERT INTO imports (layer_id, mode, state, source, srid, options, actor, lease_until)
		VALUES ($1, $2, 'running', $3, $4, $5, $6, clock_timestamp() + make_interval(secs => $7)) RETURNING id`,
		opt.Layer, opt.Mode, opt.Source, nullZero(opt.SRID), options, opt.Actor, opt.Lease.Seconds()).Scan(&im.id)
	if err != nil {
		return nil, fmt.Errorf("store: import: record: %w", err)
	}
	return im, nil
}

// Import is NewImport followed by Run.
func (s *Store) Import(ctx context.Context, r io.Reader, opt importer.Options) (*importer.Result, error) {
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
func (im *Import) Run(ctx context.Context, r io.Reader) (*importer.Result, error) {
	if im.ran.Swap(true) {
		return nil, fmt.Errorf("store: %w", clientError(ErrConflict, "import %d has already run", im.id))
	}
	im.started.Store(time.Now().UnixNano())
	im.setPhase("reading")
	callerCtx := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopHeartbeat := im.heartbeat(func(cause error) {
		cancel(cause)
		close(im.stopping)
	})
	defer stopHeartbeat()
	job := &importRun{im: im, rep: importer.NewReport(), stopHeartbeat: stopHeartbeat}
	res, err := job.run(ctx, r)
	im.setPhase("done")
	if err == nil {
		return res, nil
	}
	state, msg := importer.StateFailed, publicMessage(err)
	switch cause := context.Cause(ctx); {
	case callerCtx.Err() != nil, errors.Is(cause, errCancelRequested):
		// Whatever broke first (often the input, cut off by the cancellation), it was cancelled.
		state, msg = importer.StateCancelled, "cancelled; nothing was written"
	case errors.Is(cause, errLeaseLost):
		msg = "stopped: " + errLeaseLost.Error() + "; nothing was written"
	}
	if dbe := (*DBError)(nil); !errors.As(err, &dbe) && !isInputError(err) && state == importer.StateFailed {
		im.s.log.Error("import failed", "import", im.id, "layer", im.opt.Layer, "err", err)
	}
	res = job.result(state)
	rctx, done := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer done()
	if rerr := im.record(rctx, res, msg); rerr != nil {
		im.s.log.Error("import: record the outcome", "import", im.id, "err", rerr)
	}
	return nil, &ImportError{ID: im.id, State: state, Msg: msg, Result: res, err: err}
}

// record writes a failed, cancelled or validated outcome (a committed one is written inside the
// import's transaction).
func (im *Import) record(ctx context.Context, res *importer.Result, msg string) error {
	counts, report := encodeResult(res)
	var errText any
	if msg != "" {
		errText = msg
	}
	// A record no longer running was settled by another instance (cancelled, or failed for a
	// lost lease): that stands.
	_, err := im.s.pool.Exec(ctx, `UPDATE imports SET state = $2, counts = $3, report = $4, error = $5,
		srid = coalesce(srid, $6), finished_at = clock_timestamp(), lease_until = NULL WHERE id = $1 AND state = 'running'`,
		im.id, res.State, counts, report, errText, nullZero(res.Counts.SRID))
	return err
}

func nullZero(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func encodeResult(r *importer.Result) (counts, report []byte) {
	counts, _ = json.Marshal(r.Counts)
	rep := r.Report
	if rep == nil {
		rep = []importer.Entry{}
	}
	report, _ = json.Marshal(rep)
	return counts, report
}

// isInputError reports whether err is about the input, not the system.
func isInputError(err error) bool {
	var re *geojson.ReadError
	return errors.Is(err, geojson.ErrInvalid) || errors.Is(err, geo.ErrCRSMismatch) || errors.Is(err, geo.ErrUnknownCRS) ||
		errors.Is(err, ErrInvalid) || errors.Is(err, importer.ErrInvalid) || errors.As(err, &re)
}

// publicMessage is what a person is told about err: input and constraint problems in full,
// anything else as a database or system error without its internals.
func publicMessage(err error) string {
	var dbe *DBError
	var re *geojson.ReadError
	switch {
	case errors.As(err, &re):
		return "reading the input failed after " + fmt.Sprint(re.Offset) + " bytes: " + ClientMessage(re.Err) + "; nothing was written"
	case errors.Is(err, geojson.ErrInvalid), errors.Is(err, geo.ErrCRSMismatch), errors.Is(err, geo.ErrUnknownCRS):
		return ClientMessage(err) + "; nothing was written"
	case errors.As(err, &dbe) && dbe.cause != nil && (errors.Is(dbe, ErrInvalid) || errors.Is(dbe, ErrConflict)):
		return "the database refused the data: " + dbe.Message + "; nothing was written"
	case errors.Is(err, ErrInvalid), errors.Is(err, importer.ErrInvalid):
		return ClientMessage(err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled; nothing was written"
	}
	return "the import failed because of a database or system error (logged on the server); nothing was written"
}

// tooMany is the error for an import with more rejections than allowed.
func tooMany(rejected int64, max int) error {
	if max > 0 {
		return clientError(ErrTooManyRejected, "%d features rejected, more than the %d allowed; nothing was written (see the report)", rejected, max)
	}
	return clientError(ErrTooManyRejected, "%d features rejected; nothing was written (see the report: fix them, or allow rejections to commit the accepted features anyway)", rejected)
}
