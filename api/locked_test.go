package api_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/api"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
	"github.com/dongnai-gis/gisd/tiles"
)

// While an offline import holds a layer, requests for it answer 503 with Retry-After once the
// pool's lock timeout runs out, instead of holding a connection until their statement timeout
// (this pool has none: without the lock timeout they would wait for the lock forever). Other
// layers answer as usual, and the layer answers again once the lock is gone.
func TestLockedLayer_AnswersRetryLater(t *testing.T) {
	ctx := context.Background()
	url := storetest.Demo(t)
	s := storetest.StoreWith(t, store.Config{URL: url, MaxConns: 4, LockTimeout: 200 * time.Millisecond})
	svc := tiles.New(s, tiles.Options{CacheBytes: 1 << 20, Logger: slog.New(slog.DiscardHandler)})
	h := api.New(api.Config{Store: s, Logger: slog.New(slog.DiscardHandler), Tiles: svc})
	get := func(target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		return rec
	}

	// The lock an offline import takes on its layer.
	tx, err := storetest.Pool(t, url).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE parcels IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/ogc/collections/parcels/items?limit=1", "/tiles/parcels/16/52225/30700.mvt"} {
		rec := get(target)
		if rec.Code != 503 || rec.Header().Get("Retry-After") == "" ||
			!strings.HasPrefix(rec.Header().Get("Content-Type"), "application/problem+json") || !strings.Contains(rec.Body.String(), "locked") {
			t.Errorf("GET %s with the layer locked = %d %q %s, want 503 with Retry-After and a problem saying why",
				target, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	}
	// A write meets the same lock: the client, the audit log and the metrics all say 503 (the
	// audit used to record 500 for it).
	_, writer := mustKey(t, s, "writer", []string{"parcels:write"}, nil)
	code, hdr, body := send(t, h, "PATCH", "/ogc/collections/parcels/items/1", `{"type":"Feature","properties":{"address":"x"}}`,
		map[string]string{"Authorization": "Bearer " + writer, "If-Match": "*", "X-Request-Id": "locked-write"})
	if code != 503 || hdr.Get("Retry-After") == "" {
		t.Errorf("PATCH with the layer locked = %d %q %s, want 503 with Retry-After", code, hdr.Get("Retry-After"), body)
	}
	var audited int
	if err := storetest.Pool(t, url).QueryRow(ctx, `SELECT status FROM audit_log WHERE request_id = 'locked-write'`).Scan(&audited); err != nil {
		t.Fatal(err)
	}
	if audited != code {
		t.Errorf("the audit log records %d for the write, the client got %d", audited, code)
	}
	metrics := get("/metrics").Body.String()
	if want := `gisd_http_problems_total{route="/ogc/collections/:collection/items/:feature",status="503",type="locked"} 1`; !strings.Contains(metrics, want) {
		t.Errorf("metrics lack %s", want)
	}
	if rec := get("/ogc/collections/admin_units/items?limit=1"); rec.Code != 200 {
		t.Errorf("another layer while parcels is locked = %d %s, want 200", rec.Code, rec.Body)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if rec := get("/ogc/collections/parcels/items?limit=1"); rec.Code != 200 {
		t.Errorf("parcels once the lock is gone = %d %s, want 200", rec.Code, rec.Body)
	}
}
