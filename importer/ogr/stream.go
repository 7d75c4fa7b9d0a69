package ogr

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
)

// holdBack is how many bytes of ogr2ogr's output stream stay unread until the process has
// exited successfully. GDAL closes the FeatureCollection ("]\n}\n") even when it stops at an
// error, so a failed conversion would look like a complete, shorter file: holding back its end
// means the pipeline sees either the whole stream or an error, never a valid truncated one.
const holdBack = 64

// stream is ogr2ogr's standard output, ending in an error unless the process succeeded.
type stream struct {
	r      *runner
	ctx    context.Context
	cmd    *exec.Cmd
	stdout io.ReadCloser
	src    io.Reader
	stderr *limitedBuffer

	buf        []byte // buf[start:end] is read from src and not yet delivered
	start, end int
	eof        bool
	err        error // sticky

	waitOnce sync.Once
	waitErr  error
}

func startStream(ctx context.Context, r *runner, args []string, expand bool) (*stream, error) {
	s := &stream{r: r, ctx: ctx, stderr: &limitedBuffer{limit: 256 << 10}, buf: make([]byte, holdBack+64<<10)}
	s.cmd = r.command(ctx, r.ogr2ogr, args...)
	s.cmd.Stderr = s.stderr
	var err error
	if s.stdout, err = s.cmd.StdoutPipe(); err != nil {
		return nil, fmt.Errorf("ogr: %w", err)
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("ogr: starting ogr2ogr: %w", err)
	}
	s.src = s.stdout
	if expand {
		s.src = &latin1Expander{r: s.stdout}
	}
	return s, nil
}

func (s *stream) Read(p []byte) (int, error) {
	for {
		if s.err != nil {
			return 0, s.err
		}
		avail := s.end - s.start
		if !s.eof {
			avail -= holdBack
		}
		if avail > 0 {
			n := copy(p, s.buf[s.start:s.start+avail])
			s.start += n
			return n, nil
		}
		if s.eof {
			return 0, io.EOF
		}
		// Keep the held-back tail at the front and read after it: one buffer, no allocation.
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
		n, err := s.src.Read(s.buf[s.end:])
		s.end += n
		if errors.Is(err, io.EOF) {
			if werr := s.wait(); werr != nil {
				s.err = werr
				continue
			}
			s.eof = true
		} else if err != nil {
			s.wait()
			if cerr := s.r.ctxErr(s.ctx); cerr != nil {
				s.err = cerr
			} else {
				s.err = fmt.Errorf("ogr: reading GDAL's output: %w", err)
			}
		}
	}
}

// wait reaps the process once and says whether the conversion succeeded.
func (s *stream) wait() error {
	s.waitOnce.Do(func() {
		err := s.cmd.Wait()
		s.r.reaped(s.cmd)
		if cerr := s.r.ctxErr(s.ctx); cerr != nil {
			s.waitErr = cerr
			return
		}
		if err != nil {
			s.waitErr = newError(ErrInvalid, CodeFailed,
				"GDAL stopped while converting the file: it is damaged or holds geometry GDAL cannot write").
				withDetail(err.Error() + ": " + s.stderr.String())
		}
	})
	return s.waitErr
}

// kill stops the conversion (if it still runs) and reaps it.
func (s *stream) kill() {
	if s.cmd.Process != nil {
		_ = killGroup(s.cmd.Process)
	}
	_ = s.stdout.Close()
	s.wait()
}

// warnings are GDAL's warning lines, once the process has ended, without the work directory's
// path, deduplicated, at most 20.
func (s *stream) warnings() []string {
	var out []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(s.stderr.String()))
	for sc.Scan() && len(out) < 20 {
		line := sc.Text()
		if !strings.HasPrefix(line, "Warning ") {
			continue
		}
		if _, msg, ok := strings.Cut(line, ": "); ok {
			line = msg
		}
		line = printable(strings.ReplaceAll(line, s.r.dir+"/", ""))
		if !seen[line] {
			seen[line] = true
			out = append(out, line)
		}
	}
	return out
}

// latin1Expander turns every byte >= 0x80 into the UTF-8 of the code point with that value, so
// text GDAL passed through undecoded (CSV, DGN) reaches the JSON decoder as valid UTF-8 and
// textDecoder can recover the bytes. JSON's own syntax is ASCII and unaffected.
type latin1Expander struct {
	r    io.Reader
	buf  []byte
	left byte // second byte of an expansion that did not fit
	has  bool
}

func (e *latin1Expander) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	if e.has {
		p[0], e.has = e.left, false
		n = 1
	}
	want := (len(p) - n) / 2
	if want == 0 {
		if n > 0 {
			return n, nil
		}
		want = 1
	}
	if cap(e.buf) < want {
		e.buf = make([]byte, want)
	}
	m, err := e.r.Read(e.buf[:want])
	for _, c := range e.buf[:m] {
		if c < 0x80 {
			p[n] = c
			n++
			continue
		}
		p[n] = 0xC0 | c>>6
		n++
		if n < len(p) {
			p[n] = 0x80 | c&0x3F
			n++
		} else {
			e.left, e.has = 0x80|c&0x3F, true
		}
	}
	if e.has && errors.Is(err, io.EOF) {
		err = nil // deliver the held byte first
	}
	return n, err
}
