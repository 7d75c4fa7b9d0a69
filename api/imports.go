package api

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/geo/geojson"
	"github.com/dongnai-gis/gisd/importer"
	"github.com/dongnai-gis/gisd/store"
)

// ImportConfig bounds HTTP imports.
type ImportConfig struct {
	// MaxBytes is the largest import body, counted after decompression so a small gzip bomb
	// cannot expand past it; beyond it the answer is 413. Default 2 GiB.
	MaxBytes int64
	// Jobs is how many imports may run at once; more are refused with 503. Default 2.
	Jobs int
	// PerKey is how many of them one key may run at once; more are refused with 429, so that
	// one client cannot hold every slot. Default 1.
	PerKey int
	// StallTimeout and MinRate bound an upload that stops or trickles: one that delivers no
	// byte for StallTimeout, or fewer than MinRate bytes a second over a StallTimeout, is
	// aborted (the import fails, nothing is written) and frees its slot. Defaults 30 s and
	// 1 KiB/s. A steady upload may take as long as it needs.
	StallTimeout time.Duration
	MinRate      int64
	// Lease is how long an import's record stays running unless this instance renews it (see
	// store.ReapImports); default importer.DefaultLease.
	Lease time.Duration
}

// importJobs runs imports in the background, a bounded number at a time, and keeps the running
// ones so they can be watched and cancelled.
type importJobs struct {
	cfg    ImportConfig
	sem    chan struct{}
	mu     sync.Mutex
	jobs   map[int64]*importJob
	perKey map[string]int // running (or uploading) imports by actor
	wg     sync.WaitGroup
}

type importJob struct {
	im     *store.Import
	cancel context.CancelFunc
	done   chan struct{}
	res    *importer.Result
	err    error
}

func newImportJobs(cfg ImportConfig) *importJobs {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 2 << 30
	}
	if cfg.Jobs <= 0 {
		cfg.Jobs = 2
	}
	if cfg.PerKey <= 0 {
		cfg.PerKey = 1
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = 30 * time.Second
	}
	if cfg.MinRate <= 0 {
		cfg.MinRate = 1 << 10
	}
	return &importJobs{cfg: cfg, sem: make(chan struct{}, cfg.Jobs), jobs: map[int64]*importJob{}, perKey: map[string]int{}}
}

// acquire takes an import slot for actor, or says why it cannot (errRateLimited: the key runs
// as many as it may; errBusy: every slot is taken); release gives it back.
func (j *importJobs) acquire(actor string) (release func(), err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.perKey[actor] >= j.cfg.PerKey {
		e := errorf(errRateLimited, "this key already runs %d import(s), as many as one key may at once; try again when it has finished", j.cfg.PerKey)
		e.retryAfter = 30
		return nil, e
	}
	select {
	case j.sem <- struct{}{}:
	default:
		return nil, errorf(errBusy, "%d imports are already running; try again later", cap(j.sem))
	}
	j.perKey[actor]++
	var once sync.Once
	return func() {
		once.Do(func() {
			j.mu.Lock()
			defer j.mu.Unlock()
			if j.perKey[actor]--; j.perKey[actor] == 0 {
				delete(j.perKey, actor)
			}
			<-j.sem
		})
	}, nil
}

func (j *importJobs) get(id int64) *importJob {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.jobs[id]
}

