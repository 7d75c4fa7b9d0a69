package geo

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// near reports whether got is within tol of want, failing the test with a
// got/want message otherwise.
func near(t testing.TB, what string, got, want, tol float64) {
	t.Helper()
	if !(math.Abs(got-want) <= tol) {
		t.Errorf("%s = %.10f, want %.10f (±%g; off by %.3g)", what, got, want, tol, got-want)
	}
}

// wantErr checks that err wraps sentinel and, when contains is not empty,
// that its message contains it.
func wantErr(t testing.TB, err, sentinel error, contains string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %v", sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("err = %v, want errors.Is(err, %v)", err, sentinel)
	}
	if !strings.HasPrefix(err.Error(), "geo: ") {
		t.Errorf("err = %q, want prefix %q", err, "geo: ")
	}
	if strings.Count(err.Error(), "geo: ") != 1 {
		t.Errorf("err = %q, want a single %q", err, "geo: ")
	}
	if contains != "" && !strings.Contains(err.Error(), contains) {
		t.Errorf("err = %q, want it to contain %q", err, contains)
	}
}
