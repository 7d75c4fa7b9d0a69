package render

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
)

// TestFixture loads the test district (and, with -update-fixture, regenerates it first): the
// dense tile holds the ~1,500 parcels the benchmarks want.
func TestFixture(t *testing.T) {
	fx := loadFixture(t)
	b := fx.tile.Bound()
	mb := orb.Bound{Min: project.WGS84.ToMercator(b.Min), Max: project.WGS84.ToMercator(b.Max)}
	n := 0
	for _, f := range fx.layers["parcels"] {
		if mb.Contains(f.Geometry.Bound().Center()) {
			n++
		}
	}
	if n < 1200 || len(fx.layers["constructions"]) == 0 || len(fx.layers["admin_units"]) == 0 {
		t.Errorf("tile %v: %d parcels, %d constructions, %d admin units", fx.tile, n, len(fx.layers["constructions"]), len(fx.layers["admin_units"]))
	}
	t.Logf("tile %v: %d parcels", fx.tile, n)
}
