package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// The demo province: real district codes and names, ≥ 50,000 parcels that tile their communes
// without overlapping, houses on them, and the 2025 reform as validity periods.
func TestDemo_Province(t *testing.T) {
	pool := storetest.Pool(t, storetest.Demo(t))
	ctx := context.Background()
	var n int
	check := func(name, sql string, want func(int) bool, args ...any) {
		t.Helper()
		if err := pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !want(n) {
			t.Errorf("%s = %d", name, n)
		}
	}
	atLeast := func(m int) func(int) bool { return func(n int) bool { return n >= m } }
	exactly := func(m int) func(int) bool { return func(n int) bool { return n == m } }

	check("parcels", `SELECT count(*) FROM parcels`, atLeast(50000))
	check("constructions", `SELECT count(*) FROM constructions`, atLeast(1000))
	check("districts of Bình Phước until 2025-07-01",
		`SELECT count(*) FROM admin_units WHERE level = 'district' AND parent_code = '70' AND valid_to = '2025-07-01'
		 AND code BETWEEN '688' AND '698'`, exactly(11))
	check("districts valid after the reform", `SELECT count(*) FROM admin_units WHERE level = 'district' AND validity @> DATE '2025-07-02'`, exactly(0))
	check("Đồng Xoài by name", `SELECT count(*) FROM admin_units WHERE code = '689' AND name = 'Thành phố Đồng Xoài'`, exactly(1))
	check("province 75 from 2025-07-01", `SELECT count(*) FROM admin_units WHERE code = '75' AND valid_from = '2025-07-01' AND valid_to IS NULL`, exactly(1))
	check("parcels in an unknown commune",
		`SELECT count(*) FROM parcels p WHERE NOT EXISTS (SELECT 1 FROM admin_units c WHERE c.code = p.commune_code AND c.level = 'commune')`, exactly(0))
	check("parcels with personal data", `SELECT count(*) FROM parcels WHERE owner_name IS NOT NULL AND owner_id_number IS NOT NULL`, atLeast(40000))
	check("parcels with a past version", `SELECT count(DISTINCT id) FROM parcels_history`, atLeast(500))

	var km2 float64
	if err := pool.QueryRow(ctx, `SELECT area_m2 / 1e6 FROM admin_units WHERE code = '70'`).Scan(&km2); err != nil {
		t.Fatal(err)
	}
	if km2 < 6877*0.9 || km2 > 6877*1.1 {
		t.Errorf("province area %.0f km², want 6,877 ± 10%%", km2)
	}

	// No two parcels share interior area beyond floating-point noise (measured in TM-3, m²).
	var overlaps int
	var worst float64
	if err := pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE a > 0.01), coalesce(max(a), 0) FROM (
		  SELECT ST_Area(ST_Transform(ST_Intersection(p.geom, q.geom), 9212)) AS a
		  FROM parcels p JOIN parcels q ON p.id < q.id AND p.geom && q.geom AND ST_Relate(p.geom, q.geom, '2********')) x`).
		Scan(&overlaps, &worst); err != nil {
		t.Fatal(err)
	}
	if overlaps > 0 {
		t.Errorf("%d parcel pairs overlap by more than 0.01 m² (worst %.3f m²)", overlaps, worst)
	}
}

func TestDemo_SecondLoadIsSkipped(t *testing.T) {
	s := storetest.Store(t, storetest.Demo(t))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.LoadDemo(ctx, store.DemoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Skipped {
		t.Errorf("second demo load: got %+v, want skipped", res)
	}
}
