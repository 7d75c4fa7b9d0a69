package store_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb/planar"

	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// A demo parcel that got a residential purpose on 2025-09-01: its extract today and as of
// 2025-08-01, against what PostGIS says of it directly.
func TestParcelExtract_Demo(t *testing.T) {
	s := storetest.Store(t, storetest.Demo(t))
	ctx := context.Background()
	var id int64
	var commune, owner string
	var sheet, number int
	var official float64
	err := storetest.DB(t, s).QueryRow(ctx, `SELECT p.id, p.commune_code, p.sheet_no, p.parcel_no, p.official_area_m2::float8, p.owner_name
		FROM parcels p
		WHERE p.main_use = 'ONT' AND p.land_use -> 1 ->> 'code' = 'CLN' AND p.owner_name IS NOT NULL
		  AND EXISTS (SELECT 1 FROM parcels_history h WHERE h.id = p.id AND h.main_use = 'CLN' AND h.sys_to = '2025-09-01')
		ORDER BY p.id LIMIT 1`).Scan(&id, &commune, &sheet, &number, &official, &owner)
	if err != nil {
		t.Fatalf("find a converted parcel: %v", err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	req := store.ExtractRequest{Commune: commune, Sheet: sheet, Parcel: number, Date: today}
	x, err := s.ParcelExtract(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if x.Parcel.ID != id || x.SRID != 9212 || x.Parcel.Owner != nil {
		t.Errorf("parcel %d in %d with owner %v; want %d in 9212 without an owner", x.Parcel.ID, x.SRID, x.Parcel.Owner, id)
	}
	// The outline is in the zone: its planar area is the official area PostGIS computed.
	if a := planar.Area(x.Geometry); math.Abs(a-official) > 0.05+1e-6 {
		t.Errorf("planar area of the outline %.3f m², official %.1f m²", a, official)
	}
	uses, err := x.Parcel.LandUses()
	if err != nil || len(uses) != 2 || uses[0].Code != "ONT" || uses[1].Code != "CLN" {
		t.Errorf("land uses today %v (%v), want ONT, CLN", uses, err)
	}
	var ontName string
	storetest.DB(t, s).QueryRow(ctx, `SELECT name_vi FROM land_use_codes WHERE code = 'ONT'`).Scan(&ontName)
	if x.LandUseNames["ONT"] != ontName || x.LandUseNames["CLN"] == "" {
		t.Errorf("land-use names %v, want ONT %q and CLN", x.LandUseNames, ontName)
	}

	// Neighbours: every parcel within 3 m by an independent measure (on the ellipsoid), none
	// farther than 3.01 m, and the parcel itself not among them.
	var want []int64
	rows, err := storetest.DB(t, s).Query(ctx, `SELECT n.id FROM parcels p JOIN parcels n ON n.id <> p.id
		AND ST_DWithin(n.geom::geography, p.geom::geography, 2.99) WHERE p.id = $1 ORDER BY n.id`, id)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n int64
		rows.Scan(&n)
		want = append(want, n)
	}
	var got []int64
	for _, n := range x.Neighbours {
		got = append(got, n.ID)
		var d float64
		storetest.DB(t, s).QueryRow(ctx, `SELECT ST_Distance(n.geom::geography, p.geom::geography) FROM parcels n, parcels p
			WHERE n.id = $1 AND p.id = $2`, n.ID, id).Scan(&d)
		if d > 3.01 || n.ID == id || len(n.Geometry) == 0 || n.ParcelNo < 1 {
			t.Errorf("neighbour %+v is %.2f m away", n, d)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("parcel %d within 3 m is not among the neighbours %v", w, got)
		}
	}
	if len(want) == 0 {
		t.Error("the demo parcel has no neighbour at all")
	}

	// Units of the day: after the reform a province (75) and a commune; before it the district too.
	levels := func(us []store.AdminUnitRef) (out []string) {
		for _, u := range us {
			out = append(out, u.Level+":"+u.Code[:min(2, len(u.Code))])
		}
		return out
	}
	if l := levels(x.Units); len(l) != 2 || l[0] != "province:75" || l[1][:8] != "commune:" {
		t.Errorf("units today %v, want province 75 and a commune", l)
	}
	before := req
	before.Date = time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	end := time.Date(2025, 7, 1, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600)).Add(-time.Microsecond)
	before.Options.AsOf = &end
	before.Options.Personal = true
	y, err := s.ParcelExtract(ctx, before)
	if err != nil {
		t.Fatal(err)
	}
	if l := levels(y.Units); len(l) != 3 || l[0] != "province:70" || l[1][:9] != "district:" {
		t.Errorf("units on 2025-06-30 %v, want province 70, a district and a commune", l)
	}
	// As recorded then: CLN only, version 1, with the owner when asked for.
	if uses, _ := y.Parcel.LandUses(); len(uses) != 1 || uses[0].Code != "CLN" || y.Parcel.Version >= x.Parcel.Version {
		t.Errorf("as of 2025-06-30: uses %v version %d, want CLN only and an older version than %d", uses, y.Parcel.Version, x.Parcel.Version)
	}
	if y.Parcel.Owner == nil || y.Parcel.Owner.Name == nil || *y.Parcel.Owner.Name == "" {
		t.Errorf("personal extract without an owner: %+v", y.Parcel.Owner)
	}
	if y.Commune == nil || y.Commune.Code != commune || y.Commune.ValidTo == nil {
		t.Errorf("key commune on 2025-06-30: %+v, want %s's pre-reform version", y.Commune, commune)
	}

	for name, r := range map[string]store.ExtractRequest{
		"unknown parcel":    {Commune: commune, Sheet: sheet, Parcel: 99999, Date: today},
		"before the survey": {Commune: commune, Sheet: sheet, Parcel: number, Date: today, Options: store.ParcelOptions{AsOf: ptr(time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC))}},
	} {
		if _, err := s.ParcelExtract(ctx, r); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	for _, srid := range []int{4326, 3857} {
		bad := req
		bad.SRID = srid
		if _, err := s.ParcelExtract(ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("SRID %d: %v, want ErrInvalid", srid, err)
		}
	}
}

// A parcel numbered in a commune that merged into another on 2025-07-01: its extract today names
// the key's commune by its last name, and the commune it lies in today.
func TestParcelExtract_MergedCommune(t *testing.T) {
	s := storetest.Store(t, storetest.Demo(t))
	ctx := context.Background()
	var commune string
	var sheet, number int
	err := storetest.DB(t, s).QueryRow(ctx, `SELECT p.commune_code, p.sheet_no, p.parcel_no FROM parcels p
		WHERE NOT EXISTS (SELECT 1 FROM admin_units a WHERE a.code = p.commune_code AND a.validity @> current_date)
		ORDER BY p.id LIMIT 1`).Scan(&commune, &sheet, &number)
	if err != nil {
		t.Fatalf("find a parcel of a merged commune: %v", err)
	}
	x, err := s.ParcelExtract(ctx, store.ExtractRequest{Commune: commune, Sheet: sheet, Parcel: number,
		Date: time.Now().UTC().Truncate(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if x.Commune == nil || x.Commune.Code != commune || x.Commune.ValidTo == nil || x.Commune.Name == "" {
		t.Errorf("key commune %+v, want %s's last version", x.Commune, commune)
	}
	var today *store.AdminUnitRef
	for i, u := range x.Units {
		if u.Level == "commune" {
			today = &x.Units[i]
		}
	}
	if today == nil || today.Code == commune {
		t.Errorf("commune of today %+v, want one other than %s", today, commune)
	}
}

func ptr[T any](v T) *T { return &v }
