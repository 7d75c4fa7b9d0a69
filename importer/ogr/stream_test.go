//go:build unix

package ogr

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
)

// shRunner runs /bin/sh in place of ogr2ogr, to make GDAL's exits happen on demand.
func shRunner(t *testing.T, ctx context.Context) *runner {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	return &runner{ogr2ogr: sh, dir: t.TempDir(), parent: ctx, env: os.Environ()}
}

func TestStream_HoldsBackUntilSuccess(t *testing.T) {
	ctx := context.Background()
	doc := `{"type":"FeatureCollection","features":[` + string(bytes.Repeat([]byte(`{"type":"Feature","properties":{},"geometry":null},`), 2000)) + `{"type":"Feature","properties":{},"geometry":null}]}`
	t.Run("exit 0", func(t *testing.T) {
		s, err := startStream(ctx, shRunner(t, ctx), []string{"-c", "printf '%s' '" + doc + "'"}, false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(s)
		if err != nil || string(got) != doc {
			t.Fatalf("read %d bytes, %v; want %d", len(got), err, len(doc))
		}
	})
	t.Run("GDAL fails after closing the collection", func(t *testing.T) {
		// The document is complete, but the process failed: the reader must not see a valid file.
		s, err := startStream(ctx, shRunner(t, ctx), []string{"-c", "printf '%s' '" + doc + "'; echo 'ERROR 1: boom' >&2; exit 1"}, false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(s)
		wantError(t, err, ErrInvalid, CodeFailed)
		if len(got) != len(doc)-holdBack {
			t.Errorf("delivered %d of %d bytes, want all but the last %d", len(got), len(doc), holdBack)
		}
		if !bytes.Contains([]byte(detail(err)), []byte("boom")) {
			t.Errorf("detail %q lacks GDAL's message", detail(err))
		}
	})
}

func TestLatin1Expander(t *testing.T) {
	in := []byte("a\xd4b\xff\x80 \xa8")
	want := "aÔbÿ\u0080 ¨"
	for _, size := range []int{1, 2, 3, 64} {
		e := &latin1Expander{r: iotest.OneByteReader(bytes.NewReader(in))}
		var out []byte
		buf := make([]byte, size)
		for {
			n, err := e.Read(buf)
			out = append(out, buf[:n]...)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if string(out) != want {
			t.Errorf("buffer %d: got %q, want %q", size, out, want)
		}
	}
}

// bigShapefile is a zipped Shapefile of n parcels.
func bigShapefile(t *testing.T, n int) string {
	t.Helper()
	ps := make([]parcel, n)
	for i := range ps {
		ps[i] = parcel{Name: "p", No: i, Area: 100, Owner: "Nguyễn Văn Ưng"}
	}
	dir := shapefileDir(t, parcelsGeoJSON(t, t.TempDir(), ps), "thua", "-lco", "ENCODING=UTF-8")
	return zipDir(t, dir, filepath.Join(t.TempDir(), "big.zip"), "")
}

func TestOpen_CancelAndTimeout(t *testing.T) {
	requireGDAL(t)
	z := bigShapefile(t, 20000)
	alive := func(s *Source) bool {
		return s.stream.cmd.ProcessState == nil && syscall.Kill(s.stream.cmd.Process.Pid, 0) == nil
	}
	t.Run("cancel", func(t *testing.T) {
		tmp := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		f, _ := os.Open(z)
		defer f.Close()
		src, err := Open(ctx, f, "big.zip", Options{TempDir: tmp})
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		if _, err := io.ReadFull(src, buf); err != nil {
			t.Fatal(err)
		}
		if !alive(src) {
			t.Fatal("GDAL finished before the test could cancel it; make the file bigger")
		}
		pid := src.stream.cmd.Process.Pid
		cancel()
		_, err = io.Copy(io.Discard, src)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("read after cancel: %v, want context.Canceled", err)
		}
		src.Close()
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("GDAL (pid %d) still exists after Close: %v", pid, err)
		}
		assertEmpty(t, tmp)
	})
	t.Run("timeout", func(t *testing.T) {
		tmp := t.TempDir()
		f, _ := os.Open(z)
		defer f.Close()
		src, err := Open(context.Background(), f, "big.zip", Options{TempDir: tmp, Timeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		// Read nothing: GDAL blocks on the full pipe until the deadline kills it.
		select {
		case <-src.stream.ctx.Done():
		case <-time.After(30 * time.Second):
			t.Fatal("the timeout never fired")
		}
		_, err = io.Copy(io.Discard, src)
		wantError(t, err, ErrTimeout, CodeTimeout)
		src.Close()
		assertEmpty(t, tmp)
	})
	t.Run("close without reading", func(t *testing.T) {
		tmp := t.TempDir()
		f, _ := os.Open(z)
		defer f.Close()
		src, err := Open(context.Background(), f, "big.zip", Options{TempDir: tmp})
		if err != nil {
			t.Fatal(err)
		}
		pid := src.stream.cmd.Process.Pid
		if err := src.Close(); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("GDAL (pid %d) still exists after Close: %v", pid, err)
		}
		assertEmpty(t, tmp)
	})
}
