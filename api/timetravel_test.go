package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/dongnai-gis/gisd/store/storetest"
	"github.com/dongnai-gis/gisd/tiles"
)

// In the demo one parcel in a hundred got a residential purpose on 2025-09-01. As of 2024-01-01
// the map and the features API show it as it was (CLN only); today they show ONT+CLN; before
// the 2020 survey there is no parcel at all.
func TestTimeTravel_TilesAndItems(t *testing.T) {
	e := newTileEnv(t, tiles.Options{})
	var id int64
	var lon, lat float64
	err := storetest.DB(t, e.st).QueryRow(context.Background(), `
		SELECT p.id, ST_X(c), ST_Y(c) FROM parcels p
		CROSS JOIN LATERAL (SELECT ST_PointOnSurface(p.geom) AS c) x
		WHERE p.version > 1 AND p.main_use = 'ONT' AND p.land_use -> 1 ->> 'code' = 'CLN'
		  AND EXISTS (SELECT 1 FROM parcels_history h WHERE h.id = p.id AND h.main_use = 'CLN')
		ORDER BY p.id LIMIT 1`).Scan(&id, &lon, &lat)
	if err != nil {
		t.Fatalf("find a converted parcel: %v", err)
	}
	tl := maptile.At(orb.Point{lon, lat}, 16)
	path := fmt.Sprintf("/tiles/parcels/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)
	landUse := func(query string) any {
		t.Helper()
		rec := fetch(t, e.h, path+query)
		for _, f := range findLayer(decode(t, rec), "parcels").Features {
			if fmt.Sprint(f.ID) == fmt.Sprint(id) {
				return f.Properties["land_use"]
			}
		}
		t.Fatalf("parcel %d not in tile %s%s", id, path, query)
		return nil
	}
	if got := landUse(""); got != "ONT+CLN" {
		t.Errorf("today: land_use %v, want ONT+CLN", got)
	}
	if got := landUse("?date=2024-01-01"); got != "CLN" {
		t.Errorf("as of 2024-01-01: land_use %v, want CLN", got)
	}
	if rec := fetch(t, e.h, path+"?date=2019-06-01"); rec.Code != 204 {
		t.Errorf("before the survey: status %d, want 204 (no parcels yet)", rec.Code)
	}

	matched := func(datetime string) int64 {
		t.Helper()
		rec := fetch(t, e.h, "/ogc/collections/parcels/items?limit=1&datetime="+datetime)
		if rec.Code != 200 {
			t.Fatalf("items datetime=%s: %d %s", datetime, rec.Code, rec.Body)
		}
		var fc struct {
			NumberMatched int64 `json:"numberMatched"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &fc); err != nil {
			t.Fatalf("items datetime=%s: %v in %s", datetime, err, rec.Body)
		}
		return fc.NumberMatched
	}
	if n := matched("2019-06-01"); n != 0 {
		t.Errorf("parcels matched before the survey: %d", n)
	}
	if n := matched("2024-01-01"); n < 50000 {
		t.Errorf("parcels matched on 2024-01-01: %d", n)
	}
	if rec := fetch(t, e.h, "/ogc/collections/parcels/items?datetime=2024-01-01/2025-01-01"); rec.Code != 400 {
		t.Errorf("an interval on a layer without valid time: %d, want 400", rec.Code)
	}
}
