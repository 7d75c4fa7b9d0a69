package synth

import (
	"cmp"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/paulmach/orb"
)

// AdminUnit is one version of an administrative unit. A unit changed by the
// 2025 reform appears twice: the old version with ValidTo "2025-07-01" and
// the new one with ValidFrom "2025-07-01". Validity is half-open:
// ValidFrom <= date < ValidTo, "" meaning unbounded.
type AdminUnit struct {
	Code, Name string
	// Kind is the Vietnamese unit type: "Tỉnh", "Thành phố", "Thị xã",
	// "Huyện", "Phường", "Xã" or "Thị trấn".
	Kind string
	// Level is "province", "district" or "commune".
	Level      string
	ParentCode string
	// ValidFrom and ValidTo are "YYYY-MM-DD" or "" for unbounded.
	ValidFrom, ValidTo string
	Geometry           orb.MultiPolygon // EPSG:4326, CCW exteriors
}

// ReformDate is the day Bình Phước became part of Đồng Nai and the district
// level was abolished (NQ 202/2025/QH15, Law 72/2025/QH15).
const ReformDate = "2025-07-01"

// Province codes before and after the reform.
const (
	ProvinceCodeBinhPhuoc = "70"
	ProvinceCodeDongNai   = "75"
)

type districtDef struct {
	code, kind, short string
	lon, lat          float64 // approximate real centroid: the Voronoi site
	thiTran           bool    // a huyện with a thị trấn at its seat
	hamlet            string  // "Thôn" or "Ấp"
}

// The 11 districts of Bình Phước with their real codes and names (GSO,
// QĐ 124/2004/QĐ-TTg); coordinates are approximate real centroids.
var districtDefs = []districtDef{
	{"688", "Thị xã", "Phước Long", 106.995, 11.82, false, "Thôn"},
	{"689", "Thành phố", "Đồng Xoài", 106.84, 11.518, false, "Ấp"},
	{"690", "Thị xã", "Bình Long", 106.579, 11.70, false, "Ấp"},
	{"691", "Huyện", "Bù Gia Mập", 107.005, 11.994, false, "Thôn"},
	{"692", "Huyện", "Lộc Ninh", 106.571, 11.831, true, "Ấp"},
	{"693", "Huyện", "Bù Đốp", 106.837, 11.989, true, "Ấp"},
	{"694", "Huyện", "Hớn Quản", 106.618, 11.648, true, "Ấp"},
	{"695", "Huyện", "Đồng Phú", 106.935, 11.496, true, "Ấp"},
	{"696", "Huyện", "Bù Đăng", 107.22, 11.828, true, "Thôn"},
	{"697", "Thị xã", "Chơn Thành", 106.704, 11.482, false, "Ấp"},
	{"698", "Huyện", "Phú Riềng", 106.902, 11.729, false, "Thôn"},
}

func (d districtDef) name() string { return d.kind + " " + d.short }
func (d districtDef) town() bool   { return d.kind != "Huyện" }

// provinceOutline is the synthetic outline of Bình Phước (lon, lat; CCW):
// 44 vertices spanning the real extent 106.411..107.427 E,
// 11.302..12.297 N, about 7,000 km² in the local equal-area approximation
// (the real province: 6,877 km²). It is not the real boundary.
var provinceOutline = [][2]float64{
	{106.4110, 11.8000}, {106.4304, 11.7154}, {106.4700, 11.6600}, {106.5102, 11.5973},
	{106.5600, 11.5500}, {106.5931, 11.4980}, {106.6000, 11.4200}, {106.6489, 11.3852},
	{106.7000, 11.3600}, {106.7929, 11.3319}, {106.8500, 11.3020}, {106.9048, 11.3117},
	{106.9800, 11.3400}, {107.0259, 11.3806}, {107.0600, 11.4400}, {107.1106, 11.4765},
	{107.1600, 11.5600}, {107.2284, 11.5852}, {107.3000, 11.6600}, {107.3748, 11.7049},
	{107.4270, 11.7600}, {107.3912, 11.8273}, {107.3900, 11.9000}, {107.3446, 11.9529},
	{107.3000, 11.9800}, {107.2694, 12.0480}, {107.2600, 12.1200}, {107.2217, 12.2257},
	{107.1700, 12.2970}, {107.1359, 12.2571}, {107.0700, 12.2000}, {107.0249, 12.1570},
	{106.9700, 12.1100}, {106.8978, 12.1035}, {106.8600, 12.1200}, {106.7962, 12.0848},
	{106.7600, 12.0600}, {106.7194, 12.0353}, {106.6600, 12.0200}, {106.5997, 12.0203},
	{106.5600, 12.0100}, {106.5135, 11.9503}, {106.4700, 11.9300}, {106.4278, 11.8607},
}