// StopImports cancels the imports running in this process and waits for them to roll back, or
// for ctx to end. main calls it when shutting down.
func (s *Server) StopImports(ctx context.Context) {
	j := s.importJobs()
	j.mu.Lock()
	for _, job := range j.jobs {
		job.cancel()
	}
	j.mu.Unlock()
	done := make(chan struct{})
	go func() { j.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// importJobs is the server's job registry, made by New.
func (s *Server) importJobs() *importJobs { return s.imports }

// mayImport lets an admin key import anywhere and create layers, and a key with write scope on
// an existing layer import into it (the application that owns the data).
func (s *Server) mayImport(c *gin.Context) {
	p := principal(c)
	l, exists := s.store.Catalog().Layer(c.Param("layer"))
	if p.Admin() {
		if !exists || c.Query("create") != "" || mayImportPersonal(c, p, l) {
			c.Next()
		}
		return
	}
	if exists && p.CanWrite(l) && c.Query("create") == "" {
		if mayImportPersonal(c, p, l) {
			c.Next()
		}
		return
	}
	deny(c, p, "import into "+quoteForMessage(c.Param("layer"))+" (that needs the layer's write scope; creating a layer needs admin)")
}

// mayImportPersonal refuses an import into a layer with personal attributes by a caller who may
// not write them: an upsert or a replace would overwrite or erase owner fields it cannot see, and
// a file may carry them. Until the import pipeline applies the write rule of store.WriteFeature
// itself (keep what the caller cannot see, refuse values for it), such an import needs the
// layer's personal scope.
func mayImportPersonal(c *gin.Context, p *Principal, l *store.Layer) bool {
	var hidden []string
	for _, a := range l.Attributes {
		if !a.Computed && !p.MaySee(l, a) {
			hidden = append(hidden, a.Name)
		}
	}
	if len(hidden) == 0 {
		return true
	}
	fail(c, errorf(errForbidden, "importing into %s needs %s:personal: the layer has attributes this key may not write (%s)",
		l.ID, l.ID, strings.Join(hidden, ", ")))
	return false
}

// mayManageImport lets an admin key, or the key that started an import, see and cancel or
// revert it.
func (s *Server) mayManageImport(c *gin.Context) {
	p := principal(c)
	if p.Admin() {
		c.Next()
		return
	}
	if !p.Anonymous() {
		if id, err := strconv.ParseInt(c.Param("id"), 10, 64); err == nil {
			if r, err := s.store.ImportRecord(c.Request.Context(), id); err == nil && r.Actor == actorOf(p) {
				c.Next()
				return
			}
		}
	}
	deny(c, p, "see or change imports started by others (admin scope)")
}

// importParams are the query parameters of POST /layers/{layer}/imports, the same options as
// gisd import's flags.
var importParams = map[string]bool{"mode": true, "srid": true, "key": true, "map": true, "dry_run": true,
	"strict": true, "create": true, "title": true, "max_rejected": true, "max_value_bytes": true, "offline": true}

func parseImportOptions(c *gin.Context) (importer.Options, error) {
	q := c.Request.URL.Query()
	for name := range q {
		if !importParams[name] {
			return importer.Options{}, &ParamError{name, "unknown parameter (want mode, srid, key, map, dry_run, strict, create, title, max_rejected, max_value_bytes or offline)"}
		}
	}
	opt := importer.Options{Layer: c.Param("layer"), Mode: q.Get("mode"), Title: q.Get("title")}
	boolParam := func(name string, dst *bool) error {
		v := q.Get(name)
		if v == "" {
			return nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return &ParamError{name, "want true or false"}
		}
		*dst = b
		return nil
	}
	for name, dst := range map[string]*bool{"dry_run": &opt.DryRun, "strict": &opt.Strict, "create": &opt.Create, "offline": &opt.Offline} {
		if err := boolParam(name, dst); err != nil {
			return opt, err
		}
	}
	if v := q.Get("srid"); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(v), "EPSG:"))
		if err != nil {
			return opt, &ParamError{"srid", "want an EPSG code such as 9212"}
		}
		opt.SRID = n
	}
	if v := q.Get("max_rejected"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < -1 {
			return opt, &ParamError{"max_rejected", "want -1 (any number) or a count"}
		}
		opt.MaxRejected = n
	}
	if v := q.Get("max_value_bytes"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > importer.MaxValueBytesLimit {
			return opt, &ParamError{"max_value_bytes", fmt.Sprintf("want a number of bytes from 1 to %d", importer.MaxValueBytesLimit)}
		}
		opt.MaxValueBytes = n
	}
	for _, v := range q["key"] {
		opt.Key = append(opt.Key, strings.Split(v, ",")...)
	}
	for _, v := range q["map"] {
		for _, pair := range strings.Split(v, ",") {
			src, dst, ok := strings.Cut(pair, "=")
			if !ok || strings.TrimSpace(src) == "" || strings.TrimSpace(dst) == "" {
				return opt, &ParamError{"map", "want SourceField=attribute pairs, e.g. map=MaThua=parcel_no"}
			}
			if opt.Map == nil {
				opt.Map = map[string]string{}
			}
			opt.Map[strings.TrimSpace(src)] = strings.TrimSpace(dst)
		}
	}
	return opt, nil
}

