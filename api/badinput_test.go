package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/web"
)

// badValues are what a careless or hostile client sends in any text parameter.
var badValues = []string{
	"\x00", "a\x00b", "\xff\xfe", "caf\xe9", // NUL bytes, invalid UTF-8 (Latin-1 é)
	"1000000000000000000000000000000", "99999999999999999999", "-9223372036854775809", // 10^30, overflows
	"-1", "0", "1e400", "-1e400", "NaN", "Infinity", "0x10", "1.5",
	"0000-01-01", "0000-01-01T00:00:00Z/2025-07-01", "9999-12-31T23:59:59Z", "-0001-01-01", "2025-02-30",
	strings.Repeat("a", 100_000), strings.Repeat("9", 5_000),
	"", " ", "..", "../../etc/passwd", "%", "%zz", "'; DROP TABLE parcels; --", "\\", "[]", "{}",
	"Đồng Xoài", "\u202e\u0301", "1,2,3,4,5,6,7", "-180,-90,180,90", "1e30,1e30,1e31,1e31",
}

// leaks are strings no answer may contain: internal prefixes, the driver, server messages.
var leaks = []string{"store:", "cql2:", "geo:", "tiles:", "pgx", "pgconn", "SQLSTATE", "ERROR:", "SELECT ", "panic"}

// goodPathValues fill a route's path parameters with values that reach its handler.
var goodPathValues = map[string]string{
	"layer": "parcels", "collection": "parcels", "feature": "1", "commune": "25195", "sheet": "1",
	"parcel": "1", "id": "1", "key": "1", "path": "parcels/16/52225/30700.mvt", "file": "index.js",
}

// opParams lists the parameters the OpenAPI document declares for an operation ("in:name").
func opParams(t *testing.T, doc map[string]any, opID string) []string {
	t.Helper()
	for _, item := range doc["paths"].(map[string]any) {
		for _, o := range item.(map[string]any) {
			op, ok := o.(map[string]any)
			if !ok || op["operationId"] != opID {
				continue
			}
			var out []string
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				pm := p.(map[string]any)
				if r, ok := pm["$ref"].(string); ok {
					pm = doc["components"].(map[string]any)["parameters"].(map[string]any)[strings.TrimPrefix(r, "#/components/parameters/")].(map[string]any)
				}
				out = append(out, pm["in"].(string)+":"+pm["name"].(string))
			}
			return out
		}
	}
	t.Fatalf("no operation %s in the OpenAPI document", opID)
	return nil
}