// communesTotal is the number of communes of Bình Phước before the reform.
const communesTotal = 111

func provinceGeometry() orb.MultiPolygon {
	r := make(orb.Ring, 0, len(provinceOutline)+1)
	for _, p := range provinceOutline {
		r = append(r, orb.Point{p[0], p[1]})
	}
	r = append(r, r[0])
	return orb.MultiPolygon{{r}}
}

// unitRand returns the random stream for one unit and purpose, independent
// of generation order.
func unitRand(seed int64, code, purpose string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(code))
	h.Write([]byte{0})
	h.Write([]byte(purpose))
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

// cells computes the Voronoi cells of sites clipped to sub (small site sets).
func cells(sub *subject, sites []xy, minPart float64) []poly {
	var cb cellBuilder
	cb.reset(sub, sites)
	out := make([]poly, len(sites))
	for i := range sites {
		c := cb.cell(int32(i), math.Inf(1))
		tidy(c, minPart, sites[i])
		out[i].copyFrom(c)
	}
	return out
}

// commune is the internal record of a pre-reform commune.
type communeRec struct {
	idx  int // site index within its district
	site xy
	poly poly // cell in the district's frame (labels refer to district subject / sites)
	unit AdminUnit
	rank int // 0 seat, 1 other urban, 2 rural
}

// AdminUnits returns the synthetic administrative units of Bình Phước:
// province 70, its 11 districts (real codes and names) and 111 communes
// (synthetic names and codes), all valid until 2025-07-01, followed by the
// 2025 reform versions valid from 2025-07-01: province 75 (Đồng Nai, only
// its former Bình Phước part is modelled) and about 45 communes formed by
// merging 2–3 neighbours (rarely 1 or 4) of the same former district.
//
// The province outline and the districts do not depend on seed; communes
// and their names do. Units of one level tile their parent without gaps or
// overlaps: neighbours inside a district share vertices bit for bit; across
// district lines the vertex sets differ but lie on the same segment.
func AdminUnits(seed int64) []AdminUnit {
	provGeom := provinceGeometry()
	psub, _ := newSubject(provGeom)
	var units []AdminUnit
	units = append(units, AdminUnit{
		Code: ProvinceCodeBinhPhuoc, Name: "Tỉnh Bình Phước", Kind: "Tỉnh", Level: "province",
		ValidTo: ReformDate, Geometry: provGeom,
	})

	// Districts: Voronoi cells of the real centroids clipped to the province.
	dsites := make([]xy, len(districtDefs))
	for i, d := range districtDefs {
		dsites[i] = toXY(d.lon, d.lat)
	}
	dcells := cells(psub, dsites, 1e5)
	dgeoms := make([]orb.MultiPolygon, len(districtDefs))
	dareas := make([]float64, len(districtDefs))
	for i, d := range districtDefs {
		dgeoms[i] = psub.toLonLat(&dcells[i])
		dareas[i] = Area(dgeoms[i])
		units = append(units, AdminUnit{
			Code: d.code, Name: d.name(), Kind: d.kind, Level: "district",
			ParentCode: ProvinceCodeBinhPhuoc, ValidTo: ReformDate, Geometry: dgeoms[i],
		})
	}

	counts := allocateCounts(dareas, communesTotal, 5)
	var newUnits []AdminUnit
	usedNew := map[string]bool{}
	for di, d := range districtDefs {
		dsub, _ := newSubject(dgeoms[di])
		recs := districtCommunes(seed, d, di, dsub, dsites[di], counts[di])
		for _, c := range recs {
			units = append(units, c.unit)
		}
		newUnits = append(newUnits, reformDistrict(seed, d, dsub, recs, usedNew)...)
	}

	units = append(units, AdminUnit{
		Code: ProvinceCodeDongNai, Name: "Tỉnh Đồng Nai", Kind: "Tỉnh", Level: "province",
		ValidFrom: ReformDate, Geometry: provinceGeometry(),
	})
	slices.SortFunc(newUnits, func(a, b AdminUnit) int { return cmp.Compare(a.Code, b.Code) })
	return append(units, newUnits...)
}