// errBodyTooLarge is the limit reader's error.
type errBodyTooLarge struct{ limit int64 }

func (e *errBodyTooLarge) Error() string {
	return fmt.Sprintf("the body is larger than the import limit of %d bytes (after decompression)", e.limit)
}

// limitReader fails once more than limit bytes have been read, unlike io.LimitReader, which
// ends quietly and would make a cut-off upload look like a truncated file.
type limitReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n > l.limit {
		return 0, &errBodyTooLarge{l.limit}
	}
	if int64(len(p)) > l.limit-l.n+1 {
		p = p[:l.limit-l.n+1]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.limit {
		return n, &errBodyTooLarge{l.limit}
	}
	return n, err
}

// uploadStalled is an upload that stopped, or trickled too slowly to keep its slot.
type uploadStalled struct {
	after time.Duration
	bytes int64 // in the last window; -1: none at all before the deadline
	min   int64
}

func (e *uploadStalled) Error() string {
	if e.bytes < 0 {
		return fmt.Sprintf("the upload stalled: no data for %s", e.after)
	}
	return fmt.Sprintf("the upload is too slow: %d bytes in %s, fewer than the %d required", e.bytes, e.after, e.min)
}

// uploadReader reads a request body, aborting an upload that stalls (no byte for stall: each
// Read runs under a read deadline) or trickles (fewer than minBytes while Read waited a total of
// stall), so that it cannot hold an import slot for ever. Only the time spent waiting in Read
// counts: while the import writes a chunk it does not read, and that is not the client's fault.
type uploadReader struct {
	r        io.Reader
	rc       *http.ResponseController
	stall    time.Duration
	minBytes int64
	waited   time.Duration // in Read, in the current window
	bytes    int64         // read in the current window
}

func (u *uploadReader) Read(p []byte) (int, error) {
	start := time.Now()
	// Not every connection takes a deadline (http.ErrNotSupported); the rate check still holds.
	_ = u.rc.SetReadDeadline(start.Add(u.stall))
	n, err := u.r.Read(p)
	u.waited += time.Since(start)
	u.bytes += int64(n)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return n, &uploadStalled{after: u.stall, bytes: -1}
	case err == io.EOF:
		_ = u.rc.SetReadDeadline(time.Time{}) // the server's own timeouts again
	case err == nil && u.waited >= u.stall:
		if u.bytes < u.minBytes {
			return n, &uploadStalled{after: u.waited.Round(time.Second / 10), bytes: u.bytes, min: u.minBytes}
		}
		u.waited, u.bytes = 0, 0
	}
	return n, err
}

