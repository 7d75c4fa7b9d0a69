package tiles

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/project"

	"github.com/dongnai-gis/gisd/store/storetest"
)

func decodeTile(t testing.TB, tile *Tile) mvt.Layers {
	t.Helper()
	r, err := tile.Open()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return ls
}

func points(g orb.Geometry) []orb.Point {
	var out []orb.Point
	project.Geometry(orb.Clone(g), func(p orb.Point) orb.Point { out = append(out, p); return p })
	return out
}

// The affine projection used on deep tiles draws the same tiles as PROJ, to a tile unit.
func TestAffineProjectionMatchesPROJ(t *testing.T) {
	st := storetest.Store(t, storetest.Demo(t))
	render := func(exact bool) []mvt.Layers {
		if exact {
			old := maxFitError
			maxFitError = -1
			defer func() { maxFitError = old }()
		}
		s := New(st, Options{Logger: slog.New(slog.DiscardHandler)})
		var out []mvt.Layers
		for _, tile := range benchTiles() {
			res, err := s.Tile(context.Background(), Request{Layers: "admin_units,parcels,constructions", Tile: tile})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, decodeTile(t, res.Tile))
		}
		return out
	}
	affine, exact := render(false), render(true)
	var features, vertices int
	var worst float64
	for i, tile := range benchTiles() {
		if fitMercator(tile).ok != (tile.Z >= 13) {
			t.Errorf("tile %s: affine %v", tile, fitMercator(tile).ok)
		}
		if len(affine[i]) != len(exact[i]) {
			t.Fatalf("tile %s: %d layers, PROJ %d", tile, len(affine[i]), len(exact[i]))
		}
		for j, la := range affine[i] {
			le := exact[i][j]
			byID := map[string]orb.Geometry{}
			for _, f := range le.Features {
				byID[fmt.Sprint(f.ID)] = f.Geometry
			}
			if len(la.Features) != len(le.Features) {
				t.Errorf("tile %s layer %s: %d features, PROJ %d", tile, la.Name, len(la.Features), len(le.Features))
			}
			for _, f := range la.Features {
				g, ok := byID[fmt.Sprint(f.ID)]
				if !ok {
					t.Errorf("tile %s layer %s: feature %v not in the PROJ tile", tile, la.Name, f.ID)
					continue
				}
				features++
				want := points(g)
				for _, p := range points(f.Geometry) {
					vertices++
					d := math.Inf(1)
					for _, q := range want {
						d = math.Min(d, math.Hypot(p[0]-q[0], p[1]-q[1]))
					}
					worst = math.Max(worst, d)
				}
			}
		}
	}
	t.Logf("%d features, %d vertices compared; farthest vertex %.2f tile units from PROJ's", features, vertices, worst)
	if features == 0 {
		t.Fatal("nothing compared")
	}
	if worst > math.Sqrt2 {
		t.Errorf("a vertex lies %.2f units from PROJ's, want at most one unit in x and y", worst)
	}
}
