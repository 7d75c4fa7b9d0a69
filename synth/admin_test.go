package synth

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestAdminUnits_Districts(t *testing.T) {
	// DOMAIN.md: Bình Phước = 70, 11 districts 688–698.
	want := map[string]string{
		"688": "Thị xã Phước Long",
		"689": "Thành phố Đồng Xoài",
		"690": "Thị xã Bình Long",
		"691": "Huyện Bù Gia Mập",
		"692": "Huyện Lộc Ninh",
		"693": "Huyện Bù Đốp",
		"694": "Huyện Hớn Quản",
		"695": "Huyện Đồng Phú",
		"696": "Huyện Bù Đăng",
		"697": "Thị xã Chơn Thành",
		"698": "Huyện Phú Riềng",
	}
	ds := unitsBy(testUnits(t), func(u AdminUnit) bool { return u.Level == "district" })
	if len(ds) != len(want) {
		t.Fatalf("got %d districts, want %d", len(ds), len(want))
	}
	for _, d := range ds {
		t.Run(d.Code, func(t *testing.T) {
			if got := d.Name; got != want[d.Code] {
				t.Errorf("name: got %q, want %q", got, want[d.Code])
			}
			if !strings.HasPrefix(d.Name, d.Kind+" ") {
				t.Errorf("kind %q does not prefix name %q", d.Kind, d.Name)
			}
			if d.ParentCode != "70" || d.ValidFrom != "" || d.ValidTo != ReformDate {
				t.Errorf("parent/validity: got %q [%q, %q), want 70 [\"\", %q)", d.ParentCode, d.ValidFrom, d.ValidTo, ReformDate)
			}
			if len(d.Geometry) != 1 {
				t.Errorf("got %d polygons, want 1", len(d.Geometry))
			}
		})
	}
}

func TestAdminUnits_Province(t *testing.T) {
	us := testUnits(t)
	p := us[0]
	if p.Code != "70" || p.Name != "Tỉnh Bình Phước" || p.Kind != "Tỉnh" || p.Level != "province" || p.ValidTo != ReformDate {
		t.Fatalf("first unit: got %+v, want province 70 valid until %s", p, ReformDate)
	}
	if got, want := Area(p.Geometry)/1e6, 6877.0; math.Abs(got-want) > 0.1*want {
		t.Errorf("area: got %.0f km², want %.0f ± 10%%", got, want)
	}
	ring := p.Geometry[0][0]
	if n := len(ring) - 1; n < 30 || n > 80 {
		t.Errorf("vertices: got %d, want 30..80", n)
	}
	if msg := checkRing(ring, true); msg != "" {
		t.Errorf("outline: %s", msg)
	}
	b := p.Geometry.Bound()
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"min lon", b.Min[0], 106.411}, {"max lon", b.Max[0], 107.427},
		{"min lat", b.Min[1], 11.302}, {"max lat", b.Max[1], 12.297},
	} {
		if math.Abs(c.got-c.want) > 0.01 {
			t.Errorf("%s: got %.3f, want %.3f", c.name, c.got, c.want)
		}
	}
	for _, d := range districtDefs {
		q := toXY(d.lon, d.lat)
		if !inMulti(pt{q.x, q.y}, p.Geometry) {
			t.Errorf("district %s seat (%v, %v) outside the province", d.code, d.lon, d.lat)
		}
	}
}

func TestAdminUnits_Communes(t *testing.T) {
	us := testUnits(t)
	old := unitsBy(us, func(u AdminUnit) bool { return u.Level == "commune" && u.ValidTo == ReformDate })
	if len(old) != 111 {
		t.Fatalf("pre-reform communes: got %d, want 111", len(old))
	}
	codes := map[string]bool{}
	perDistrict := map[string]int{}
	names := map[string]bool{}
	kinds := map[string]map[string]int{}
	for _, c := range old {
		if len(c.Code) != 5 || !strings.HasPrefix(c.Code, "25") {
			t.Errorf("%s: code not 25xxx", c.Code)
		}
		if codes[c.Code] {
			t.Errorf("%s: duplicate code", c.Code)
		}
		codes[c.Code] = true
		if names[c.ParentCode+c.Name] {
			t.Errorf("%s: name %q not unique in district %s", c.Code, c.Name, c.ParentCode)
		}
		names[c.ParentCode+c.Name] = true
		perDistrict[c.ParentCode]++
		if kinds[c.ParentCode] == nil {
			kinds[c.ParentCode] = map[string]int{}
		}
		kinds[c.ParentCode][c.Kind]++
		if !slices.Contains([]string{"Phường", "Xã", "Thị trấn"}, c.Kind) || !strings.HasPrefix(c.Name, c.Kind+" ") {
			t.Errorf("%s: kind %q, name %q", c.Code, c.Kind, c.Name)
		}
		if c.ValidFrom != "" {
			t.Errorf("%s: ValidFrom %q, want unbounded", c.Code, c.ValidFrom)
		}
	}
	for _, d := range districtDefs {
		if n := perDistrict[d.code]; n < 5 {
			t.Errorf("district %s: %d communes, want >= 5", d.code, n)
		}
		if d.town() && kinds[d.code]["Phường"] <= kinds[d.code]["Xã"] {
			t.Errorf("town %s: %d phường, %d xã; want mostly phường", d.code, kinds[d.code]["Phường"], kinds[d.code]["Xã"])
		}
		if !d.town() && kinds[d.code]["Phường"] > 0 {
			t.Errorf("huyện %s has phường", d.code)
		}
	}
}

