package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
	"github.com/dongnai-gis/gisd/tiles"
)

// newTestServer is a server on the demo province with tiles, for the tests that walk routeTable.
func newTestServer(t testing.TB) *Server {
	t.Helper()
	st := storetest.Store(t, storetest.Demo(t))
	svc := tiles.New(st, tiles.Options{CacheBytes: 1 << 20, Logger: slog.New(slog.DiscardHandler)})
	return New(Config{Store: st, Logger: slog.New(slog.DiscardHandler), Tiles: svc})
}

// ginPattern turns a Gin path into a regular expression of the paths it serves.
func ginPattern(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i, seg := range strings.Split(p, "/") {
		if i > 0 {
			b.WriteString("/")
		}
		switch {
		case strings.HasPrefix(seg, ":"):
			b.WriteString("[^/]+")
		case strings.HasPrefix(seg, "*"):
			b.WriteString(".*")
		default:
			b.WriteString(regexp.QuoteMeta(seg))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// The router serves exactly the routes of routeTable: nothing is registered anywhere else.
func TestRoutes_RegisteredFromTheTable(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.DiscardHandler), Tiles: tiles.New(nil, tiles.Options{})})
	var got, want []string
	for _, r := range s.engine.Routes() {
		got = append(got, r.Method+" "+r.Path)
	}
	for _, r := range routeTable {
		want = append(want, r.Method+" "+r.Path)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("router serves\n%s\nthe table has\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Every route of the table with an operation is in the OpenAPI document under that operation, and
// every operation of the document is a route of the table: the document lists the whole API.
func TestRoutes_OpenAPIListsEveryRoute(t *testing.T) {
	s := newTestServer(t)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/ogc/api", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /ogc/api: %d %s", rec.Code, rec.Body)
	}
	var doc struct {
		Servers []struct{ URL string } `json:"servers"`
		Paths   map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	base := "http://example.com"
	// operationId -> full path (server URL + path) and method, from the document.
	type docOp struct{ method, path string }
	documented := map[string]docOp{}
	for p, item := range doc.Paths {
		server := doc.Servers[0].URL
		if raw, ok := item["servers"]; ok {
			var ss []struct{ URL string }
			if err := json.Unmarshal(raw, &ss); err != nil {
				t.Fatal(err)
			}
			server = ss[0].URL
		}
		for method, raw := range item {
			if method == "servers" || method == "parameters" {
				continue
			}
			var op struct {
				OperationID string `json:"operationId"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			documented[op.OperationID] = docOp{strings.ToUpper(method), strings.TrimPrefix(server, base) + p}
		}
	}
	layers := s.store.Catalog().Layers()
	if len(layers) == 0 {
		t.Fatal("the demo catalog has no layers")
	}
	// A documented path "/tiles/{layers}.json" is served by a route when it matches the route's
	// pattern with every template filled in; trailing slashes do not count ("/ogc" and "/ogc/").
	serves := func(r route, path string) bool {
		concrete := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "x")
		norm := func(p string) string { return strings.TrimSuffix(p, "/") }
		return ginPattern(norm(r.Path)).MatchString(norm(concrete)) || ginPattern(r.Path).MatchString(concrete)
	}
	claimed := map[string]bool{}
	for _, r := range routeTable {
		for _, id := range r.Operations {
			ids := []string{id}
			if strings.Contains(r.Path, ":collection") {
				ids = nil
				for _, l := range layers {
					ids = append(ids, id+"_"+l.ID)
				}
			}
			for _, id := range ids {
				d, ok := documented[id]
				switch {
				case !ok:
					t.Errorf("%s %s: operation %s is not in the OpenAPI document", r.Method, r.Path, id)
				case d.method != r.Method || !serves(r, d.path):
					t.Errorf("%s %s: operation %s is documented as %s %s", r.Method, r.Path, id, d.method, d.path)
				}
				claimed[id] = true
			}
		}
	}
	for id, d := range documented {
		if !claimed[id] {
			t.Errorf("the OpenAPI document has %s (%s %s), which no route of the table serves", id, d.method, d.path)
		}
	}
	for _, want := range []string{"search", "adminUnitLabels", "getTile", "getTileJSON", "listChanges", "createKey"} {
		if _, ok := documented[want]; !ok {
			t.Errorf("no operation %s", want)
		}
	}
}

// The table's admin scope is enforced by the table itself: an anonymous caller gets 401, a key
// without admin 403, whatever the handler would have done.
func TestRoutes_AdminScopeEnforced(t *testing.T) {
	s := newTestServer(t)
	_, secret, err := s.store.CreateKey(t.Context(), store.NewKey{Name: "reader", Scopes: []string{"*:read", "*:write", "*:personal"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routeTable {
		if r.Scope != scopeAdmin {
			continue
		}
		path := regexp.MustCompile(`[:*][a-z]+`).ReplaceAllString(r.Path, "1")
		for _, tc := range []struct {
			auth string
			want int
		}{{"", 401}, {"Bearer " + secret, 403}} {
			req := httptest.NewRequest(r.Method, path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tc.want || rec.Header().Get("Content-Type") != problemContentType {
				t.Errorf("%s %s with %q: %d %s, want %d", r.Method, path, tc.auth, rec.Code, rec.Body, tc.want)
			}
		}
	}
}
