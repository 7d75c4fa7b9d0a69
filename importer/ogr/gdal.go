package ogr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// errDeadline is the cause of the context that carries Options.Timeout, to tell our timeout
// from the caller's cancellation.
var errDeadline = errors.New("ogr: timeout")

// maxProbeOutput bounds what an inspection (ogrinfo, a GeoPackage catalogue query) may print:
// a hostile file with a million fields must not fill memory.
const maxProbeOutput = 8 << 20

// runner starts GDAL's programs inside the work directory with a controlled environment.
type runner struct {
	ogr2ogr, ogrinfo string
	dir              string
	env              []string
	parent           context.Context // the caller's context
	peakRSS          atomic.Int64    // the largest peak RSS of the processes run, for measurements
	cpu              atomic.Int64    // their CPU time (user + system), nanoseconds
}

// reaped records a finished process's peak memory.
func (r *runner) reaped(cmd *exec.Cmd) {
	if cmd.ProcessState == nil {
		return
	}
	if m := maxRSS(cmd.ProcessState); m > r.peakRSS.Load() {
		r.peakRSS.Store(m)
	}
	r.cpu.Add(int64(cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()))
}

// gdalSkip unregisters drivers that can read other files or the network on a file's say-so
// (VRT, WFS), run programs (GPSBabel) or open SQLite files other than GeoPackages. The format
// checks before GDAL runs already make sure only the expected driver claims the file; this is
// the second lock.
const gdalSkip = "VRT,OGR_VRT,WFS,OAPIF,CSW,GPSBabel,SQLite,ODBC,PGeo,MSSQLSpatial,OGR_PDS,Elasticsearch,NGW"

func newRunner(parent context.Context, dir string) (*runner, error) {
	r := &runner{dir: dir, parent: parent}
	var err error
	if r.ogr2ogr, err = exec.LookPath("ogr2ogr"); err != nil {
		return nil, newError(ErrUnavailable, CodeUnavailable,
			"GDAL's command-line tools are not installed on the server, so only GeoJSON can be imported").withDetail(err.Error())
	}
	if r.ogrinfo, err = exec.LookPath("ogrinfo"); err != nil {
		return nil, newError(ErrUnavailable, CodeUnavailable,
			"GDAL's command-line tools are not installed on the server, so only GeoJSON can be imported").withDetail(err.Error())
	}
	// The server's own GDAL settings (SHAPE_ENCODING, CPL_TMPDIR...) must not change how files
	// are read: they are dropped and ours set.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GDAL_") || strings.HasPrefix(k, "CPL_") || strings.HasPrefix(k, "OGR_") ||
			strings.HasPrefix(k, "SHAPE_") || strings.HasPrefix(k, "LIBKML_") {
			continue
		}
		r.env = append(r.env, kv)
	}
	r.env = append(r.env,
		"CPL_TMPDIR="+dir,     // GDAL's own temporary files go where Close removes them
		"GDAL_PAM_ENABLED=NO", // no .aux.xml side files
		"GDAL_SKIP="+gdalSkip, // see gdalSkip
		"CPL_DEBUG=OFF",       // stderr carries errors and warnings only
		"OGR_SQLITE_ALLOW_EXTERNAL_ACCESS=NO",
		"OGR_GPKG_FOREIGN_KEY_CHECK=NO", // nothing to check on a file only read
		// LIBKML turns KML display settings into fields; these say nothing about the data.
		"LIBKML_TESSELLATE_FIELD=", "LIBKML_EXTRUDE_FIELD=", "LIBKML_VISIBILITY_FIELD=",
		"LIBKML_DRAWORDER_FIELD=", "LIBKML_ICON_FIELD=", "LIBKML_ALTITUDEMODE_FIELD=",
	)
	return r, nil
}

// command builds a GDAL command whose whole process group is killed when ctx ends.
func (r *runner) command(ctx context.Context, prog string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = r.dir
	cmd.Env = r.env
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { return killGroup(cmd.Process) }
	// Once killed, do not wait for pipes a grandchild might hold open.
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// run runs a GDAL program to its end and returns what it printed. A program that fails returns
// a *runError with its stderr; one stopped by the timeout or by the caller returns ctxErr's
// answer.
func (r *runner) run(ctx context.Context, prog string, args ...string) ([]byte, string, error) {
	cmd := r.command(ctx, prog, args...)
	var out limitedBuffer
	out.limit = maxProbeOutput
	var stderr limitedBuffer
	stderr.limit = 64 << 10
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	r.reaped(cmd)
	if cerr := r.ctxErr(ctx); cerr != nil {
		return nil, stderr.String(), cerr
	}
	if out.over {
		return nil, stderr.String(), newError(ErrInvalid, CodeUnreadable,
			"the file describes itself at unreasonable length (over %d MB of layer information)", maxProbeOutput>>20)
	}
	if err != nil {
		return out.Bytes(), stderr.String(), &runError{err: err, stderr: stderr.String()}
	}
	return out.Bytes(), stderr.String(), nil
}

// ctxErr says why ctx ended, if it did: the caller's cancellation (returned as is, so
// errors.Is(err, context.Canceled) holds) or our timeout (ErrTimeout).
func (r *runner) ctxErr(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	if r.parent.Err() != nil {
		return fmt.Errorf("ogr: %w", r.parent.Err())
	}
	if errors.Is(context.Cause(ctx), errDeadline) {
		return newError(ErrTimeout, CodeTimeout, "reading the file took longer than allowed; GDAL was stopped")
	}
	return fmt.Errorf("ogr: %w", ctx.Err())
}

// runError is a GDAL program that exited with an error.
type runError struct {
	err    error
	stderr string
}

func (e *runError) Error() string { return fmt.Sprintf("%v: %s", e.err, strings.TrimSpace(e.stderr)) }

// limitedBuffer keeps the first limit bytes written to it and drops the rest.
type limitedBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	limit int
	over  bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.limit - b.buf.Len(); room < len(p) {
		b.over = true
		if room > 0 {
			b.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *limitedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Bytes()
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ io.Writer = (*limitedBuffer)(nil)