// No 500 for bad input, anywhere: every GET route of the table, every parameter it declares (and
// one it does not), every path parameter and the headers it reads, given every bad value, answers
// below 500 with a problem that leaks nothing internal.
func TestBadInput_EveryGETRoute(t *testing.T) {
	s := newTestServer(t)
	ctx := t.Context()
	// A key that opens every door, so that admin routes and personal data are reached too.
	_, secret, err := s.store.CreateKey(ctx, store.NewKey{Name: "all", Scopes: []string{"admin", "*:read", "*:write", "*:personal"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/ogc/api", nil))
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}

	requests := 0
	do := func(t *testing.T, r route, target string, header http.Header) {
		t.Helper()
		requests++
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if strings.HasSuffix(r.Path, "/stream") {
			// A stream that accepted its parameters runs until the client leaves.
			rctx, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
		}
		defer cancel()
		req := httptest.NewRequest(r.Method, "/", nil).WithContext(rctx)
		u, err := url.Parse("http://example.com" + target)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		req.URL, req.RequestURI = u, target
		req.Header.Set("Authorization", "Bearer "+secret)
		for k, vs := range header {
			req.Header[k] = vs
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		body := rec.Body.String()
		ct := rec.Header().Get("Content-Type")
		if rec.Code == statusClientClosed && rctx.Err() != nil {
			return // the test's deadline ended the request (a stream that accepted its parameters)
		}
		if page := r.Operations == nil && (r.Path == "/" || r.Path == "/import"); page && rec.Code == 503 && !web.Built() && strings.HasPrefix(ct, "text/html") {
			return // the page that says the web assets were not built
		}
		if rec.Code >= 500 {
			t.Errorf("%s %q %v: %d %.300s", r.Method, target, header, rec.Code, body)
			return
		}
		if rec.Code >= 400 && ct != problemContentType {
			t.Errorf("%s %q %v: %d with Content-Type %q, want a problem", r.Method, target, header, rec.Code, ct)
		}
		if rec.Code >= 400 {
			for _, leak := range leaks {
				if strings.Contains(body, leak) {
					t.Errorf("%s %q %v: %d leaks %q: %.300s", r.Method, target, header, rec.Code, leak, body)
				}
			}
		}
	}

	pathParam := regexp.MustCompile(`[:*]([a-z]+)`)
	for _, r := range routeTable {
		if r.Method != "GET" {
			continue
		}
		t.Run(r.Path, func(t *testing.T) {
			fill := func(bad map[string]string) string {
				return pathParam.ReplaceAllStringFunc(r.Path, func(m string) string {
					name := m[1:]
					if v, ok := bad[name]; ok {
						return url.PathEscape(v)
					}
					return goodPathValues[name]
				})
			}
			good := fill(nil)
			var params []string
			for _, op := range r.Operations {
				if strings.Contains(r.Path, ":collection") {
					op += "_parcels"
				}
				params = append(params, opParams(t, doc, op)...)
			}
			params = append(params, "query:zz")
			slices.Sort(params)
			params = slices.Compact(params)
			for _, m := range pathParam.FindAllStringSubmatch(r.Path, -1) {
				if !slices.Contains(params, "path:"+m[1]) {
					params = append(params, "path:"+m[1])
				}
			}
			for _, p := range params {
				in, name, _ := strings.Cut(p, ":")
				for _, v := range badValues {
					switch in {
					case "query":
						do(t, r, good+"?"+url.QueryEscape(name)+"="+url.QueryEscape(v), nil)
					case "path":
						do(t, r, fill(map[string]string{name: v}), nil)
					case "header":
						do(t, r, good, http.Header{http.CanonicalHeaderKey(name): {v}})
					}
				}
			}
			// Headers every route reads.
			for _, h := range []string{"X-Api-Key", "Authorization", "If-None-Match", "X-Request-Id", "Accept", "Accept-Encoding"} {
				for _, v := range []string{"\x00", "\xff\xfe", "Bearer \x00", "Basic Og==", strings.Repeat("x", 10_000)} {
					do(t, r, good, http.Header{h: {v}})
				}
			}
		})
	}
	t.Logf("%d requests", requests)
}

// QGIS 3.22 asks for "<= 2025-07-01" as 0000-01-01T00:00:00Z/2025-07-01: the start is open, so it
// gets the units valid up to that day, not an error (nor, as before, an empty layer).
func TestBadInput_DatetimeOpenEnds(t *testing.T) {
	s := newTestServer(t)
	count := func(query string) (int, int) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", "/ogc/collections/admin_units/items?limit=1&"+query, nil))
		var page struct {
			NumberMatched int `json:"numberMatched"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &page)
		return rec.Code, page.NumberMatched
	}
	_, open := count("datetime=../2025-07-01")
	if open == 0 {
		t.Fatal("no admin unit valid up to 2025-07-01 in the demo")
	}
	for _, q := range []string{
		"datetime=0000-01-01T00:00:00Z/2025-07-01", "datetime=0001-01-01/2025-07-01", "datetime=0000-01-01T00:00:00%2B07:00/2025-07-01",
	} {
		if code, n := count(q); code != 200 || n != open {
			t.Errorf("%s: %d, %d matched, want 200 and %d (as ../2025-07-01)", q, code, n, open)
		}
	}
	_, all := count("datetime=../..")
	if code, n := count("datetime=0000-01-01T00:00:00Z/9999-12-31T23:59:59Z"); code != 200 || n != all {
		t.Errorf("0000/9999: %d, %d matched, want 200 and %d (as ../..)", code, n, all)
	}
	for _, q := range []string{"datetime=0000-01-01", "datetime=2025-01-01/0000-01-01T00:00:00Z", "datetime=9999-12-31T23:59:59Z"} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", "/ogc/collections/admin_units/items?"+q, nil))
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"name":"datetime"`) {
			t.Errorf("%s: %d %s, want 400 naming datetime", q, rec.Code, rec.Body)
		}
	}
	for _, target := range []string{"/api/v1/admin-units/at?lon=106.9&lat=11.5&date=0000-01-01", "/tiles/admin_units/9/408/239.mvt?date=0000-01-01"} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"name":"date"`) {
			t.Errorf("%s: %d %s, want 400 naming date", target, rec.Code, rec.Body)
		}
	}
}
