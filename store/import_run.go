package store

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"

	"github.com/dongnai-gis/gisd/geo"
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
	rep *report
	t   *importTarget

	srid      int
	layerType string // the geometry type rows must have (decided at the end for --create)
	counts    ImportCounts
	geomTypes map[string]int64
	fields    geo.FieldTypes
	zDropped  bool
	sqlRej    int64 // features rejected by the validation queries
	chunk     int   // features per chunk (math.MaxInt: one chunk)
	// skipKeyConflicts: a chunked append into a layer that was empty, where no key can clash.
	skipKeyConflicts bool
	// chunkRepairs is how many geometries of the current chunk were invalid.
	chunkRepairs int64
	// droppedIndexes are the definitions of the indexes an Offline import builds again at the end.
	droppedIndexes []string

	declared  *geo.CRS // the file's crs member, once seen
	lastStep  time.Time
	sridKnown chan struct{} // closed once srid is decided
	sridOnce  sync.Once

	// The index of the first staged feature of each key, by two 64-bit hashes of the key (a
	// false match is about as likely as 1 in 10^26 for a million keys): the first feature with a
	// key wins, a later one is a duplicate. 30 to 60 bytes per key, whatever the key's length.
	keys     map[[2]uint64]int32
	keySeeds [2]maphash.Seed

	// The feature being converted, for warnings.
	curIndex int
	curID    string
	curKey   string
	warnings []ReportEntry
}

func (run *importRun) run(ctx context.Context, r io.Reader) (*ImportResult, error) {
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
	run.layerType = run.t.geomType
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
	if run.counts.Read == 0 {
		return nil, invalidf("the input holds no features")
	}
	rejected := im.rejected.Load() + run.sqlRej
	if err := run.checkRejected(); err != nil {
		return nil, err
	}
	if rejected == run.counts.Read {
		return nil, invalidf("all %d features were rejected; nothing was written (see the report)", rejected)
	}
	state := StateCommitted
	if im.opt.DryRun {
		state = StateValidated
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
	counts, report := res.encode()
	if _, err := tx.Exec(ctx, `UPDATE imports SET state = 'committed', counts = $2, report = $3, srid = $4,
		error = NULL, finished_at = now() WHERE id = $1`, im.id, counts, report, run.srid); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, Classify(err)
	}
	if run.t.create {
		if _, err := s.LoadCatalog(ctx); err != nil {
			s.log.Warn("import: reload the catalog", "err", err)
		}
	}
	return res, nil
}