// startImport answers POST /api/v1/layers/{layer}/imports. The body is streamed into the import
// as it arrives. The answer comes once the whole body has been read: 202 with the job's id
// while validation and writing go on, or the error if the body itself was the problem (413 for
// a body over the limit, 400 for a file that is not GeoJSON, 422 for a CRS that does not fit).
func (s *Server) startImport(c *gin.Context) {
	jobs := s.importJobs()
	opt, err := parseImportOptions(c)
	if err != nil {
		fail(c, err)
		return
	}
	var gz bool
	switch enc := strings.ToLower(strings.TrimSpace(c.GetHeader("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		gz = true
	default:
		fail(c, errorf(errUnsupportedMedia, "Content-Encoding %s is not supported; send the file as is or gzip-compressed", quoteForMessage(enc)))
		return
	}
	if c.Request.ContentLength > jobs.cfg.MaxBytes {
		fail(c, errorf(errTooLarge, "the body is larger than the import limit of %d bytes", jobs.cfg.MaxBytes))
		return
	}
	actor := actorOf(principal(c))
	release, err := jobs.acquire(actor)
	if err != nil {
		fail(c, err)
		return
	}
	upload := &uploadReader{r: c.Request.Body, rc: http.NewResponseController(c.Writer), stall: jobs.cfg.StallTimeout,
		minBytes: int64(float64(jobs.cfg.MinRate) * jobs.cfg.StallTimeout.Seconds())}
	var body io.Reader = &limitReader{r: upload, limit: jobs.cfg.MaxBytes}
	if gz {
		zr, err := gzip.NewReader(body)
		if err != nil {
			release()
			fail(c, errorf(errBadRequest, "the body is not valid gzip"))
			return
		}
		body = &limitReader{r: zr, limit: jobs.cfg.MaxBytes}
	}
	opt.Source, opt.Actor, opt.Lease = "upload", actor, jobs.cfg.Lease
	im, err := s.store.NewImport(c.Request.Context(), opt)
	if err != nil {
		release()
		var oe *importer.OptionError
		if errors.As(err, &oe) {
			err = &ParamError{oe.Option, oe.Msg}
		}
		fail(c, err)
		return
	}
	// The job outlives the request: it keeps the request's values (request id) but not its
	// cancellation, and is cancelled by DELETE or at shutdown.
	ctx, cancel := context.WithCancel(context.WithoutCancel(c.Request.Context()))
	job := &importJob{im: im, cancel: cancel, done: make(chan struct{})}
	jobs.mu.Lock()
	jobs.jobs[im.ID()] = job
	jobs.mu.Unlock()
	jobs.wg.Add(1)
	log := logger(c).With("import", im.ID(), "layer", opt.Layer)
	go func() {
		defer jobs.wg.Done()
		defer release()
		defer cancel()
		job.res, job.err = im.Run(ctx, body)
		jobs.mu.Lock()
		delete(jobs.jobs, im.ID())
		jobs.mu.Unlock()
		close(job.done)
		if job.err != nil {
			log.Info("import did not commit", "err", job.err)
		} else {
			log.Info("import finished", "state", job.res.State, "read", job.res.Counts.Read, "rejected", job.res.Counts.Rejected)
		}
	}()
	// The audit records the status the client gets, which is known once the handler answers.
	defer func() {
		s.auditWrite(c, opt.Layer, nil, c.Writer.Status(), map[string]any{"import": im.ID(), "mode": opt.Mode, "dry_run": opt.DryRun, "create": opt.Create})
	}()

	// Answer once the import has stopped reading the body — the handler must not return while
	// it still reads — or when the job is cancelled while the body is still arriving (returning
	// then closes the body, which ends the read).
	select {
	case <-im.InputDone():
		if im.InputErr() != nil {
			<-job.done // the job fails at once; wait to say why
		}
	case <-job.done:
	case <-im.Stopping():
		// Cancelled by another instance, or its lease lost: returning drops the upload.
		fail(c, errorf(store.ErrConflict, "import %d was stopped while its body was being uploaded; nothing was written", im.ID()))
		return
	case <-ctx.Done():
		// The job's own end cancels ctx too, after closing done; only DELETE or shutdown
		// cancels it before.
		select {
		case <-job.done:
		default:
			fail(c, errorf(store.ErrConflict, "import %d was cancelled while its body was being uploaded; nothing was written", im.ID()))
			return
		}
	}
	select {
	case <-job.done:
		// Rejected features are the import's report, not a bad request: they are answered like
		// any accepted job (202, then state "failed"), however fast the job ended — otherwise a
		// small file would get 422 and a large one 202 for the same mistake.
		if job.err != nil && !errors.Is(job.err, store.ErrTooManyRejected) && s.answerImportError(c, im.ID(), job.err) {
			return
		}
	default:
	}
	base := baseURL(c, s.cfg.PublicURL)
	state := importer.StateRunning
	if job.res != nil {
		state = job.res.State
	}
	c.Header("Location", base+"/api/v1/imports/"+strconv.FormatInt(im.ID(), 10))
	c.JSON(http.StatusAccepted, gin.H{
		"id":       im.ID(),
		"state":    state,
		"progress": im.Progress(),
		"links":    importLinks(base, im.ID(), opt.Layer),
	})
}

// answerImportError answers for an import that failed while its body was being read, and
// reports whether it did (other failures are the job's outcome, read with GET).
func (s *Server) answerImportError(c *gin.Context, id int64, err error) bool {
	var tooBig *errBodyTooLarge
	var stalled *uploadStalled
	var ie *store.ImportError
	msg := store.ClientMessage(err)
	if errors.As(err, &ie) {
		msg = ie.Msg
	}
	var kind error
	switch {
	case errors.As(err, &tooBig):
		kind = errTooLarge
	case errors.As(err, &stalled):
		kind = errUploadTimeout
	case errors.Is(err, geojson.ErrInvalid) && !errors.Is(err, store.ErrInvalid) && !errors.Is(err, importer.ErrInvalid):
		kind = errBadRequest // not GeoJSON at all
	case errors.Is(err, geo.ErrCRSMismatch), errors.Is(err, geo.ErrUnknownCRS), errors.Is(err, store.ErrInvalid), errors.Is(err, importer.ErrInvalid):
		kind = errContent // GeoJSON whose content is refused
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.Is(err, io.ErrUnexpectedEOF):
		kind = errBadRequest
	case ie != nil && ie.State == importer.StateCancelled:
		kind = store.ErrConflict
	default:
		return false
	}
	answer := &clientError{kind: kind, msg: fmt.Sprintf("import %d: %s%s (GET /api/v1/imports/%d has the record)", id, msg, crsHint(err), id), cause: err}
	if stalled != nil {
		// The read deadline ended the request's context too, but the client is still there
		// (stalled, not gone): tell it why.
		logger(c).Debug("request refused", "status", http.StatusRequestTimeout, "err", err)
		writeProblem(c, describe(answer))
		return true
	}
	fail(c, answer)
	return true
}

// crsHint says, in this API's words, how to give the CRS of coordinates that did not fit
// theirs.
func crsHint(err error) string {
	if srid, mismatch := geo.SuggestSRID(err); srid != 0 {
		return fmt.Sprintf("; send srid=%d", srid)
	} else if mismatch {
		return "; give their CRS with srid= (9212 for VN-2000 / TM-3 106-15, Bình Phước)"
	}
	return ""
}

func importLinks(base string, id int64, layer string) []link {
	return []link{
		{Href: fmt.Sprintf("%s/api/v1/imports/%d", base, id), Rel: "self", Type: "application/json"},
		{Href: base + "/api/v1/layers/" + layer, Rel: "layer", Type: "application/json"},
	}
}

// importDoc is an import as GET shows it: the record, live progress while it runs here.
type importDoc struct {
	store.ImportRecord
	Progress *importer.Progress `json:"progress,omitempty"`
	Links    []link             `json:"links"`
}

func (s *Server) importDoc(c *gin.Context, r store.ImportRecord) importDoc {
	d := importDoc{ImportRecord: r, Links: importLinks(baseURL(c, s.cfg.PublicURL), r.ID, r.Layer)}
	if job := s.importJobs().get(r.ID); job != nil {
		// The job on this instance has not finished yet: after its commit it still reloads the
		// catalog, and until then a client told "committed" could not find a layer it created.
		r.State = importer.StateRunning
		d.ImportRecord = r
		p := job.im.Progress()
		d.Progress = &p
	}
	return d
}

func importID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		fail(c, notFound("no import %s", quoteForMessage(c.Param("id"))))
		return 0, false
	}
	return id, true
}

