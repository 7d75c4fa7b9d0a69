package api

import "time"

// SetStreamRecheck makes change streams check their caller's credential every d; the returned
// function restores the default.
func SetStreamRecheck(d time.Duration) (restore func()) {
	old := streamRecheck
	streamRecheck = d
	return func() { streamRecheck = old }
}
