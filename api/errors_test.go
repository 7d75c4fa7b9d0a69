package api

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/auth/lgsp"
	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/extract"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/geo/geojson"
	"github.com/dongnai-gis/gisd/importer"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/tiles"
	"github.com/dongnai-gis/gisd/vntime"
)

// sentinels is every exported sentinel error of the packages whose errors reach api, with the
// status it must be answered with. TestErrorTable_SentinelsAreAllListed keeps it complete.
var sentinels = map[string]struct {
	err    error
	status int
}{
	"store.ErrNotFound":        {store.ErrNotFound, 404},
	"store.ErrInvalid":         {store.ErrInvalid, 400},
	"store.ErrConflict":        {store.ErrConflict, 409},
	"store.ErrOutdated":        {store.ErrOutdated, 503},
	"store.ErrNotSupported":    {store.ErrNotSupported, 400},
	"store.ErrLocked":          {store.ErrLocked, 503},
	"store.ErrTimeout":         {store.ErrTimeout, 503},
	"store.ErrUnavailable":     {store.ErrUnavailable, 503},
	"store.ErrPrecondition":    {store.ErrPrecondition, 412},
	"store.ErrBadKey":          {store.ErrBadKey, 401},
	"store.ErrForbidden":       {store.ErrForbidden, 403},
	"store.ErrCursor":          {store.ErrCursor, 400},
	"store.ErrTooManyRejected": {store.ErrTooManyRejected, 422},
	"store.ErrNoPostGIS":       {store.ErrNoPostGIS, 500}, // only store.Open returns it, when gisd starts
	"store.ErrNoLayers":        {store.ErrNoLayers, 500},  // tiles never asks for a tile of no layer: a bug
	"tiles.ErrUnknownLayer":    {tiles.ErrUnknownLayer, 404},
	"tiles.ErrInvalid":         {tiles.ErrInvalid, 400},
	"tiles.ErrTimeout":         {tiles.ErrTimeout, 503},
	"cql2.ErrSyntax":           {cql2.ErrSyntax, 400},
	"cql2.ErrProperty":         {cql2.ErrProperty, 400},
	"cql2.ErrType":             {cql2.ErrType, 400},
	"geo.ErrUnknownCRS":        {geo.ErrUnknownCRS, 400},
	"geo.ErrInvalidBBox":       {geo.ErrInvalidBBox, 400},
	"geo.ErrInvalidTile":       {geo.ErrInvalidTile, 400},
	"geo.ErrOutOfRange":        {geo.ErrOutOfRange, 400},
	"geojson.ErrInvalid":       {geojson.ErrInvalid, 400},
	"importer.ErrInvalid":      {importer.ErrInvalid, 422},
	"geo.ErrCRSMismatch":       {geo.ErrCRSMismatch, 422},
	"vntime.ErrDate":           {vntime.ErrDate, 400},
	"lgsp.ErrTooLarge":         {lgsp.ErrTooLarge, 401},
	"lgsp.ErrMalformed":        {lgsp.ErrMalformed, 401},
	"lgsp.ErrAlgorithm":        {lgsp.ErrAlgorithm, 401},
	"lgsp.ErrUnknownKey":       {lgsp.ErrUnknownKey, 401},
	"lgsp.ErrSignature":        {lgsp.ErrSignature, 401},
	"lgsp.ErrIssuer":           {lgsp.ErrIssuer, 401},
	"lgsp.ErrAudience":         {lgsp.ErrAudience, 401},
	"lgsp.ErrExpired":          {lgsp.ErrExpired, 401},
	"lgsp.ErrNotYetValid":      {lgsp.ErrNotYetValid, 401},
	"lgsp.ErrClaims":           {lgsp.ErrClaims, 401},
	"lgsp.ErrUnavailable":      {lgsp.ErrUnavailable, 503},
	"extract.ErrInput":         {extract.ErrInput, 500}, // the store's data could not be drawn: a bug, not the client's

	"api.errBadRequest":           {errBadRequest, 400},
	"api.errUnauthorized":         {errUnauthorized, 401},
	"api.errForbidden":            {errForbidden, 403},
	"api.errNotFound":             {errNotFound, 404},
	"api.errMethodNotAllowed":     {errMethodNotAllowed, 405},
	"api.errPreconditionFailed":   {errPreconditionFailed, 412},
	"api.errTooLarge":             {errTooLarge, 413},
	"api.errUnsupportedMedia":     {errUnsupportedMedia, 415},
	"api.errContent":              {errContent, 422},
	"api.errPreconditionRequired": {errPreconditionRequired, 428},
	"api.errRateLimited":          {errRateLimited, 429},
	"api.errHeadersTooLarge":      {errHeadersTooLarge, 431},
	"api.errBusy":                 {errBusy, 503},
	"api.errUploadTimeout":        {errUploadTimeout, 408},
	"api.errAudit":                {errAudit, 500},
	"api.errClientGone":           {errClientGone, 499},
	"api.errNotKey":               {errNotKey, 500}, // parseSearch's own signal; it never leaves it
}

