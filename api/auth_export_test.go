package api

import "time"

// SetStreamRecheck makes change streams check their caller's credential every d; the returned
// function restores the default.
func SetStreamRecheck(d time.Duration) (restore func()) {
	old := streamRecheck
	streamRecheck = d
	return func() { streamRecheck = old }
}

// RouteScope is one route of the table with the scope it needs.
type RouteScope struct{ Method, Path, Scope string }

// RouteScopes lists the route table.
func RouteScopes() []RouteScope {
	out := make([]RouteScope, len(routeTable))
	for i, rt := range routeTable {
		out[i] = RouteScope{rt.Method, rt.Path, string(rt.Scope)}
	}
	return out
}
