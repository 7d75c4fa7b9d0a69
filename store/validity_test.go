package store_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// The importer asks PostGIS about the validity of a geometry only when geo.ProvablySimple cannot
// prove it valid. So whatever it proves must be valid for GEOS: 20,000 random rings around
// Bình Phước (simple stars, random scribbles, stars with a vertex pushed to within 1e-13° of
// another edge, spikes; one in ten with 33 to 632 positions, which geo decides by its sweep)
// are checked by both.
func TestProvablySimple_AgreesWithGEOS(t *testing.T) {
	pool := storetest.Pool(t, storetest.Migrated(t))
	rng := rand.New(rand.NewPCG(7, 2025))
	const n = 20000
	var rings []*geom.Polygon
	for i := range n {
		var pts []float64
		cx, cy := 106.5+rng.Float64(), 11.3+rng.Float64()
		k := 3 + rng.IntN(18)
		if i%10 == 9 {
			k = 33 + rng.IntN(600) // past geo's pairwise test: the sweep decides
		}
		switch i % 4 {
		case 0, 2: // a star: angles in order, so simple unless nudged below
			for j := range k {
				a := 2 * math.Pi * (float64(j) + 0.8*rng.Float64()) / float64(k)
				r := 1e-4 + 1e-3*rng.Float64()
				pts = append(pts, cx+r*math.Cos(a), cy+r*math.Sin(a))
			}
			if i%4 == 2 && k > 3 {
				// Push one vertex onto (or just across) the segment between two others.
				a, b, c := rng.IntN(k), rng.IntN(k), rng.IntN(k)
				f := rng.Float64()
				off := []float64{0, 1e-13, -1e-13, 1e-9, 1e-6}[rng.IntN(5)]
				pts[2*c] = pts[2*a] + f*(pts[2*b]-pts[2*a]) + off
				pts[2*c+1] = pts[2*a+1] + f*(pts[2*b+1]-pts[2*a+1]) - off
			}
		case 1: // a scribble: often self-intersecting
			for range k {
				pts = append(pts, cx+1e-3*rng.Float64(), cy+1e-3*rng.Float64())
			}
		case 3: // a square with a spike that may fold back on itself
			d := 1e-3
			pts = []float64{cx, cy, cx + d, cy, cx + d, cy + d, cx + d/2, cy + d, cx + d/2, cy + d + d*rng.Float64(), cx + d/2 + d*1e-3*float64(rng.IntN(3)-1), cy + d, cx, cy + d}
		}
		pts = append(pts, pts[0], pts[1])
		rings = append(rings, geom.NewPolygonFlat(geom.XY, pts, []int{len(pts)}).SetSRID(4326))
	}
	blobs := make([][]byte, n)
	for i, r := range rings {
		b, err := wkb.Marshal(r, wkb.NDR)
		if err != nil {
			t.Fatal(err)
		}
		blobs[i] = b
	}
	rows, err := pool.Query(context.Background(), `SELECT ST_IsValid(ST_GeomFromWKB(w)) FROM unnest($1::bytea[]) WITH ORDINALITY AS t(w, i) ORDER BY i`, blobs)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var proven, valid, wrong int
	for i := 0; rows.Next(); i++ {
		var ok bool
		if err := rows.Scan(&ok); err != nil {
			t.Fatal(err)
		}
		p := geo.ProvablySimple(rings[i])
		if ok {
			valid++
		}
		if p {
			proven++
			if !ok {
				wrong++
				if wrong <= 5 {
					t.Errorf("ring %d proven simple, but GEOS says invalid: %v", i, rings[i].FlatCoords())
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rings: %d valid for GEOS, %d of them proven by geo, %d wrongly", n, valid, proven, wrong)
	if wrong > 0 {
		t.Errorf("%d rings proven simple that GEOS finds invalid", wrong)
	}
	// Not a test that passes by proving nothing: most valid rings must be proven.
	if valid < n/3 || valid == n || proven < valid*3/4 {
		t.Errorf("%d valid, %d proven of %d: want a mix, and most valid rings proven", valid, proven, n)
	}
}