// exportedSentinels lists the package-level error variables named Err… (err… in api) declared in
// the Go files of dir, tests excluded.
func exportedSentinels(t *testing.T, dir, pkg string, prefix string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					if strings.HasPrefix(n.Name, prefix) && len(n.Name) > len(prefix) && n.Name[len(prefix)] >= 'A' && n.Name[len(prefix)] <= 'Z' {
						names = append(names, pkg+"."+n.Name)
					}
				}
			}
		}
	}
	return names
}

// gisdImports lists the gisd packages api's own files import ("store", "auth/lgsp").
func gisdImports(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range file.Imports {
			if p, ok := strings.CutPrefix(strings.Trim(imp.Path.Value, `"`), "github.com/dongnai-gis/gisd/"); ok && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// A new sentinel in api or in a package api imports must be added to the table and to
// sentinels; so must the sentinels of a package api starts to import.
func TestErrorTable_SentinelsAreAllListed(t *testing.T) {
	found := exportedSentinels(t, ".", "api", "err")
	for _, p := range gisdImports(t) {
		found = append(found, exportedSentinels(t, filepath.Join("..", p), filepath.Base(p), "Err")...)
	}
	for _, name := range found {
		if _, ok := sentinels[name]; !ok {
			t.Errorf("%s is not in sentinels (and perhaps not in errorTable): add it to both", name)
		}
	}
	for name := range sentinels {
		if !slices.Contains(found, name) {
			t.Errorf("sentinels lists %s, which no longer exists", name)
		}
	}
}

// Every sentinel, wrapped with context as the packages wrap them, goes through the one table to
// its status, a problem type and a title; refusals worth retrying carry Retry-After; nothing
// internal reaches the detail.
func TestErrorTable_EverySentinel(t *testing.T) {
	for name, s := range sentinels {
		err := fmt.Errorf("store: layer parcels: SELECT secret FROM internals: %w", s.err)
		a := describe(err)
		if a.kind.status != s.status {
			t.Errorf("%s: status %d, want %d", name, a.kind.status, s.status)
		}
		if s.status != 500 && a.kind == &internalKind {
			t.Errorf("%s: falls through to the internal error", name)
		}
		if a.kind.name == "" || a.kind.title == "" {
			t.Errorf("%s: problem type %q, title %q", name, a.kind.name, a.kind.title)
		}
		if (a.kind.status == 503) != (a.retryAfter > 0) && a.kind.status != 429 {
			t.Errorf("%s: status %d with Retry-After %d", name, a.kind.status, a.retryAfter)
		}
		for _, leak := range []string{"store:", "SELECT", "secret"} {
			if strings.Contains(a.detail, leak) {
				t.Errorf("%s: detail %q leaks %q", name, a.detail, leak)
			}
		}
		if a.detail == "" {
			t.Errorf("%s: no detail", name)
		}
	}
}

// The audit and the client agree, and a client message is read from the error, never cut from
// its text: every way the packages below build errors.
func TestErrorTable_ClientMessages(t *testing.T) {
	_, cqlErr := cql2.Parse("a = ")
	_, geoErr := geo.ParseBBox("1,2,3")
	// What store.Classify makes of server errors (store's tests check the classification).
	dbErr := &store.Error{Kind: store.ErrInvalid, Message: "a value in the request is out of range or not valid for its type"}
	locked := &store.Error{Kind: store.ErrLocked, Message: "the data is locked by another change (an offline import, a migration); try again shortly"}
	down := &store.Error{Kind: store.ErrUnavailable, Message: "the database is unavailable; try again shortly"}
	for _, tc := range []struct {
		err        error
		status     int
		detail     string
		param      string
		retryAfter int
	}{
		{fmt.Errorf("store: features of parcels: %w", dbErr), 400, "a value in the request is out of range or not valid for its type", "", 0},
		{fmt.Errorf("store: parcels: %w", content(dbErr)), 422, "a value in the request is out of range or not valid for its type", "", 0},
		{fmt.Errorf("store: features of parcels: %w", cqlErr), 400, "", "filter", 0},
		{&ParamError{Name: "bbox", Reason: store.ClientMessage(geoErr)}, 400, "invalid parameter bbox: want 4 or 6 numbers, got 3", "bbox", 0},
		{content(&ParamError{Name: "buffer_m", Reason: "want 0 to 10000 metres"}), 422, "buffer_m: want 0 to 10000 metres", "buffer_m", 0},
		{fmt.Errorf("store: tile: %w", locked), 503, locked.Message, "", 5},
		{fmt.Errorf("wrapped: %w", down), 503, down.Message, "", 5},
		{&clientError{kind: errAudit, msg: "personal data cannot be released because the audit log could not be written", cause: down},
			503, "personal data cannot be released because the audit log could not be written", "", 5},
		{&clientError{kind: errAudit, msg: "personal data cannot be released because the audit log could not be written", cause: errors.New("disk full")},
			500, "personal data cannot be released because the audit log could not be written", "", 0},
		{fmt.Errorf("store: cursor: %w", store.ErrCursor), 400, detailCursor, "cursor", 0},
		{errors.New("pgx: something internal"), 500, detailInternal, "", 0},
		{content(errors.New("a bug")), 500, detailInternal, "", 0},
	} {
		a := describe(tc.err)
		if a.kind.status != tc.status || (tc.detail != "" && a.detail != tc.detail) || a.retryAfter != tc.retryAfter {
			t.Errorf("%v: %d %q Retry-After %d, want %d %q %d", tc.err, a.kind.status, a.detail, a.retryAfter, tc.status, tc.detail, tc.retryAfter)
		}
		if tc.param != "" && (len(a.params) == 0 || a.params[0].Name != tc.param) {
			t.Errorf("%v: invalid-params %v, want %s", tc.err, a.params, tc.param)
		}
		if strings.Contains(a.detail, "cql2:") || strings.Contains(a.detail, "geo:") || strings.Contains(a.detail, "store:") {
			t.Errorf("%v: detail %q has an internal prefix", tc.err, a.detail)
		}
	}
}

// A client that went away is 499 for the audit and the metrics alike, and gets no body.
func TestErrorTable_ClientGone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest("GET", "/ogc/collections/parcels/items", nil).WithContext(ctx)
	err := fmt.Errorf("store: features: %w", context.Canceled)
	if got := statusOf(c, err); got != statusClientClosed {
		t.Errorf("statusOf = %d, want 499", got)
	}
	fail(c, err)
	if c.Writer.Status() != statusClientClosed || rec.Body.Len() != 0 || c.GetString(ctxProblem) != "client-closed-request" {
		t.Errorf("fail wrote %d %q (problem %q)", c.Writer.Status(), rec.Body, c.GetString(ctxProblem))
	}
}
