package synth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
)

func TestParcels_Count(t *testing.T) {
	us := testUnits(t)
	for _, n := range []int{1, 7, 111, 1000, 4321} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			got := 0
			if err := Parcels(Config{Seed: 3, Parcels: n}, us, func(Parcel) error { got++; return nil }); err != nil {
				t.Fatal(err)
			}
			if got != n {
				t.Errorf("got %d parcels, want %d", got, n)
			}
		})
	}
	t.Run("20000", func(t *testing.T) {
		if got := len(testGenerated(t).parcels); got != testParcels {
			t.Errorf("got %d parcels, want %d", got, testParcels)
		}
	})
}

func TestParcels_BadConfig(t *testing.T) {
	us := testUnits(t)
	for _, tc := range []struct {
		name  string
		cfg   Config
		units []AdminUnit
	}{
		{"zero parcels", Config{Seed: 1}, us},
		{"negative", Config{Seed: 1, Parcels: -5}, us},
		{"no communes", Config{Seed: 1, Parcels: 10}, us[:12]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Parcels(tc.cfg, tc.units, func(Parcel) error { return nil })
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
}

func TestParcels_EmitError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := Parcels(Config{Seed: 1, Parcels: 5000}, testUnits(t), func(Parcel) error {
		n++
		if n == 100 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 100 {
		t.Errorf("got err %v after %d parcels, want stop after 100", err, n)
	}
}

func hashGeoJSON(tb testing.TB, seed int64, n int) string {
	tb.Helper()
	h := sha256.New()
	if err := WriteGeoJSON(h, Config{Seed: seed, Parcels: n}, testUnits(tb)); err != nil {
		tb.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestParcels_Deterministic(t *testing.T) {
	a, b := hashGeoJSON(t, 11, 8000), hashGeoJSON(t, 11, 8000)
	if a != b {
		t.Errorf("same seed: got hashes %s and %s, want equal", a, b)
	}
	prev := runtime.GOMAXPROCS(1)
	one := hashGeoJSON(t, 11, 8000)
	runtime.GOMAXPROCS(prev)
	if one != a {
		t.Errorf("GOMAXPROCS=1: got hash %s, want %s", one, a)
	}
	if c := hashGeoJSON(t, 12, 8000); c == a {
		t.Errorf("seeds 11 and 12: same hash %s, want different", a)
	}
}

func TestParcels_Keys(t *testing.T) {
	d := testGenerated(t)
	seen := map[ParcelKey]bool{}
	maxNum := map[[2]any]int{}
	cnt := map[[2]any]int{}
	sheets := map[string]map[int]bool{}
	for _, p := range d.parcels {
		k := ParcelKey{p.CommuneCode, p.Sheet, p.Number}
		if seen[k] {
			t.Fatalf("duplicate key %v", k)
		}
		seen[k] = true
		s := [2]any{p.CommuneCode, p.Sheet}
		maxNum[s] = max(maxNum[s], p.Number)
		cnt[s]++
		if sheets[p.CommuneCode] == nil {
			sheets[p.CommuneCode] = map[int]bool{}
		}
		sheets[p.CommuneCode][p.Sheet] = true
	}
	for s, n := range cnt {
		if maxNum[s] != n {
			t.Errorf("sheet %v: numbers go to %d for %d parcels, want 1..%d", s, maxNum[s], n, n)
		}
	}
	for c, ss := range sheets {
		for i := 1; i <= len(ss); i++ {
			if !ss[i] {
				t.Errorf("commune %s: sheets not numbered 1..%d (missing %d)", c, len(ss), i)
			}
		}
	}
}

func TestParcels_Geometry(t *testing.T) {
	d := testGenerated(t)
	communes := map[string]AdminUnit{}
	for _, u := range testUnits(t) {
		if u.Level == "commune" && u.ValidTo == ReformDate {
			communes[u.Code] = u
		}
	}
	areaSum := map[string]float64{}
	var outside, minArea = 0, math.Inf(1)
	for _, p := range d.parcels {
		c, ok := communes[p.CommuneCode]
		if !ok {
			t.Fatalf("parcel %s-%d-%d: unknown commune", p.CommuneCode, p.Sheet, p.Number)
		}
		if len(p.Geometry) == 0 {
			t.Fatalf("parcel %s-%d-%d: empty geometry", p.CommuneCode, p.Sheet, p.Number)
		}
		for _, pg := range p.Geometry {
			if msg := checkRing(pg[0], true); msg != "" {
				t.Errorf("parcel %s-%d-%d: %s", p.CommuneCode, p.Sheet, p.Number, msg)
			}
		}
		a := Area(p.Geometry)
		areaSum[p.CommuneCode] += a
		minArea = min(minArea, a)
		if got := math.Round(a*10) / 10; got != p.Area {
			t.Errorf("parcel %s-%d-%d: Area %v, geometry %v", p.CommuneCode, p.Sheet, p.Number, p.Area, got)
		}
		ring := ringXY(p.Geometry[0][0])
		cen := centroidXY(ring)
		if inRing(cen, ring) && !inMulti(cen, c.Geometry) {
			outside++
		}
	}
	if outside > 0 {
		t.Errorf("%d parcels have their centroid outside their commune", outside)
	}
	if minArea < 20 {
		t.Errorf("smallest parcel %.1f m², want >= 20", minArea)
	}
	// gap-free: parcels add up to their commune (slivers under 20 m² at
	// concave corners may be dropped)
	for code, s := range areaSum {
		ca := Area(communes[code].Geometry)
		if s > ca*(1+1e-9) || s < ca-100 {
			t.Errorf("commune %s: parcels cover %.2f m² of %.2f m²", code, s, ca)
		}
	}
}

// TestParcels_NoOverlap intersects every pair of parcels with overlapping
// bounds in a few neighbouring communes, across their common boundaries.
func TestParcels_NoOverlap(t *testing.T) {
	d := testGenerated(t)
	pick := map[string]bool{}
	for _, u := range testUnits(t) {
		if u.Level == "commune" && (u.ParentCode == "689" || u.ParentCode == "695") && u.ValidTo == ReformDate {
			pick[u.Code] = true
		}
	}
	type item struct {
		key  string
		ring []pt
		lo   xy
		hi   xy
	}
	var items []item
	for _, p := range d.parcels {
		if !pick[p.CommuneCode] {
			continue
		}
		for _, pg := range p.Geometry {
			r := ringXY(pg[0])
			it := item{key: fmt.Sprintf("%s-%d-%d", p.CommuneCode, p.Sheet, p.Number), ring: r,
				lo: xy{math.Inf(1), math.Inf(1)}, hi: xy{math.Inf(-1), math.Inf(-1)}}
			for _, q := range r {
				it.lo = xy{min(it.lo.x, q[0]), min(it.lo.y, q[1])}
				it.hi = xy{max(it.hi.x, q[0]), max(it.hi.y, q[1])}
			}
			items = append(items, it)
		}
	}
	if len(items) < 1000 {
		t.Fatalf("only %d parcels in the sample", len(items))
	}
	sort.Slice(items, func(i, j int) bool { return items[i].lo.x < items[j].lo.x })
	pairs, skipped := 0, 0
	worst := 0.0
	for i := range items {
		for j := i + 1; j < len(items) && items[j].lo.x <= items[i].hi.x; j++ {
			a, b := &items[i], &items[j]
			if a.hi.y < b.lo.y || b.hi.y < a.lo.y {
				continue
			}
			ov, ok := overlapArea(a.ring, b.ring)
			if !ok {
				skipped++
				continue
			}
			pairs++
			worst = max(worst, ov)
			if ov > 0.01 {
				t.Errorf("parcels %s and %s overlap by %.4f m²", a.key, b.key, ov)
			}
		}
	}
	t.Logf("%d parcels, %d pairs checked, %d skipped (both non-convex), worst overlap %.3g m²", len(items), pairs, skipped, worst)
	if pairs < len(items) {
		t.Errorf("only %d pairs checked", pairs)
	}
}

var landUseCodes = map[string]bool{}

func init() {
	for _, c := range strings.Fields(`LUC LUK LUN BHK NHK HNK CLN RSX RPH RDD NTS CNT LMU NKH ONT ODT TSC DTS DVH DYT
		DGD DTT DKH DXH DNG DSK CQP CAN SKK SKT SKN SKC TMD SKS SKX DGT DTL DDT DDL DSH DKV DNL DBV DCH
		DRA DPC DCK TON TIN NTD SON MNC PNK BCS DCS NCS`) {
		landUseCodes[c] = true
	}
}

func TestParcels_LandUse(t *testing.T) {
	d := testGenerated(t)
	primary := map[string]int{}
	legacy, mixed, surveyed, noOwner := 0, 0, 0, 0
	for _, p := range d.parcels {
		if len(p.LandUse) == 0 {
			t.Fatalf("parcel without land use")
		}
		var sum float64
		for _, lu := range p.LandUse {
			if !landUseCodes[lu.Code] {
				t.Errorf("unknown land-use code %q", lu.Code)
			}
			if lu.Area <= 0 {
				t.Errorf("land use %s: area %v", lu.Code, lu.Area)
			}
			if lu.Code == "BHK" || lu.Code == "NHK" {
				legacy++
			}
			sum += lu.Area
		}
		if math.Abs(sum-p.Area) > 1e-6 {
			t.Errorf("land-use areas sum to %v, parcel area %v", sum, p.Area)
		}
		if len(p.LandUse) > 1 {
			mixed++
			if c := p.LandUse[0].Code; c != "ONT" && c != "ODT" {
				t.Errorf("mixed parcel starts with %s, want the residential purpose", c)
			}
		}
		primary[p.LandUse[0].Code]++
		if p.LegalArea != p.Area {
			surveyed++
			if math.Abs(p.LegalArea-p.Area) > 0.04*p.Area {
				t.Errorf("legal area %v too far from %v", p.LegalArea, p.Area)
			}
		}
		if p.OwnerName == "" {
			noOwner++
		}
	}
	n := float64(len(d.parcels))
	share := func(k int) float64 { return float64(k) / n }
	for _, c := range []struct {
		name   string
		got    float64
		lo, hi float64
	}{
		{"CLN", share(primary["CLN"]), 0.55, 0.65},
		{"HNK", share(primary["HNK"]), 0.05, 0.11},
		{"RSX", share(primary["RSX"]), 0.03, 0.08},
		{"ONT", share(primary["ONT"]), 0.06, 0.20},
		{"ODT", share(primary["ODT"]), 0.02, 0.12},
		{"LUC+LUK", share(primary["LUC"] + primary["LUK"]), 0.002, 0.03},
		{"legacy BHK/NHK", share(legacy), 0.002, 0.01},
		{"mixed", share(mixed), 0.02, 0.2},
		{"survey difference", share(surveyed), 0.15, 0.25},
		{"no owner", share(noOwner), 0.01, 0.1},
	} {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%s share: got %.4f, want %.3f..%.3f", c.name, c.got, c.lo, c.hi)
		}
	}
	for _, code := range []string{"TMD", "DGD", "DYT", "TSC", "NTD", "SKC", "DGT", "DTL"} {
		if primary[code] == 0 {
			t.Errorf("no %s parcel", code)
		}
	}
}

func TestParcels_PersonalData(t *testing.T) {
	d := testGenerated(t)
	idRe := regexp.MustCompile(`^070[0-3][0-9]{8}$`)
	certRe := regexp.MustCompile(`^\p{Lu}{2} [0-9]{6}$`)
	addrRe := regexp.MustCompile(`^(Thôn|Ấp|Khu phố) [0-9]+, (xã|phường|thị trấn) [^,]+, (huyện|thị xã|thành phố) [^,]+, tỉnh Bình Phước$`)
	for _, p := range d.parcels {
		if p.OwnerIDNumber != "" && !idRe.MatchString(p.OwnerIDNumber) {
			t.Errorf("ID number %q", p.OwnerIDNumber)
		}
		if p.CertificateNo != "" && !certRe.MatchString(p.CertificateNo) {
			t.Errorf("certificate %q", p.CertificateNo)
		}
		if !addrRe.MatchString(p.Address) {
			t.Errorf("address %q", p.Address)
		}
		state := map[string]bool{"DGT": true, "DTL": true, "TSC": true, "DGD": true, "DYT": true}
		if state[p.LandUse[0].Code] && (p.OwnerName != "" || p.OwnerIDNumber != "" || p.CertificateNo != "") {
			t.Errorf("state land %s has owner %q", p.LandUse[0].Code, p.OwnerName)
		}
	}
}

func TestParcels_DensityContrast(t *testing.T) {
	d := testGenerated(t)
	small, large := 0, 0
	for _, p := range d.parcels {
		switch {
		case p.Area >= 200 && p.Area <= 2000:
			small++
		case p.Area >= 5000:
			large++
		}
	}
	if small < len(d.parcels)/10 || large < len(d.parcels)/4 {
		t.Errorf("got %d parcels of 200–2,000 m² and %d of >= 0.5 ha among %d; want both common", small, large, len(d.parcels))
	}
}

func TestConstructions(t *testing.T) {
	d := testGenerated(t)
	byKey := map[ParcelKey]*Parcel{}
	withHouse := map[ParcelKey]bool{}
	for i := range d.parcels {
		p := &d.parcels[i]
		byKey[ParcelKey{p.CommuneCode, p.Sheet, p.Number}] = p
	}
	permitRe := regexp.MustCompile(`^[0-9]+/GPXD-(UBND|SXD)$`)
	straddle := 0
	for _, c := range d.constructions {
		if !permitRe.MatchString(c.PermitNo) {
			t.Errorf("permit %q", c.PermitNo)
		}
		if c.PermitDate < "2008-01-01" || c.PermitDate >= ReformDate || len(c.PermitDate) != 10 {
			t.Errorf("permit date %q", c.PermitDate)
		}
		if c.Storeys < 1 || c.Storeys > 9 || c.Basements < 0 || c.Basements > 1 {
			t.Errorf("storeys %d, basements %d", c.Storeys, c.Basements)
		}
		if c.Kind == "Nhà ở riêng lẻ" && c.Storeys > 4 {
			t.Errorf("house with %d storeys", c.Storeys)
		}
		if c.Status != "permitted" && c.Status != "under_construction" && c.Status != "completed" {
			t.Errorf("status %q", c.Status)
		}
		if (c.Grade == "II") != (c.PermitIssuer == "Sở Xây dựng tỉnh Bình Phước") {
			t.Errorf("grade %s issued by %q", c.Grade, c.PermitIssuer)
		}
		if want := c.FootprintArea * float64(c.Storeys+c.Basements); math.Abs(c.TotalFloorArea-want) > 0.1 {
			t.Errorf("total floor area %v, want %v", c.TotalFloorArea, want)
		}
		if math.Abs(c.FootprintArea-Area(c.Geometry)) > 0.05 {
			t.Errorf("footprint %v, geometry %v", c.FootprintArea, Area(c.Geometry))
		}
		if c.Kind == "Nhà ở riêng lẻ" && len(c.Parcels) == 1 && (c.FootprintArea < 20 || c.FootprintArea > 250) {
			t.Errorf("house footprint %v m²", c.FootprintArea)
		}
		if msg := checkRing(c.Geometry[0][0], true); msg != "" {
			t.Errorf("footprint: %s", msg)
		}
		switch len(c.Parcels) {
		case 1:
			p := byKey[c.Parcels[0]]
			if p == nil {
				t.Fatalf("construction on unknown parcel %v", c.Parcels[0])
			}
			withHouse[c.Parcels[0]] = true
			for _, q := range c.Geometry[0][0] {
				x := toXY(q[0], q[1])
				if !inMulti(pt{x.x, x.y}, p.Geometry) {
					t.Errorf("construction corner outside parcel %v", c.Parcels[0])
				}
			}
		case 2:
			straddle++
			a, b := byKey[c.Parcels[0]], byKey[c.Parcels[1]]
			if a == nil || b == nil || c.Parcels[0] == c.Parcels[1] {
				t.Fatalf("straddling construction on %v", c.Parcels)
			}
			ra, rb := ringXY(a.Geometry[0][0]), ringXY(b.Geometry[0][0])
			fp := ringXY(c.Geometry[0][0])
			oa, _ := overlapArea(fp, ra)
			ob, _ := overlapArea(fp, rb)
			if oa < 1 || ob < 1 || math.Abs(oa+ob-c.FootprintArea) > 0.5 {
				t.Errorf("straddling footprint %.1f m² over %v: %.1f + %.1f m²", c.FootprintArea, c.Parcels, oa, ob)
			}
		default:
			t.Errorf("construction on %d parcels", len(c.Parcels))
		}
	}
	res, built := 0, 0
	for k, p := range byKey {
		if c := p.LandUse[0].Code; c == "ONT" || c == "ODT" {
			res++
			if withHouse[k] {
				built++
			}
		}
	}
	if f := float64(built) / float64(res); f < 0.45 || f > 0.65 {
		t.Errorf("residential parcels with a house: got %.2f, want about 0.6", f)
	}
	if straddle == 0 {
		t.Errorf("no construction straddles two parcels")
	}
	t.Logf("%d constructions, %d straddling; %.2f of residential parcels built on", len(d.constructions), straddle, float64(built)/float64(res))
}

// Generating with or without constructions gives the same parcels.
func TestGenerate_ConstructionsIndependent(t *testing.T) {
	h1, h2 := sha256.New(), sha256.New()
	cfg := Config{Seed: 5, Parcels: 3000}
	write := func(w io.Writer) func(Parcel) error {
		return func(p Parcel) error {
			_, err := fmt.Fprintf(w, "%s %d %d %v %v\n", p.CommuneCode, p.Sheet, p.Number, p.Geometry, p.LandUse)
			return err
		}
	}
	if err := Generate(cfg, testUnits(t), Emitter{Parcel: write(h1), Construction: func(Construction) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	if err := Parcels(cfg, testUnits(t), write(h2)); err != nil {
		t.Fatal(err)
	}
	if a, b := fmt.Sprintf("%x", h1.Sum(nil)), fmt.Sprintf("%x", h2.Sum(nil)); a != b {
		t.Errorf("parcels differ with constructions on: %s vs %s", a, b)
	}
}

// TestParcels_SharedEdges checks that neighbours inside a commune share
// their edges bit for bit: every edge is either used backwards by another
// parcel or lies on the commune boundary.
func TestParcels_SharedEdges(t *testing.T) {
	d := testGenerated(t)
	communes := map[string]AdminUnit{}
	for _, u := range testUnits(t) {
		if u.Level == "commune" && u.ValidTo == ReformDate {
			communes[u.Code] = u
		}
	}
	type edge struct{ a, b [2]float64 }
	byCommune := map[string]map[edge]int{}
	for _, p := range d.parcels {
		m := byCommune[p.CommuneCode]
		if m == nil {
			m = map[edge]int{}
			byCommune[p.CommuneCode] = m
		}
		for _, pg := range p.Geometry {
			r := pg[0]
			for i := 0; i+1 < len(r); i++ {
				m[edge{r[i], r[i+1]}]++
			}
		}
	}
	checked := 0
	for code, edges := range byCommune {
		sub, _ := newSubject(communes[code].Geometry)
		for e, n := range edges {
			if n != 1 {
				t.Fatalf("commune %s: edge %v used %d times in one direction", code, e, n)
			}
			if edges[edge{e.b, e.a}] == 1 {
				checked++
				continue
			}
			a, b := toXY(e.a[0], e.a[1]), toXY(e.b[0], e.b[1])
			mid := xy{(a.x + b.x) / 2, (a.y + b.y) / 2}
			if d := math.Sqrt(boundaryDist2(mid, sub.pts, sub.next)); d > 1e-6 {
				t.Errorf("commune %s: edge %v is unmatched and %.3g m from the boundary", code, e, d)
			}
		}
	}
	if checked < len(d.parcels) {
		t.Errorf("only %d shared edges", checked)
	}
}

func TestVoronoi_NoDegenerateClips(t *testing.T) {
	w, err := newWorld(Config{Seed: 1, Parcels: testParcels}, testUnits(t))
	if err != nil {
		t.Fatal(err)
	}
	g := &gen{w: w}
	for _, c := range w.communes {
		if c.n > 0 {
			g.commune(c, false)
		}
	}
	if g.cb.degenerate != 0 {
		t.Errorf("got %d degenerate clips, want 0", g.cb.degenerate)
	}
}