// TestAdminUnits_Tiling checks each level tiles its parent: the children's
// areas add up to the parent's, each child's centroid lies in the parent,
// and random points of the parent fall in exactly one child.
func TestAdminUnits_Tiling(t *testing.T) {
	us := testUnits(t)
	byCode := map[string]AdminUnit{}
	for _, u := range us {
		if u.ValidTo == ReformDate {
			byCode[u.Code] = u
		}
	}
	type level struct {
		name     string
		parent   AdminUnit
		children []AdminUnit
	}
	var levels []level
	levels = append(levels, level{"districts of 70", byCode["70"], unitsBy(us, func(u AdminUnit) bool { return u.Level == "district" })})
	for _, d := range districtDefs {
		levels = append(levels, level{"communes of " + d.code, byCode[d.code], unitsBy(us, func(u AdminUnit) bool {
			return u.Level == "commune" && u.ParentCode == d.code
		})})
	}
	var p75 AdminUnit
	for _, u := range us {
		if u.Code == "75" {
			p75 = u
		}
	}
	levels = append(levels, level{"communes of 75", p75, unitsBy(us, func(u AdminUnit) bool {
		return u.Level == "commune" && u.ParentCode == "75"
	})})
	r := rand.New(rand.NewPCG(1, 2))
	for _, l := range levels {
		t.Run(l.name, func(t *testing.T) {
			pa := Area(l.parent.Geometry)
			var sum float64
			for _, c := range l.children {
				sum += Area(c.Geometry)
				for _, pg := range c.Geometry {
					if msg := checkRing(pg[0], true); msg != "" {
						t.Errorf("%s: %s", c.Code, msg)
					}
				}
			}
			if math.Abs(sum-pa) > 1e-6*pa {
				t.Errorf("children area %.3f m², parent %.3f m²: differ by %.3g m²", sum, pa, sum-pa)
			}
			b := l.parent.Geometry.Bound()
			lo, hi := toXY(b.Min[0], b.Min[1]), toXY(b.Max[0], b.Max[1])
			for range 4000 {
				q := pt{lo.x + r.Float64()*(hi.x-lo.x), lo.y + r.Float64()*(hi.y-lo.y)}
				if !inMulti(q, l.parent.Geometry) {
					continue
				}
				n := 0
				for _, c := range l.children {
					if inMulti(q, c.Geometry) {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("point %v lies in %d children, want 1", q, n)
				}
			}
		})
	}
}

func TestAdminUnits_Reform(t *testing.T) {
	us := testUnits(t)
	var p75 []AdminUnit
	oldCodes := map[string]bool{}
	var newCommunes []AdminUnit
	for _, u := range us {
		switch {
		case u.Code == "75":
			p75 = append(p75, u)
		case u.Level == "commune" && u.ValidTo == ReformDate:
			oldCodes[u.Code] = true
		case u.Level == "commune" && u.ValidFrom == ReformDate:
			newCommunes = append(newCommunes, u)
		}
		if u.Level == "district" && (u.ValidTo == "" || u.ValidTo > ReformDate) {
			t.Errorf("district %s still valid after the reform (ValidTo %q)", u.Code, u.ValidTo)
		}
		if u.Code == "70" && u.ValidTo != ReformDate {
			t.Errorf("province 70: ValidTo %q, want %q", u.ValidTo, ReformDate)
		}
	}
	if len(p75) != 1 || p75[0].Name != "Tỉnh Đồng Nai" || p75[0].ValidFrom != ReformDate || p75[0].ValidTo != "" || p75[0].Level != "province" {
		t.Fatalf("province 75: got %+v", p75)
	}
	if n := len(newCommunes); n < 40 || n > 60 {
		t.Errorf("new communes: got %d, want 40..60", n)
	}
	names := map[string]bool{}
	for _, c := range newCommunes {
		if !oldCodes[c.Code] {
			t.Errorf("%s %s: code is not one of a former commune", c.Code, c.Name)
		}
		if c.ParentCode != "75" || c.ValidTo != "" {
			t.Errorf("%s: parent %q, ValidTo %q; want 75, unbounded", c.Code, c.ParentCode, c.ValidTo)
		}
		if c.Kind != "Xã" && c.Kind != "Phường" {
			t.Errorf("%s: kind %q, want Xã or Phường", c.Code, c.Kind)
		}
		if names[c.Name] {
			t.Errorf("%s: duplicate name %q", c.Code, c.Name)
		}
		names[c.Name] = true
		if len(c.Geometry) != 1 {
			t.Errorf("%s: %d polygons, want 1 (merged neighbours)", c.Code, len(c.Geometry))
		}
	}
}

func TestAdminUnits_Deterministic(t *testing.T) {
	a, b, c := AdminUnits(7), AdminUnits(7), AdminUnits(8)
	if len(a) != len(b) {
		t.Fatalf("lengths differ: %d, %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || !a[i].Geometry.Equal(b[i].Geometry) {
			t.Fatalf("unit %d differs between runs with the same seed", i)
		}
	}
	same := true
	for i := range a {
		if i >= len(c) || a[i].Name != c[i].Name {
			same = false
		}
	}
	if same {
		t.Errorf("seeds 7 and 8 give the same communes")
	}
}
