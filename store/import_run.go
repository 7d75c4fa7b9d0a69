package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dongnai-gis/gisd/importer"
)

// Advisory lock classes (the first key of pg_advisory_xact_lock(int, int)). 7318001 and 7318002
// are taken by storetest and the change feed.
const (
	lockImportLayer = 7318005 // one import (or revert) at a time per layer
	lockImportJob   = 7318006 // held by a running import; its absence marks an interrupted one
)

// importRun is the state of one Run.
type importRun struct {
	im  *Import
	rep *importer.Report
	// stopHeartbeat stops renewing the lease, before the outcome is written: a renewal must not
	// wait on the record's row lock that the final update takes, nor cancel a commit under way.
	stopHeartbeat func()
	t             *importTarget
	rd            *importer.Reader

	srid      int
	layerType string // the geometry type rows must have (decided at the end for --create)
	newAttrs  []importer.Attribute
	counts    importer.Counts
	sqlRej    int64 // features rejected by the validation queries
	chunk     int   // features per chunk (math.MaxInt: one chunk)
	// skipKeyConflicts: a chunked append into a layer that was empty, where no key can clash.
	skipKeyConflicts bool
	// chunkRepairs is how many geometries of the current chunk were invalid.
	chunkRepairs int64
	// droppedIndexes are the definitions of the indexes an Offline import builds again at the end.
	droppedIndexes []string

	lastStep  time.Time
	sridKnown chan struct{} // closed once srid is decided
	sridOnce  sync.Once
}

func (run *importRun) run(ctx context.Context, r io.Reader) (*importer.Result, error) {
	im, s := run.im, run.im.s
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire a connection: %w", err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	// Rolled back on any failure, cancellation included: a context that is already done could
	// not send the ROLLBACK, which would leave the connection to be discarded instead.
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = tx.Rollback(rctx)
	}()
	run.lastStep = time.Now()
	if err := run.setup(ctx, tx); err != nil {
		return nil, err
	}
	if run.t, err = run.resolveTarget(ctx, tx); err != nil {
		return nil, err
	}
	run.layerType = run.t.GeometryType
	run.step("setup")
	if err := run.stream(ctx, tx, r); err != nil {
		return nil, err
	}
	if len(run.droppedIndexes) > 0 {
		if err := run.rebuildIndexes(ctx, tx); err != nil {
			return nil, err
		}
		run.step("indexes")
	}
	if run.rd.Read() == 0 {
		return nil, invalidf("the input holds no features")
	}
	rejected := run.rd.Rejected() + run.sqlRej
	if err := run.checkRejected(); err != nil {
		return nil, err
	}
	if rejected == run.rd.Read() {
		return nil, invalidf("all %d features were rejected; nothing was written (see the report)", rejected)
	}
	state := importer.StateCommitted
	if im.opt.DryRun {
		state = importer.StateValidated
	}
	run.stopHeartbeat()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	res := run.result(state)
	if im.opt.DryRun {
		// Rolled back by the deferred Rollback; then the verdict is recorded on its own.
		if err := tx.Rollback(ctx); err != nil {
			return nil, err
		}
		if err := im.record(ctx, res, ""); err != nil {
			return nil, err
		}
		return res, nil
	}
	counts, report := encodeResult(res)
	// finished_at is the clock's time: now() would be when the transaction began. The record
	// must still be running: if another instance settled it meanwhile (a lost lease, a cancel),
	// nothing is committed.
	tag, err := tx.Exec(ctx, `UPDATE imports SET state = 'committed', counts = $2, report = $3, srid = $4,
		error = NULL, finished_at = clock_timestamp(), lease_until = NULL WHERE id = $1 AND state = 'running'`, im.id, counts, report, run.srid)
	if err != nil {
		return nil, err
	}
	if tag.RowsAffected() != 1 {
		return nil, fmt.Errorf("import %d: %w", im.id, errLeaseLost)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, Classify(err)
	}
	if run.t.Create {
		if _, err := s.LoadCatalog(ctx); err != nil {
			s.log.Warn("import: reload the catalog", "err", err)
		}
	}
	return res, nil
}

// knowSRID marks the SRID as decided (by the Reader, at the first geometry or at the end of the
// input; at the latest when the producer stops).
func (run *importRun) knowSRID(srid int) {
	run.sridOnce.Do(func() {
		run.srid, run.counts.SRID = srid, srid
		close(run.sridKnown)
	})
}

// step records the time since the previous step under name.
func (run *importRun) step(name string) {
	now := time.Now()
	if run.counts.Timings == nil {
		run.counts.Timings = map[string]int64{}
	}
	run.counts.Timings[name] += now.Sub(run.lastStep).Milliseconds()
	run.lastStep = now
}