// allocateCounts splits total into len(w) integers proportional to w, each
// at least lo, summing to total (largest remainder).
func allocateCounts(w []float64, total, lo int) []int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	n := make([]int, len(w))
	q := make([]float64, len(w))
	got := 0
	for i, x := range w {
		if sum > 0 {
			q[i] = float64(total) * x / sum
		}
		n[i] = max(lo, int(q[i]))
		got += n[i]
	}
	for got < total {
		best := -1
		for i := range n {
			if best < 0 || q[i]-float64(n[i]) > q[best]-float64(n[best]) {
				best = i
			}
		}
		n[best]++
		got++
	}
	for got > total {
		best := -1
		for i := range n {
			if n[i] > lo && (best < 0 || q[i]-float64(n[i]) < q[best]-float64(n[best])) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		n[best]--
		got--
	}
	return n
}

// districtCommunes places n commune sites in a district (best-candidate
// sampling, the district seat first), cuts the district into their Voronoi
// cells and names them.
func districtCommunes(seed int64, d districtDef, di int, dsub *subject, seat xy, n int) []*communeRec {
	r := unitRand(seed, d.code, "communes")
	sites := []xy{seat}
	bb := dsub.bb
	randIn := func() xy {
		for {
			p := xy{bb[0] + r.Float64()*(bb[2]-bb[0]), bb[1] + r.Float64()*(bb[3]-bb[1])}
			if pointInRings(p, dsub.pts, dsub.ends) {
				return p
			}
		}
	}
	for len(sites) < n {
		var best xy
		bestScore := -1.0
		for range 24 {
			p := randIn()
			s := math.Sqrt(boundaryDist2(p, dsub.pts, dsub.next)) * 1.6
			for _, q := range sites {
				s = min(s, math.Hypot(p.x-q.x, p.y-q.y))
			}
			if s > bestScore {
				best, bestScore = p, s
			}
		}
		sites = append(sites, best)
	}
	cs := cells(dsub, sites, 1e4)
	recs := make([]*communeRec, n)
	for i := range recs {
		recs[i] = &communeRec{idx: i, site: sites[i], poly: cs[i], rank: 2}
	}
	// Kinds: the seat of a town and its nearest neighbours are wards
	// (phường); a huyện seat is a thị trấn (if the district has one).
	byDist := slices.Clone(recs)
	slices.SortStableFunc(byDist, func(a, b *communeRec) int {
		return cmp.Compare(math.Hypot(a.site.x-seat.x, a.site.y-seat.y), math.Hypot(b.site.x-seat.x, b.site.y-seat.y))
	})
	kinds := make([]string, n)
	for i := range kinds {
		kinds[i] = "Xã"
	}
	switch {
	case d.town():
		nw := int(math.Round(0.7 * float64(n)))
		for k := 0; k < nw; k++ {
			kinds[byDist[k].idx] = "Phường"
			byDist[k].rank = 1
		}
	case d.thiTran:
		kinds[0] = "Thị trấn"
		recs[0].rank = 1
	}
	recs[0].rank = 0
	// Codes: urban units first, then north to south.
	order := slices.Clone(recs)
	slices.SortStableFunc(order, func(a, b *communeRec) int {
		ua, ub := kinds[a.idx] != "Xã", kinds[b.idx] != "Xã"
		if ua != ub {
			if ua {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.site.y, a.site.y)
	})
	used := map[string]bool{}
	for k, c := range order {
		var nm string
		for {
			a, b := pick(r, nameFirst), pick(r, nameSecond)
			if a == b {
				continue
			}
			nm = a + " " + b
			if !used[nm] {
				used[nm] = true
				break
			}
		}
		kind := kinds[c.idx]
		c.unit = AdminUnit{
			Code:       strconv.Itoa(25190 + 40*di + k),
			Name:       kind + " " + nm,
			Kind:       kind,
			Level:      "commune",
			ParentCode: d.code,
			ValidTo:    ReformDate,
			Geometry:   dsub.toLonLat(&c.poly),
		}
	}
	slices.SortFunc(order, func(a, b *communeRec) int { return cmp.Compare(a.unit.Code, b.unit.Code) })
	return order
}

// reformDistrict merges the communes of one former district into groups of
// 2–3 neighbours (rarely 4), the 2025 communes of Đồng Nai.
func reformDistrict(seed int64, d districtDef, dsub *subject, recs []*communeRec, usedNames map[string]bool) []AdminUnit {
	r := unitRand(seed, d.code, "reform")
	n := len(recs)
	byIdx := make([]*communeRec, n)
	for _, c := range recs {
		byIdx[c.idx] = c
	}
	// adjacency from shared bisector edges
	adj := make([][]int, n)
	for _, c := range recs {
		for ri := range c.poly.end {
			ring := c.poly.ring(ri)
			for k, v := range ring {
				w := ring[(k+1)%len(ring)]
				if v.lab < 0 && math.Hypot(w.x-v.x, w.y-v.y) > 1 {
					j := int(-v.lab - 1)
					if !slices.Contains(adj[c.idx], j) {
						adj[c.idx] = append(adj[c.idx], j)
					}
				}
			}
		}
	}
	for i := range adj {
		slices.SortFunc(adj[i], func(a, b int) int { return cmp.Compare(byIdx[a].unit.Code, byIdx[b].unit.Code) })
	}
	group := make([]int, n)
	for i := range group {
		group[i] = -1
	}
	var groups [][]int
	free := func(i int) []int {
		var f []int
		for _, j := range adj[i] {
			if group[j] == -1 {
				f = append(f, j)
			}
		}
		return f
	}
	// Greedy matching, most constrained first: the ungrouped commune with
	// the fewest ungrouped neighbours picks the most constrained of them,
	// which leaves few communes without a partner.
	var lonely []int
	for {
		i, fi := -1, 0
		for _, c := range recs { // code order breaks ties
			if group[c.idx] != -1 {
				continue
			}
			if f := len(free(c.idx)); i < 0 || f < fi {
				i, fi = c.idx, f
			}
		}
		if i < 0 {
			break
		}
		f := free(i)
		if len(f) == 0 {
			lonely = append(lonely, i)
			group[i] = -2
			continue
		}
		partner := f[0]
		for _, j := range f[1:] {
			if len(free(j)) < len(free(partner)) || (len(free(j)) == len(free(partner)) && r.IntN(2) == 0) {
				partner = j
			}
		}
		g := []int{i, partner}
		group[i], group[partner] = len(groups), len(groups)
		if r.IntN(100) < 30 {
			cand := append(free(i), free(partner)...)
			if len(cand) > 0 {
				k := cand[r.IntN(len(cand))]
				g = append(g, k)
				group[k] = len(groups)
			}
		}
		groups = append(groups, g)
	}
	for _, i := range lonely {
		best := -1
		for _, j := range adj[i] {
			if g := group[j]; g >= 0 && (best < 0 || len(groups[g]) < len(groups[best])) {
				best = g
			}
		}
		if best < 0 || len(groups[best]) >= 4 {
			// kept unchanged, as a few communes were in 2025
			group[i] = len(groups)
			groups = append(groups, []int{i})
			continue
		}
		group[i] = best
		groups[best] = append(groups[best], i)
	}

	var out []AdminUnit
	for gi, g := range groups {
		members := make([]*communeRec, len(g))
		for k, i := range g {
			members[k] = byIdx[i]
		}
		slices.SortFunc(members, func(a, b *communeRec) int {
			if a.rank != b.rank {
				return cmp.Compare(a.rank, b.rank)
			}
			return cmp.Compare(a.unit.Code, b.unit.Code)
		})
		keep := members[0]
		kind := "Xã"
		if keep.unit.Kind == "Phường" {
			kind = "Phường"
		}
		var nm string
		if keep.rank == 0 {
			nm = d.short
		} else {
			nm = bareName(keep.unit.Name, keep.unit.Kind)
		}
		if usedNames[nm] {
			nm = ""
			for _, a := range members {
				for _, b := range members {
					fa := firstWord(bareName(a.unit.Name, a.unit.Kind))
					lb := lastWord(bareName(b.unit.Name, b.unit.Kind))
					if c := fa + " " + lb; fa != lb && !usedNames[c] && nm == "" {
						nm = c
					}
				}
			}
			for nm == "" || usedNames[nm] {
				a, b := pick(r, nameFirst), pick(r, nameSecond)
				if a != b {
					nm = a + " " + b
				}
			}
		}
		usedNames[nm] = true
		inGroup := func(j int32) bool { return group[j] == gi }
		var polys []*poly
		for _, m := range members {
			polys = append(polys, &m.poly)
		}
		out = append(out, AdminUnit{
			Code:       keep.unit.Code,
			Name:       kind + " " + nm,
			Kind:       kind,
			Level:      "commune",
			ParentCode: ProvinceCodeDongNai,
			ValidFrom:  ReformDate,
			Geometry:   mergeCells(dsub, polys, inGroup),
		})
	}
	return out
}

func firstWord(s string) string {
	for i, c := range s {
		if c == ' ' {
			return s[:i]
		}
	}
	return s
}

func lastWord(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ' ' {
			return s[i+1:]
		}
	}
	return s
}