// getImport answers GET /api/v1/imports/{id}: state, progress, counts and the report
// (report=false leaves the report out).
func (s *Server) getImport(c *gin.Context) {
	id, ok := importID(c)
	if !ok {
		return
	}
	r, err := s.store.ImportRecord(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	if v := c.Query("report"); v != "" {
		if b, err := strconv.ParseBool(v); err != nil {
			badParam(c, "report", "want true or false")
			return
		} else if !b {
			r.Report = nil
		}
	}
	c.JSON(http.StatusOK, s.importDoc(c, r))
}

// listImports answers GET /api/v1/imports: recent imports, newest first, without reports.
// Parameters: layer, state, limit (≤ 1000), before (an id, for paging).
func (s *Server) listImports(c *gin.Context) {
	q := store.ImportQuery{Layer: c.Query("layer"), State: c.Query("state")}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			badParam(c, "limit", "want 1..1000")
			return
		}
		q.Limit = n
	}
	if v := c.Query("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			badParam(c, "before", "want an import id")
			return
		}
		q.Before = n
	}
	recs, err := s.store.ImportRecords(c.Request.Context(), q)
	if err != nil {
		fail(c, err)
		return
	}
	docs := make([]importDoc, len(recs))
	for i, r := range recs {
		docs[i] = s.importDoc(c, r)
	}
	c.JSON(http.StatusOK, gin.H{"imports": docs})
}