// setup marks the transaction as this import's and serializes imports of one layer.
func (run *importRun) setup(ctx context.Context, tx pgx.Tx) error {
	im := run.im
	// The pool's statement and lock timeouts suit requests, not a million-row INSERT that may
	// wait for readers to let go of the layer; the import is bounded by its context instead.
	// The key joins over a million staged rows (in one chunk) stay in memory with a larger
	// work_mem, for this transaction only. JIT is off: it would compile each chunk's statements
	// again (0.1-0.2 s each) to save less than that.
	_, err := tx.Exec(ctx, `SELECT `+serverStopsWithClient+`, set_config('statement_timeout', '0', true), set_config('lock_timeout', '0', true),
		set_config('work_mem', '256MB', true),
		set_config('jit', 'off', true),
		set_config('gisd.actor', $1, true), set_config('gisd.import_id', $2, true),
		pg_advisory_xact_lock($3, ($4::bigint % 2147483647)::int)`,
		fmt.Sprintf("import:%d", im.id), fmt.Sprint(im.id), lockImportJob, im.id)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockImportLayer, im.opt.Layer)
	return err
}

// serverStopsWithClient makes the server check, once a second while a statement runs, that the
// client is still there, for the rest of the transaction. A cancelled context already cancels
// the statement (the pool sends a cancel request), but a gisd that is killed, or whose machine
// or network goes away, can send nothing: without the check its backend would go on (waiting
// for a lock, writing a million rows, holding the layer's locks) until it next talked to the
// client.
const serverStopsWithClient = `set_config('client_connection_check_interval', '1000', true)`

// stageColumns are the columns COPY fills, in order.
func (run *importRun) stageColumns() []string {
	cols := []string{"idx", "fid", "key"}
	if run.t.Generic {
		cols = append(cols, "props")
	} else {
		for _, c := range run.t.Columns {
			cols = append(cols, c.Name)
		}
	}
	return append(cols, "lu_fill", "proven", "repairable", "geom")
}

// chunkRows is how many features are validated and written at a time (decided by planChunks).
func (run *importRun) chunkRows() int { return run.chunk }