// knowSRID marks the SRID as decided (at the first geometry, or when the input ends without
// one).
func (run *importRun) knowSRID() {
	run.sridOnce.Do(func() {
		if run.srid == 0 {
			run.srid = run.im.opt.SRID
		}
		if run.srid == 0 {
			run.srid = geo.SRIDWGS84
			if run.declared != nil {
				run.srid = run.declared.SRID
			}
		}
		run.counts.SRID = run.srid
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
	_, err := tx.Exec(ctx, `SELECT set_config('statement_timeout', '0', true), set_config('lock_timeout', '0', true),
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

// stageColumns are the columns COPY fills, in order.
func (run *importRun) stageColumns() []string {
	cols := []string{"idx", "fid", "key"}
	if run.t.generic {
		cols = append(cols, "props")
	} else {
		for _, c := range run.t.cols {
			cols = append(cols, c.name)
		}
	}
	return append(cols, "lu_fill", "proven", "geom")
}

// chunkRows is how many features are validated and written at a time (decided by planChunks).
func (run *importRun) chunkRows() int { return run.chunk }

// planChunks decides whether the import goes in chunks. Every chunk is checked against what is
// already in the layer, so that must cost a probe per feature, not a scan of the layer: an
// append whose key is a unique index of the table probes it; an append without a key and a
// replace check nothing there. Everything else is done in one chunk, as are a layer created by
// the import (its geometry type comes from the whole file) and administrative units (their
// validity periods are checked against each other across the file).
func (run *importRun) planChunks(ctx context.Context, tx pgx.Tx) error {
	t, opt := run.t, run.im.opt
	run.chunk = math.MaxInt
	if t.create || t.table == "admin_units" || opt.Mode == ModeUpsert {
		return nil
	}
	if opt.Mode == ModeAppend && len(t.keyAttrs) > 0 {
		if t.generic {
			return nil
		}
		cols := make([]string, len(t.key))
		for i, k := range t.key {
			cols[i] = k.name
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
			t.table, cols).Scan(&indexed); err != nil {
			return err
		}
		if !indexed {
			return nil
		}
		// Into an empty layer (a first load, the usual large import) nothing can clash but the
		// file's own duplicates, which the decoder finds. A row another writer adds meanwhile
		// would fail the INSERT on the unique index: the import then changes nothing.
		var any bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+ident(t.table)+`)`).Scan(&any); err != nil {
			return err
		}
		run.skipKeyConflicts = !any
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
// geometry).
func (run *importRun) stream(ctx context.Context, tx pgx.Tx, r io.Reader) error {
	im := run.im
	// Room for about a chunk of batches, so decoding runs ahead while a chunk is written.
	batches := make(chan *stagedBatch, max(2, im.opt.ChunkSize/im.opt.BatchSize))
	run.sridKnown = make(chan struct{})
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer close(batches)
		err := run.produce(pctx, r, batches)
		run.knowSRID()
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
		if run.t.create {
			var err error
			if run.layerType, err = geo.CommonType(run.geomTypes); err != nil {
				return err
			}
			if err := run.checkCreateKey(); err != nil {
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
	rejected := run.im.rejected.Load() + run.sqlRej
	if max := run.im.opt.MaxRejected; max >= 0 && rejected > int64(max) {
		return tooMany(rejected, max)
	}
	return nil
}

// produce decodes, checks and converts features until the input ends.
func (run *importRun) produce(ctx context.Context, r io.Reader, out chan<- *stagedBatch) error {
	im := run.im
	dec := geo.NewDecoder(r, geo.DecoderOptions{})
	run.keys, run.keySeeds = map[[2]uint64]int32{}, [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	size := im.opt.BatchSize
	enc := newRowEncoder(run)
	batch := &stagedBatch{}
	var f geo.Feature
	var conv convertedFeature
	var row []any
	resolved := false
	run.geomTypes = map[string]int64{}
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
	for {
		err := dec.Next(&f)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		run.counts.Read++
		im.read.Store(run.counts.Read)
		if run.counts.Read%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		im.bytes.Store(dec.Offset())
		if !resolved && f.Geometry != nil && !f.Geometry.Empty() && len(f.Geometry.FlatCoords()) >= 2 {
			if c, ok := dec.CRS(); ok {
				run.declared = &c
			}
			fc := f.Geometry.FlatCoords()
			if run.srid, err = geo.ResolveCRS(im.opt.SRID, run.declared, fc[0], fc[1], geo.ImportRegion); err != nil {
				return err
			}
			resolved = true
			run.knowSRID()
		}
		var ok bool
		row, ok = run.feature(&f, &conv, row[:0])
		if run.t.tooManyFields() {
			return invalidf("the features use more than %d distinct field names", maxFieldNames)
		}
		if !ok {
			continue
		}
		if err := enc.encode(batch, row); err != nil {
			return err
		}
		if batch.rows() == size {
			if err := send(); err != nil {
				return err
			}
		}
	}
	im.bytes.Store(dec.Offset())
	run.counts.Bytes = dec.Offset()
	if c, ok := dec.CRS(); ok && dec.LateCRS() && im.opt.SRID == 0 && c.SRID != run.srid && resolved {
		return &geo.GeoJSONError{Offset: dec.Offset(), Feature: -1, Msg: fmt.Sprintf(
			"the crs member (%s) comes after the features, which were read as EPSG:%d: move it before \"features\" or give --srid", c, run.srid)}
	}
	if !resolved {
		if c, ok := dec.CRS(); ok {
			run.declared = &c
		}
		run.knowSRID()
	}
	if run.zDropped {
		run.rep.add(ReportEntry{Index: -1, Level: LevelWarning, Code: "z_dropped", Reason: "coordinates had a third value (height); layers are 2D, so it was dropped"})
	}
	for _, name := range run.t.ignored {
		run.rep.add(ReportEntry{Index: -1, Level: LevelWarning, Code: "field_ignored", Field: name,
			Reason: fmt.Sprintf("field %s is not an attribute of layer %s and was not imported (map it with --map %s=ATTRIBUTE)", quoteField(name), im.opt.Layer, name)})
	}
	return send()
}

// feature checks and converts one feature into a staging row, appended to row, or rejects it.
func (run *importRun) feature(f *geo.Feature, conv *convertedFeature, row []any) ([]any, bool) {
	t := run.t
	run.curIndex, run.curID, run.curKey = f.Index, f.ID, ""
	reject := func(code, field, reason string) ([]any, bool) {
		run.im.rejected.Add(1)
		run.rep.add(ReportEntry{Index: f.Index, ID: f.ID, Key: t.rawKey(f), Level: LevelRejected, Code: code, Field: field, Reason: reason})
		return row, false
	}
	if f.Type != "" && f.Type != "Feature" {
		return reject("not_a_feature", "", fmt.Sprintf("a %s, not a Feature", f.Type))
	}
	if f.GeometryProblem != "" {
		return reject("bad_geometry", "", f.GeometryProblem)
	}
	g, repaired, problem := geo.CheckGeometry(f.Geometry, run.layerType, run.im.opt.Strict)
	if problem != "" {
		code := "invalid_geometry"
		switch {
		case problem == "no geometry":
			code = "no_geometry"
		case problem == "empty geometry":
			code = "empty_geometry"
		case strings.Contains(problem, "where the layer holds"):
			code = "geometry_type"
		case strings.Contains(problem, "is not closed"):
			code = "open_ring"
		}
		return reject(code, "", problem)
	}
	if f.HasZ {
		run.zDropped = true
	}
	run.warnings = run.warnings[:0]
	if prob := t.convert(f, conv, run.warn); prob != nil {
		return reject(prob.code, prob.field, prob.reason)
	}
	run.curKey = keyOf(conv.keyVals)
	var keyHash [2]uint64
	if run.curKey != "" {
		keyHash = [2]uint64{maphash.String(run.keySeeds[0], run.curKey), maphash.String(run.keySeeds[1], run.curKey)}
		if first, ok := run.keys[keyHash]; ok {
			return reject("duplicate_key", "", fmt.Sprintf("duplicate key %s: feature %d has the same key", run.curKey, first))
		}
	}
	for _, w := range run.warnings {
		w.Key = run.curKey
		run.rep.add(w)
	}
	if repaired != "" {
		run.rep.add(ReportEntry{Index: f.Index, ID: f.ID, Key: run.curKey, Level: LevelRepaired, Code: "open_ring", Reason: repaired})
	}
	if t.create {
		run.geomTypes[geo.TypeName(g)]++
		for i := range f.Properties {
			p := f.Properties[i]
			if s := t.source(p.Key); s.col != nil {
				p.Key = []byte(s.col.name)
				run.fields.Add(&p)
			}
		}
	}
	// Staged in the storage CRS: converted here, in the decoding goroutine, so the database
	// spends its time on checks and writes (geo agrees with PROJ to 0.1 mm).
	if run.srid != geo.SRIDWGS84 {
		if err := geo.UnprojectFlat(g.FlatCoords(), g.Stride(), run.srid); err != nil {
			return reject("bad_geometry", "", fmt.Sprintf("the coordinates cannot be converted from EPSG:%d: %s", run.srid, ClientMessage(err)))
		}
	}
	// EWKB carries the SRID, so PostGIS knows the CRS of each value without a parameter.
	g, err := geom.SetSRID(g, geo.SRIDWGS84)
	if err != nil {
		return reject("bad_geometry", "", "the geometry cannot be encoded: "+err.Error())
	}
	b, err := ewkb.Marshal(g, ewkb.NDR)
	if err != nil {
		return reject("bad_geometry", "", "the geometry cannot be encoded: "+err.Error())
	}
	if run.curKey != "" {
		run.keys[keyHash] = int32(f.Index)
	}
	row = append(row, int32(f.Index), nilIfBlank(f.ID), nilIfBlank(run.curKey))
	if t.generic {
		row = append(row, append([]byte(nil), conv.props...))
	} else {
		row = append(row, conv.vals...)
	}
	return append(row, conv.luFill, geo.ProvablySimple(g), b), true
}

// warn notes a warning about the feature being converted; it is reported, with the feature's
// key, once the feature is accepted (a rejection says enough).
func (run *importRun) warn(code, field, reason string) {
	run.warnings = append(run.warnings, ReportEntry{Index: run.curIndex, ID: run.curID, Level: LevelWarning, Code: code, Field: field, Reason: reason})
}

func nilIfBlank(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// checkCreateKey checks, for a created layer, that the key names attributes found in the file.
func (run *importRun) checkCreateKey() error {
	for _, k := range run.t.keyAttrs {
		if _, ok := run.t.attrs[k]; !ok {
			return invalidf("key %s is not a field of the file (fields become attributes with normalized names)", k)
		}
	}
	return nil
}

// result assembles the counts and report.
func (run *importRun) result(state string) *ImportResult {
	rep := run.rep
	c := run.counts
	if c.Read == 0 {
		c.Read = run.im.read.Load()
	}
	if c.Bytes == 0 {
		c.Bytes = run.im.bytes.Load()
	}
	rep.mu.Lock()
	c.ByCode = map[string]int64{}
	for k, v := range rep.byCode {
		c.ByCode[k] = v
	}
	c.Warnings, c.Repaired = rep.levels[LevelWarning], rep.levels[LevelRepaired]
	c.Truncated = rep.truncated
	rep.mu.Unlock()
	c.Rejected = run.im.rejected.Load() + run.sqlRej
	c.Accepted = c.Read - c.Rejected
	c.SRID = run.srid
	c.Millis = time.Since(run.im.started).Milliseconds()
	entries := rep.sorted()
	if len(entries) > MaxReportEntries {
		entries, c.Truncated = entries[:MaxReportEntries], true
	}
	return &ImportResult{ID: run.im.id, State: state, Counts: c, Report: entries}
}
