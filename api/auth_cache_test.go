package api_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb/maptile"

	"github.com/dongnai-gis/gisd/api"
	"github.com/dongnai-gis/gisd/store/storetest"
	"github.com/dongnai-gis/gisd/tiles"
)

// Every answer whose content depends on the caller's key — every route that is not open to
// anonymous callers alike, errors included — says Cache-Control: no-store and Vary on the
// credential headers, whether a key was sent or not: QGIS's disk cache ignores both the key and
// Vary, and only no-store keeps an answer for one key from being shown to another caller. Public
// tiles are the same bytes for everyone and keep their caching.
func TestAuth_KeyDependentAnswersAreNeverStored(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	id := ownerParcel(t, s, 1, "Nguyễn Văn An", "079080001234")
	svc := tiles.New(s, tiles.Options{CacheBytes: 1 << 20, Logger: slog.New(slog.DiscardHandler)})
	h := api.New(api.Config{Store: s, Logger: slog.New(slog.DiscardHandler), Tiles: svc})
	_, key := mustKey(t, s, "Quản trị", []string{"admin", "*:write", "*:personal"}, nil)
	var lon, lat float64
	if err := storetest.DB(t, s).QueryRow(context.Background(), `SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM parcels WHERE id = $1) x`, id).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	tl := maptile.At([2]float64{lon, lat}, 16)
	tile := "/parcels/16/" + itoa64(int64(tl.X)) + "/" + itoa64(int64(tl.Y)) + ".mvt"
	fill := strings.NewReplacer(":collection", "parcels", ":feature", itoa64(id), ":layer", "parcels", ":id", "1",
		":key", "999", ":commune", "25195", ":sheet", "7", ":parcel", "1", ":construction", "1")
	tested := 0
	for _, rt := range api.RouteScopes() {
		if rt.Scope == "anonymous" || (rt.Method != "GET" && rt.Method != "HEAD") {
			continue
		}
		targets := []string{fill.Replace(rt.Path)}
		if strings.HasSuffix(rt.Path, "*path") {
			targets = []string{"/tiles/parcels.json", "/tiles" + tile, "/tiles/nope.json"}
		}
		for _, target := range targets {
			for _, who := range []struct {
				name    string
				headers [][2]string
			}{{"anonymous", nil}, {"key", [][2]string{{"X-API-Key", key}}}, {"Basic", [][2]string{{"Authorization", basic("qgis", key)}}}} {
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond) // the change stream stays open
				req := httptest.NewRequest(rt.Method, target, nil).WithContext(ctx)
				for _, kv := range who.headers {
					req.Header.Set(kv[0], kv[1])
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				cancel()
				tested++
				cc, vary := rec.Header().Get("Cache-Control"), strings.Join(rec.Header().Values("Vary"), ", ")
				publicTile := strings.HasSuffix(target, ".mvt") && rec.Code < 300
				publicTileJSON := target == "/tiles/parcels.json" && who.headers == nil && rec.Code == 200
				switch {
				case publicTile:
					if cc != "no-cache" || strings.Contains(vary, "Authorization") {
						t.Errorf("%s %s as %s: Cache-Control %q, Vary %q; public tiles keep the configured caching and vary on nothing about the caller", rt.Method, target, who.name, cc, vary)
					}
				case publicTileJSON:
					if cc != "public, max-age=60" || !strings.Contains(vary, "Authorization") {
						t.Errorf("%s %s as %s: Cache-Control %q, Vary %q", rt.Method, target, who.name, cc, vary)
					}
				default:
					if !strings.Contains(cc, "no-store") || !strings.Contains(vary, "Authorization") || !strings.Contains(vary, "X-API-Key") {
						t.Errorf("%s %s as %s (%d): Cache-Control %q, Vary %q; want no-store and Vary: Authorization, X-API-Key", rt.Method, target, who.name, rec.Code, cc, vary)
					}
				}
			}
		}
	}
	if tested < 60 {
		t.Errorf("only %d requests tried; the route table has more", tested)
	}
	// A public tile is the same answer with a key as without: nothing about the key rides on it.
	anon := request(t, h, "GET", "/tiles"+tile, "", nil)
	keyed := request(t, h, "GET", "/tiles"+tile, "", [][2]string{{"X-API-Key", key}})
	if anon.Code != 200 || keyed.Code != 200 || anon.Body.String() != keyed.Body.String() || anon.Header().Get("ETag") != keyed.Header().Get("ETag") {
		t.Errorf("public tile: %d/%d, ETag %q/%q, same bytes %v", anon.Code, keyed.Code, anon.Header().Get("ETag"), keyed.Header().Get("ETag"), anon.Body.String() == keyed.Body.String())
	}
	for name, v := range keyed.Header() {
		if name != "Cache-Control" && name != "Vary" && name != "X-Request-Id" && name != "X-Cache" && strings.Join(v, ",") != strings.Join(anon.Header()[name], ",") {
			t.Errorf("public tile header %s differs with a key: %v vs %v", name, v, anon.Header()[name])
		}
	}
	if strings.Contains(anon.Body.String(), "079080001234") || strings.Contains(anon.Body.String(), "Nguyễn") {
		t.Error("a tile carries owner fields")
	}
}
