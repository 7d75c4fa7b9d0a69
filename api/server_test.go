package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dongnai-gis/gisd/api"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// get performs a request against h and returns the response with its body read.
func get(t testing.TB, h http.Handler, method, target string) (*http.Response, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

func newServer(t testing.TB, s *store.Store) http.Handler {
	t.Helper()
	return api.New(api.Config{Store: s, Logger: slog.New(slog.DiscardHandler)})
}

func TestServer_HealthAndReadiness(t *testing.T) {
	h := newServer(t, storetest.Store(t, storetest.Migrated(t)))
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/healthz", http.StatusOK},
		{"/readyz", http.StatusOK},
	} {
		res, body := get(t, h, "GET", tc.path)
		if res.StatusCode != tc.want {
			t.Errorf("GET %s: status %d, want %d (%s)", tc.path, res.StatusCode, tc.want, body)
		}
	}
}

func TestServer_NotReadyOnOutdatedSchema(t *testing.T) {
	u := storetest.Migrated(t)
	m, err := store.NewMigrator(u)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Down(1); err != nil {
		t.Fatal(err)
	}
	m.Close()
	h := newServer(t, storetest.Store(t, u))
	res, body := get(t, h, "GET", "/readyz")
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz on an outdated schema: %d, want 503 (%s)", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	if !strings.Contains(string(body), "migrate up") {
		t.Errorf("body %s does not tell what to do", body)
	}
}

func TestServer_ErrorsAreProblems(t *testing.T) {
	h := newServer(t, storetest.Store(t, storetest.Migrated(t)))
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/no/such/route", http.StatusNotFound},
		{"DELETE", "/healthz", http.StatusMethodNotAllowed},
		{"GET", "/api/v1/layers/nope", http.StatusNotFound},
	} {
		res, body := get(t, h, tc.method, tc.path)
		if res.StatusCode != tc.want {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, res.StatusCode, tc.want)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s %s: Content-Type %q, want application/problem+json", tc.method, tc.path, ct)
		}
		var p api.Problem
		if err := json.Unmarshal(body, &p); err != nil || p.Status != tc.want || p.Detail == "" || p.RequestID == "" {
			t.Errorf("%s %s: problem %s (err %v), want status, detail and request id", tc.method, tc.path, body, err)
		}
	}
}

func TestServer_LayersListsCountsAndExtents(t *testing.T) {
	s := storetest.Store(t, storetest.Demo(t))
	h := newServer(t, s)
	res, body := get(t, h, "GET", "/api/v1/layers")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	var doc struct {
		Layers []struct {
			ID         string    `json:"id"`
			Count      int64     `json:"count"`
			Extent     []float64 `json:"extent"`
			Attributes []struct {
				Name       string `json:"name"`
				Visibility string `json:"visibility"`
			} `json:"attributes"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"parcels": 50000, "constructions": 1000, "admin_units": 100}
	seen := map[string]bool{}
	for _, l := range doc.Layers {
		min, ok := want[l.ID]
		if !ok {
			continue
		}
		seen[l.ID] = true
		if l.Count < min {
			t.Errorf("%s: count %d, want ≥ %d", l.ID, l.Count, min)
		}
		if len(l.Extent) != 4 || l.Extent[0] < 106.3 || l.Extent[2] > 107.5 || l.Extent[1] < 11.2 || l.Extent[3] > 12.4 {
			t.Errorf("%s: extent %v, want inside Bình Phước", l.ID, l.Extent)
		}
		for _, a := range l.Attributes {
			if a.Visibility != "public" {
				t.Errorf("%s: attribute %s (%s) shown to an anonymous caller", l.ID, a.Name, a.Visibility)
			}
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("layer %s missing from %s", id, body)
		}
	}
}

func TestServer_Metrics(t *testing.T) {
	h := newServer(t, storetest.Store(t, storetest.Migrated(t)))
	get(t, h, "GET", "/healthz")
	get(t, h, "GET", "/nope")
	_, body := get(t, h, "GET", "/metrics")
	for _, want := range []string{
		`gisd_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`gisd_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`gisd_http_request_duration_seconds_bucket`,
		`gisd_db_pool_max_conns`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestServer_RequestIDEchoed(t *testing.T) {
	h := newServer(t, storetest.Store(t, storetest.Migrated(t)))
	req := httptest.NewRequest("GET", "/healthz", nil).WithContext(context.Background())
	req.Header.Set("X-Request-Id", "abc-123")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get("X-Request-Id"); got != "abc-123" {
		t.Errorf("X-Request-Id %q, want abc-123", got)
	}
	req.Header.Set("X-Request-Id", "bad id\nwith newline")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get("X-Request-Id"); got == "" || strings.ContainsAny(got, " \n") {
		t.Errorf("X-Request-Id %q: a malformed client id must be replaced", got)
	}
}