// mergeCells returns the union of cells of one Voronoi diagram: edges on
// bisectors between two members are dropped (they are shared exactly) and
// the remaining edges are chained into rings, tracing faces so that a
// vertex visited twice still yields simple rings. Holes come out clockwise.
func mergeCells(sub *subject, cells []*poly, inGroup func(int32) bool) orb.MultiPolygon {
	type edge struct {
		from, to xy
		v        vtx
		used     bool
	}
	var edges []edge
	starts := map[xy][]int{}
	for _, c := range cells {
		for ri := range c.end {
			ring := c.ring(ri)
			for k, v := range ring {
				if v.lab < 0 && inGroup(-v.lab-1) {
					continue
				}
				w := ring[(k+1)%len(ring)]
				starts[xy{v.x, v.y}] = append(starts[xy{v.x, v.y}], len(edges))
				edges = append(edges, edge{from: xy{v.x, v.y}, to: xy{w.x, w.y}, v: v})
			}
		}
	}
	var rings [][]vtx
	for e0 := range edges {
		if edges[e0].used {
			continue
		}
		var ring []vtx
		e := e0
		for {
			edges[e].used = true
			ring = append(ring, edges[e].v)
			cand := starts[edges[e].to]
			next := -1
			var bestTurn float64
			in := math.Atan2(edges[e].from.y-edges[e].to.y, edges[e].from.x-edges[e].to.x)
			for _, c := range cand {
				if edges[c].used && c != e0 {
					continue
				}
				out := math.Atan2(edges[c].to.y-edges[c].from.y, edges[c].to.x-edges[c].from.x)
				turn := math.Mod(in-out+4*math.Pi, 2*math.Pi)
				if turn == 0 {
					turn = 2 * math.Pi
				}
				if next < 0 || turn < bestTurn {
					next, bestTurn = c, turn
				}
			}
			if next < 0 || next == e0 {
				break
			}
			e = next
		}
		// drop vertices in the middle of one subject edge
		var clean []vtx
		for k, v := range ring {
			prev := ring[(k+len(ring)-1)%len(ring)]
			if v.orig < 0 && v.lab >= 0 && prev.lab == v.lab {
				continue
			}
			clean = append(clean, v)
		}
		if len(clean) >= 3 {
			rings = append(rings, clean)
		}
	}
	// outer rings (CCW) and holes (CW)
	var mp orb.MultiPolygon
	var holes [][]vtx
	var outers [][]vtx
	for _, r := range rings {
		if vtxArea(r) > 0 {
			outers = append(outers, r)
		} else {
			holes = append(holes, r)
		}
	}
	conv := func(r []vtx) orb.Ring {
		var p poly
		p.v = r
		p.end = []int32{int32(len(r))}
		m := sub.toLonLat(&p)
		if len(m) == 0 {
			return nil
		}
		return m[0][0]
	}
	for _, o := range outers {
		pg := orb.Polygon{conv(o)}
		for _, h := range holes {
			if pointInVtxRing(xy{h[0].x, h[0].y}, o) {
				// keep the clockwise orientation of holes
				hr := make(orb.Ring, 0, len(h)+1)
				for _, v := range h {
					if v.orig >= 0 {
						hr = append(hr, sub.ll[v.orig])
					} else {
						hr = append(hr, toLL(xy{v.x, v.y}))
					}
				}
				hr = append(hr, hr[0])
				pg = append(pg, hr)
			}
		}
		mp = append(mp, pg)
	}
	return mp
}