// deleteImport answers DELETE /api/v1/imports/{id}: a running import is cancelled and rolls
// back — at once when it runs in this process, or when its instance is gone (its lease ran out);
// 202 "cancelling" when another instance runs it (it stops within a third of its lease); a
// committed one is reverted, restoring the layer as it was — or 409 if its features were
// changed since.
func (s *Server) deleteImport(c *gin.Context) {
	id, ok := importID(c)
	if !ok {
		return
	}
	if job := s.importJobs().get(id); job != nil {
		job.cancel()
		// It rolls back at once, unless it is blocked reading an upload that has stalled: then it
		// stops when that connection does, and the answer says it is on its way.
		select {
		case <-job.done:
		case <-time.After(10 * time.Second):
			c.JSON(http.StatusAccepted, gin.H{"id": id, "state": "cancelling",
				"links": importLinks(baseURL(c, s.cfg.PublicURL), id, job.im.Options().Layer)})
			return
		case <-c.Request.Context().Done():
			return
		}
		r, err := s.store.ImportRecord(c.Request.Context(), id)
		if err != nil {
			fail(c, err)
			return
		}
		s.auditWrite(c, r.Layer, nil, http.StatusOK, map[string]any{"import": id, "cancelled": true})
		c.JSON(http.StatusOK, s.importDoc(c, r))
		return
	}
	// Running on another instance, or on none any more: cancelled there, or at once.
	cr, err := s.store.CancelImport(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	if cr.Requested || cr.Cancelled {
		r, err := s.store.ImportRecord(c.Request.Context(), id)
		if err != nil {
			fail(c, err)
			return
		}
		if cr.Requested {
			s.auditWrite(c, r.Layer, nil, http.StatusAccepted, map[string]any{"import": id, "cancel_requested": true})
			c.JSON(http.StatusAccepted, gin.H{"id": id, "state": "cancelling", "links": importLinks(baseURL(c, s.cfg.PublicURL), id, r.Layer)})
			return
		}
		s.auditWrite(c, r.Layer, nil, http.StatusOK, map[string]any{"import": id, "cancelled": true})
		c.JSON(http.StatusOK, s.importDoc(c, r))
		return
	}
	res, err := s.store.RevertImport(c.Request.Context(), id, actorOf(principal(c)))
	if err != nil {
		fail(c, err)
		return
	}
	r, err := s.store.ImportRecord(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	s.auditWrite(c, r.Layer, nil, http.StatusOK, map[string]any{"import": id, "reverted": res})
	c.JSON(http.StatusOK, gin.H{"id": id, "state": r.State, "reverted": res, "links": importLinks(baseURL(c, s.cfg.PublicURL), id, r.Layer)})
}
