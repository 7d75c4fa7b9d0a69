package geo

import (
	"os/exec"
	"regexp"
	"testing"
)

// axisRE matches the first AXIS of a WKT2 coordinate system and captures its direction:
// AXIS["geodetic latitude (Lat)",north, or AXIS["(E)",east,
var axisRE = regexp.MustCompile(`(?m)^\s*AXIS\["[^"]*",\s*(\w+)`)

// TestRegistry_AxisOrderMatchesPROJ checks AxisNorthEast of every registered CRS against the
// EPSG definition as PROJ prints it: the axis order must come from EPSG, not from a list we
// keep by hand. It skips when projinfo (Debian package proj-bin) is not installed.
func TestRegistry_AxisOrderMatchesPROJ(t *testing.T) {
	projinfo, err := exec.LookPath("projinfo")
	if err != nil {
		t.Skip("projinfo not installed; cannot read the EPSG axis order")
	}
	for _, c := range epsgTable {
		t.Run(c.String(), func(t *testing.T) {
			out, err := exec.Command(projinfo, "-q", "-o", "WKT2_2019", c.String()).Output()
			if err != nil {
				t.Fatalf("projinfo %s: %v", c, err)
			}
			m := axisRE.FindSubmatch(out)
			if m == nil {
				t.Fatalf("projinfo %s printed no AXIS:\n%s", c, out)
			}
			first := string(m[1])
			if want := first == "north"; c.AxisNorthEast != want {
				t.Errorf("%s AxisNorthEast = %v, but EPSG's first axis points %s", c, c.AxisNorthEast, first)
			}
			if first != "north" && first != "east" {
				t.Errorf("%s: first axis points %s; only north/east orders are supported", c, first)
			}
		})
	}
	if CRS84.AxisNorthEast {
		t.Error("CRS84.AxisNorthEast = true, want false (longitude first)")
	}
}
