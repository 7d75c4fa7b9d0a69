package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/api"
	"github.com/dongnai-gis/gisd/importer"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
	"github.com/dongnai-gis/gisd/tiles"
)

// While an offline import holds a layer, requests for it answer 503 with Retry-After once the
// pool's lock timeout runs out, instead of holding a connection until their statement timeout
// (this pool has none: without the lock timeout they would wait for the lock forever). Other
// layers answer as usual, and the layer answers again once the import has committed. The lock
// is a real offline import's, held open half-way through its input.
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

	// An offline replace of the parcels in chunks of 2: once its first chunk is written the
	// layer is locked, and the rest of its input has not arrived yet.
	admin := storetest.Pool(t, url)
	var commune string
	if err := admin.QueryRow(ctx, `SELECT code FROM admin_units WHERE level = 'commune' ORDER BY code LIMIT 1`).Scan(&commune); err != nil {
		t.Fatal(err)
	}
	parcel := func(no int) string {
		x, y := 106.9+float64(no)*0.001, 11.6
		return fmt.Sprintf(`{"type":"Feature","properties":{"MaXa":%q,"SoHieuToBanDo":900,"SoThuTuThua":%d,"KyHieuMucDichSuDung":"ONT"},`+
			`"geometry":{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}}`, commune, no, x, y, x+0.0005, y, x+0.0005, y+0.0005, x, y)
	}
	im, err := s.NewImport(ctx, importer.Options{Layer: "parcels", Mode: importer.ModeReplace, Offline: true, ChunkSize: 2, BatchSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { _, err := im.Run(ctx, pr); done <- err }()
	go pw.Write([]byte(`{"type":"FeatureCollection","features":[` + parcel(1) + "," + parcel(2) + "," + parcel(3)))
	deadline := time.Now().Add(20 * time.Second)
	for {
		var locked bool
		if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'parcels'::regclass AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND mode = 'AccessExclusiveLock' AND granted)`).Scan(&locked); err != nil {
			t.Fatal(err)
		}
		if locked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the offline import never locked the layer")
		}
		time.Sleep(20 * time.Millisecond)
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
	// The rest of the input: the import commits, and the layer answers again, with its new rows.
	pw.Write([]byte("," + parcel(4) + "]}"))
	pw.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the offline import did not finish")
	}
	if rec := get("/ogc/collections/parcels/items?limit=10"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"numberMatched":4`) {
		t.Errorf("parcels once the import committed = %d %.300s, want 200 with its 4 parcels", rec.Code, rec.Body)
	}
}