// planChunks decides whether the import goes in chunks. Every chunk is matched against what is
// already in the layer, so that must cost a probe per feature, not a scan of the layer: an
// append or upsert whose key is a unique index of the table probes it; an append without a key
// and a replace check nothing there. Everything else is done in one chunk (where matching costs
// one pass over the layer), as are a layer created by the import (its geometry type comes from
// the whole file) and administrative units (their validity periods are checked against each
// other across the file).
func (run *importRun) planChunks(ctx context.Context, tx pgx.Tx) error {
	t, opt := run.t, run.im.opt
	run.chunk = math.MaxInt
	if t.Create || t.Table == "admin_units" {
		return nil
	}
	if opt.Mode == importer.ModeUpsert && len(t.key) == 0 {
		return nil
	}
	if opt.Mode != importer.ModeReplace && len(t.key) > 0 {
		if t.Generic {
			return nil
		}
		// A unique index on exactly the key's columns, all NOT NULL, so that = finds what
		// IS NOT DISTINCT FROM would.
		var indexed bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (
				SELECT 1 FROM pg_index i
				WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
				  AND i.indnkeyatts = cardinality($2::text[])
				  AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid
				                  AND a.attnum = ANY (i.indkey) AND NOT (a.attname = ANY ($2) AND a.attnotnull)))`,
			t.Table, t.key).Scan(&indexed); err != nil {
			return err
		}
		if !indexed {
			return nil
		}
		// Into an empty layer (a first load, the usual large import) nothing can clash but the
		// file's own duplicates, which the decoder finds. A row another writer adds meanwhile
		// would fail the INSERT on the unique index: the import then changes nothing.
		if opt.Mode == importer.ModeAppend {
			var any bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+ident(t.Table)+`)`).Scan(&any); err != nil {
				return err
			}
			run.skipKeyConflicts = !any
		}
	}
	run.chunk = opt.ChunkSize
	return nil
}

// stream reads the input into the layer one chunk at a time, in the import's transaction: a
// goroutine decodes and converts features into batches while the database copies, validates
// and writes the chunk before, so the decoder and the database work at the same time. Memory
// holds the batches queued for about one chunk, whatever the size of the input.
//
// The staging tables are made once the producer knows the input's CRS (from the first
// geometry): a file in a CRS that does not fit fails before anything is staged.
func (run *importRun) stream(ctx context.Context, tx pgx.Tx, r io.Reader) error {
	im := run.im
	// Room for about a chunk of batches, so decoding runs ahead while a chunk is written.
	batches := make(chan *stagedBatch, max(2, im.opt.ChunkSize/im.opt.BatchSize))
	run.sridKnown = make(chan struct{})
	run.rd = importer.NewReader(r, run.t.Schema, im.opt, run.rep)
	run.rd.OnSRID = run.knowSRID
	im.rd.Store(run.rd)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer close(batches)
		err := run.produce(pctx, batches)
		run.knowSRID(run.rd.SRID())
		run.im.finishInput(err)
		done <- err
	}()
	// stop ends the producer (at once, unless it has finished) and returns its error. Every
	// return goes through it, so the producer never outlives stream.
	var stopped bool
	var perr error
	stop := func() error {
		if !stopped {
			cancel()
			for range batches {
			}
			perr, stopped = <-done, true
		}
		return perr
	}
	defer stop()
	select {
	case <-run.sridKnown:
	case <-ctx.Done():
		stop()
		return ctx.Err()
	}
	err := run.planChunks(ctx, tx)
	if err == nil {
		err = run.createStage(ctx, tx)
	}
	if err != nil {
		if perr := stop(); perr != nil {
			return perr
		}
		return fmt.Errorf("staging table: %w", err)
	}
	src := &copyChunk{ctx: ctx, ch: batches}
	copySQL := run.copyStatement()
	for chunk := 0; ; chunk++ {
		src.reset(run.chunkRows())
		if _, err := tx.Conn().PgConn().CopyFrom(ctx, src, copySQL); err != nil {
			if perr := stop(); perr != nil && !errors.Is(perr, context.Canceled) {
				return perr
			}
			return Classify(err)
		}
		if src.done {
			if err := stop(); err != nil {
				return err
			}
			im.readDone.Store(time.Now().UnixNano())
			im.setPhase("validating")
		}
		run.step("read")
		if src.n == 0 {
			return nil
		}
		if run.t.Create {
			// One chunk: the producer has read the whole input.
			var err error
			if run.layerType, run.newAttrs, err = run.rd.NewLayer(); err != nil {
				return err
			}
		}
		if err := run.validate(ctx, tx, chunk == 0); err != nil {
			return err
		}
		// A chunk can already settle that the import will not commit.
		if err := run.checkRejected(); err != nil {
			return err
		}
		if src.done {
			im.setPhase("writing")
		}
		if err := run.write(ctx, tx, chunk == 0); err != nil {
			return err
		}
		run.step("write")
		if src.done {
			return nil
		}
		if err := run.clearChunk(ctx, tx); err != nil {
			return err
		}
	}
}

// checkRejected fails the import once more features were rejected than it allows.
func (run *importRun) checkRejected() error {
	rejected := run.rd.Rejected() + run.sqlRej
	if max := run.im.opt.MaxRejected; max >= 0 && rejected > int64(max) {
		return tooMany(rejected, max)
	}
	return nil
}

// produce reads, checks and converts features with the Reader until the input ends, and
// encodes the accepted ones for COPY in batches.
func (run *importRun) produce(ctx context.Context, out chan<- *stagedBatch) error {
	size := run.im.opt.BatchSize
	enc := newRowEncoder(run)
	batch := &stagedBatch{}
	send := func() error {
		if batch.rows() == 0 {
			return nil
		}
		select {
		case out <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
		// The next batch starts with room for as much as this one needed.
		batch = &stagedBatch{buf: make([]byte, 0, cap(batch.buf)), ends: make([]int, 0, size)}
		return nil
	}
	var row importer.Row
	for {
		err := run.rd.Next(ctx, &row)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := enc.encode(batch, &row); err != nil {
			return err
		}
		if batch.rows() == size {
			if err := send(); err != nil {
				return err
			}
		}
	}
	run.counts.Bytes = run.rd.Bytes()
	return send()
}

// result assembles the counts and report.
func (run *importRun) result(state string) *importer.Result {
	c := run.counts
	if rd := run.rd; rd != nil {
		c.Read, c.Bytes, c.Unproven = rd.Read(), rd.Bytes(), rd.Unproven()
		c.Rejected = rd.Rejected()
	}
	c.Rejected += run.sqlRej
	c.Accepted = c.Read - c.Rejected
	run.rep.Fill(&c)
	c.SRID = run.srid
	c.Millis = time.Since(time.Unix(0, run.im.started.Load())).Milliseconds()
	return &importer.Result{ID: run.im.id, State: state, Counts: c, Report: run.rep.Entries()}
}
