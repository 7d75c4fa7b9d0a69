// Package web holds gisd's browser front end: the map for land officers (served at /) and the
// import page for GIS staff (/import), their build (esbuild, driven by build.mjs from npm packages
// pinned in package-lock.json) and their browser tests (e2e_test.go, Chromium driven from Go).
//
// The built bundle lives in bundle/ and is embedded into the binary, so a deployed gisd is one
// file with no outside dependencies: MapLibre GL JS and proj4 come from npm at build time, never
// from a CDN at run time, and the page loads nothing from the internet. bundle/ holds only a
// committed README until `make web` runs; Built reports whether the assets are there, and api
// serves a page saying how to build them when they are not. `go build` and `go vet` therefore work
// on a fresh clone without npm.
//
// This package imports only the standard library; api imports it, never the reverse.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:bundle
var bundle embed.FS

// Assets returns the built front end: index.html, import.html and assets/ (hashed, immutable
// file names). It is empty but for a README when the assets have not been built.
func Assets() fs.FS {
	sub, err := fs.Sub(bundle, "bundle")
	if err != nil {
		// fs.Sub fails only on an invalid path; "bundle" is a constant.
		panic(err)
	}
	return sub
}

// Built reports whether the assets were built into this binary.
func Built() bool {
	_, err := fs.Stat(bundle, "bundle/index.html")
	return err == nil
}
