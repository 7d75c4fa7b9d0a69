package synth

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// The settlement model. Parcel seeds are drawn from a mixture:
//
//   - background: uniform over the commune, thinned away from roads
//     (large plantation parcels, 0.5–5 ha at 1M parcels);
//   - commune centres and district seats: round Gaussian clusters;
//   - villages along the roads: Gaussians elongated along the road;
//   - road corridors: a narrow band along every road (roadside lots).
//
// The share of each component in the total count is fixed, and the
// clusters are scaled with the requested count so that their cores hold
// parcels of about peakArea m² at any size: the density contrast between
// village cores and background is therefore larger for small counts.
const (
	shareBackground = 0.50
	shareCentre     = 0.22
	shareVillage    = 0.18
	shareRoad       = 0.10
	peakArea        = 130.0 // m² per parcel of a cluster's core alone (≈240 m² at its centre with the halo)
)

const (
	compBackground = iota
	compCentre
	compVillage
	compRoad
)

type kernel struct {
	c      xy
	ux, uy float64 // unit vector along the long axis
	sa, sp float64 // standard deviations along / across (m)
	w      float64
	comp   int
}

// mainRoads are the national and provincial roads as waypoints: a district
// code (its seat) or a lon/lat pair. Loosely modelled on QL13 (Chơn Thành –
// Bình Long – Lộc Ninh – Hoa Lư), QL14 (Chơn Thành – Đồng Xoài – Bù Đăng)
// and the ĐT741/753/759 provincial roads.
var mainRoads = [][]any{
	{[2]float64{106.66, 11.28}, "697", "694", "690", "692", [2]float64{106.50, 12.03}},
	{"697", "689", [2]float64{107.00, 11.62}, "696", [2]float64{107.44, 11.90}},
	{"689", "698", "688", "691", [2]float64{107.12, 12.28}},
	{"688", "693", [2]float64{106.80, 12.13}},
	{"692", "693"},
	{"689", "695", [2]float64{107.10, 11.42}},
	{"690", "698"},
	{"696", "691"},
}

// streams are the main rivers and streams (Sông Bé, Sông Sài Gòn, Sông Mã
// Đà, Sông Măng) and a few streams (suối), roughly placed.
var streams = [][][2]float64{
	{{107.20, 12.30}, {107.08, 12.10}, {107.02, 11.95}, {106.97, 11.80}, {106.93, 11.65}, {106.96, 11.50}, {107.00, 11.35}, {107.03, 11.25}},
	{{106.40, 11.92}, {106.44, 11.75}, {106.50, 11.60}, {106.57, 11.45}, {106.62, 11.30}},
	{{107.43, 11.70}, {107.25, 11.62}, {107.12, 11.50}, {107.05, 11.38}},
	{{106.62, 12.05}, {106.70, 11.95}, {106.78, 11.85}, {106.86, 11.78}},
	{{106.75, 11.75}, {106.80, 11.62}, {106.83, 11.45}},
	{{107.30, 12.05}, {107.22, 11.95}, {107.12, 11.88}},
	{{106.55, 11.95}, {106.60, 11.85}, {106.66, 11.78}},
	{{107.20, 11.75}, {107.28, 11.65}, {107.33, 11.55}},
	{{106.48, 11.70}, {106.55, 11.62}, {106.63, 11.58}},
}

type seg struct{ a, b xy }

// communeCtx is everything the generator knows about one pre-reform
// commune; read-only once built.
type communeCtx struct {
	code, name, kind       string
	districtCode, district string
	districtKind           string
	hamlet                 string // "Thôn", "Ấp" or "Khu phố"
	urban                  bool
	forest                 bool // more production forest (north and east)
	sub                    *subject
	area                   float64
	centre                 xy
	kernels                []kernel
	roads                  []seg // road segments near the commune
	streams                []seg
	roadLen                float64 // road length inside the commune
	n                      int     // parcels
	nComp                  [4]int
	roadSigma              float64
}

type world struct {
	seed     int64
	communes []*communeCtx
}

// ErrInvalid is returned (wrapped) for an invalid Config or units that
// cannot be generated on.
var ErrInvalid = errors.New("synth: invalid input")

func seatOf(code string) (xy, bool) {
	for _, d := range districtDefs {
		if d.code == code {
			return toXY(d.lon, d.lat), true
		}
	}
	return xy{}, false
}

// newWorld reads the pre-reform communes from units (communes whose parent
// is a district in units) and lays out roads, settlements and parcel counts.
func newWorld(cfg Config, units []AdminUnit) (*world, error) {
	if cfg.Parcels < 1 {
		return nil, fmt.Errorf("%w: Parcels = %d, want >= 1", ErrInvalid, cfg.Parcels)
	}
	districts := map[string]*AdminUnit{}
	for i := range units {
		if units[i].Level == "district" {
			districts[units[i].Code] = &units[i]
		}
	}
	w := &world{seed: cfg.Seed}
	for i := range units {
		u := &units[i]
		d, ok := districts[u.ParentCode]
		if u.Level != "commune" || !ok {
			continue
		}
		sub, ok := newSubject(u.Geometry)
		if !ok {
			return nil, fmt.Errorf("%w: commune %s: empty geometry or holes (not supported)", ErrInvalid, u.Code)
		}
		c := &communeCtx{
			code: u.Code, name: u.Name, kind: u.Kind,
			districtCode: d.Code, district: d.Name, districtKind: d.Kind,
			urban: u.Kind == "Phường" || u.Kind == "Thị trấn",
			sub:   sub, area: sub.area(),
			hamlet: "Ấp",
		}
		for _, dd := range districtDefs {
			if dd.code == d.Code {
				c.hamlet = dd.hamlet
			}
		}
		if c.urban {
			c.hamlet = "Khu phố"
		}
		c.forest = d.Code == "691" || d.Code == "693" || d.Code == "696"
		c.centre = interiorPoint(sub)
		w.communes = append(w.communes, c)
	}
	if len(w.communes) == 0 {
		return nil, fmt.Errorf("%w: no communes with a district parent in units", ErrInvalid)
	}
	slices.SortFunc(w.communes, func(a, b *communeCtx) int { return cmp.Compare(a.code, b.code) })
	w.layout(cfg)
	return w, nil
}

// interiorPoint returns the centroid of the largest ring if it lies well
// inside, else the sampled point farthest from the boundary.
func interiorPoint(s *subject) xy {
	best, bestA := 0, -1.0
	st := 0
	for i, e := range s.ends {
		if a := ringArea(s.pts[st:e]); a > bestA {
			best, bestA = i, a
		}
		st = int(e)
	}
	st = 0
	if best > 0 {
		st = int(s.ends[best-1])
	}
	ring := s.pts[st:s.ends[best]]
	var cx, cy, a float64
	for i := range ring {
		p, q := ring[i], ring[(i+1)%len(ring)]
		c := (p.x-ring[0].x)*(q.y-ring[0].y) - (q.x-ring[0].x)*(p.y-ring[0].y)
		a += c
		cx += (p.x + q.x - 2*ring[0].x) * c
		cy += (p.y + q.y - 2*ring[0].y) * c
	}
	cen := xy{ring[0].x + cx/(3*a), ring[0].y + cy/(3*a)}
	size := math.Sqrt(bestA)
	if pointInRings(cen, s.pts, s.ends) && math.Sqrt(boundaryDist2(cen, s.pts, s.next)) > 0.15*size {
		return cen
	}
	bd := -1.0
	for i := range 24 {
		for j := range 24 {
			p := xy{s.bb[0] + (float64(i)+0.5)/24*(s.bb[2]-s.bb[0]), s.bb[1] + (float64(j)+0.5)/24*(s.bb[3]-s.bb[1])}
			if !pointInRings(p, s.pts, s.ends) {
				continue
			}
			if d := boundaryDist2(p, s.pts, s.next); d > bd {
				bd, cen = d, p
			}
		}
	}
	return cen
}

func (w *world) communeAt(p xy) *communeCtx {
	for _, c := range w.communes {
		bb := c.sub.bb
		if p.x < bb[0] || p.x > bb[2] || p.y < bb[1] || p.y > bb[3] {
			continue
		}
		if pointInRings(p, c.sub.pts, c.sub.ends) {
			return c
		}
	}
	return nil
}

// wiggle subdivides a polyline into pieces of about step metres and
// displaces the inner points sideways by a correlated random walk.
func wiggle(r *rand.Rand, pts []xy, step, sd, corr float64) []xy {
	out := []xy{pts[0]}
	for i := 0; i+1 < len(pts); i++ {
		a, b := pts[i], pts[i+1]
		dx, dy := b.x-a.x, b.y-a.y
		l := math.Hypot(dx, dy)
		n := max(1, int(l/step))
		nx, ny := -dy/l, dx/l
		off := 0.0
		for k := 1; k < n; k++ {
			t := float64(k) / float64(n)
			off = corr*off + r.NormFloat64()*sd
			// pin both ends of the piece
			damp := math.Min(1, 4*math.Min(t, 1-t))
			out = append(out, xy{a.x + t*dx + nx*off*damp, a.y + t*dy + ny*off*damp})
		}
		out = append(out, b)
	}
	return out
}

func polylineLen(p []xy) float64 {
	var l float64
	for i := 0; i+1 < len(p); i++ {
		l += math.Hypot(p[i+1].x-p[i].x, p[i+1].y-p[i].y)
	}
	return l
}

// pointAlong returns the point at arc length s and the unit direction there.
func pointAlong(p []xy, s float64) (xy, float64, float64) {
	for i := 0; i+1 < len(p); i++ {
		dx, dy := p[i+1].x-p[i].x, p[i+1].y-p[i].y
		l := math.Hypot(dx, dy)
		if s <= l || i+2 == len(p) {
			t := min(1, s/l)
			return xy{p[i].x + t*dx, p[i].y + t*dy}, dx / l, dy / l
		}
		s -= l
	}
	return p[0], 1, 0
}

func nearestOnPolyline(p xy, line []xy) (xy, float64) {
	best, bd := line[0], math.Inf(1)
	for i := 0; i+1 < len(line); i++ {
		a, b := line[i], line[i+1]
		dx, dy := b.x-a.x, b.y-a.y
		t := max(0, min(1, ((p.x-a.x)*dx+(p.y-a.y)*dy)/(dx*dx+dy*dy)))
		q := xy{a.x + t*dx, a.y + t*dy}
		if d := math.Hypot(q.x-p.x, q.y-p.y); d < bd {
			best, bd = q, d
		}
	}
	return best, bd
}

func (w *world) layout(cfg Config) {
	r := unitRand(cfg.Seed, "70", "roads")
	N := float64(cfg.Parcels)

	// Roads: main roads through the district seats, then a road from every
	// commune centre to the nearest main road or its district seat.
	var roads [][]xy
	for _, def := range mainRoads {
		var pts []xy
		for _, wp := range def {
			switch v := wp.(type) {
			case string:
				p, _ := seatOf(v)
				pts = append(pts, p)
			case [2]float64:
				pts = append(pts, toXY(v[0], v[1]))
			}
		}
		roads = append(roads, wiggle(r, pts, 2500, 220, 0.6))
	}
	nMain := len(roads)
	for _, c := range w.communes {
		seat, ok := seatOf(c.districtCode)
		if !ok {
			continue
		}
		target, dSeat := seat, math.Hypot(seat.x-c.centre.x, seat.y-c.centre.y)
		if dSeat < 1500 {
			continue // the seat commune itself
		}
		for _, rd := range roads[:nMain] {
			if q, d := nearestOnPolyline(c.centre, rd); d < dSeat && d > 300 {
				target, dSeat = q, d
			}
		}
		roads = append(roads, wiggle(r, []xy{c.centre, target}, 1200, 120, 0.7))
	}
	var rivers [][]xy
	for _, s := range streams {
		pts := make([]xy, len(s))
		for i, p := range s {
			pts[i] = toXY(p[0], p[1])
		}
		rivers = append(rivers, wiggle(r, pts, 600, 160, 0.85))
	}

	// Kernels: commune centres (seats weigh more), villages along roads.
	var kernels []kernel
	for _, c := range w.communes {
		wt := 1.0
		if c.urban {
			wt = 1.9
		}
		if seat, ok := seatOf(c.districtCode); ok && pointInRings(seat, c.sub.pts, c.sub.ends) {
			wt += 2.5
			if c.districtKind != "Huyện" {
				wt += 1.5
			}
		}
		kernels = append(kernels, kernel{c: c.centre, ux: 1, w: wt, comp: compCentre})
	}
	for ri, rd := range roads {
		l := polylineLen(rd)
		if ri >= nMain { // commune road: one village part-way
			if l > 3000 {
				p, ux, uy := pointAlong(rd, l*(0.4+0.3*r.Float64()))
				kernels = append(kernels, kernel{c: p, ux: ux, uy: uy, w: 0.55, comp: compVillage})
			}
			continue
		}
		for s := 2000 + 2000*r.Float64(); s < l-1000; s += 3000 + 2500*r.Float64() {
			p, ux, uy := pointAlong(rd, s)
			kernels = append(kernels, kernel{c: p, ux: ux, uy: uy, w: 0.55, comp: compVillage})
		}
	}
	var wSum [4]float64
	owner := make([]*communeCtx, len(kernels))
	for i, k := range kernels {
		if c := w.communeAt(k.c); c != nil {
			owner[i] = c
			wSum[k.comp] += k.w
		}
	}
	for i := range kernels {
		k := &kernels[i]
		if owner[i] == nil {
			continue
		}
		m := N * compShare(k.comp) * k.w / wSum[k.comp]
		aspect := 1.0
		if k.comp == compVillage {
			aspect = 2.5
		}
		k.sp = max(12, math.Sqrt(peakArea*m/(2*math.Pi*aspect)))
		k.sa = aspect * k.sp
		owner[i].kernels = append(owner[i].kernels, *k)
	}

	// Road length per commune, sampled every 50 m, and nearby segments.
	var lTot float64
	for _, rd := range roads {
		l := polylineLen(rd)
		for s := 25.0; s < l; s += 50 {
			p, _, _ := pointAlong(rd, s)
			if c := w.communeAt(p); c != nil {
				c.roadLen += 50
				lTot += 50
			}
		}
	}
	for _, c := range w.communes {
		bb := c.sub.bb
		near := func(a, b xy, m float64) bool {
			return max(a.x, b.x) >= bb[0]-m && min(a.x, b.x) <= bb[2]+m && max(a.y, b.y) >= bb[1]-m && min(a.y, b.y) <= bb[3]+m
		}
		for _, rd := range roads {
			for i := 0; i+1 < len(rd); i++ {
				if near(rd[i], rd[i+1], 2500) {
					c.roads = append(c.roads, seg{rd[i], rd[i+1]})
				}
			}
		}
		for _, rv := range rivers {
			for i := 0; i+1 < len(rv); i++ {
				if near(rv[i], rv[i+1], 500) {
					c.streams = append(c.streams, seg{rv[i], rv[i+1]})
				}
			}
		}
		c.roadSigma = max(8, min(60, 25*math.Sqrt(N/1e6)))
	}

	// Parcel counts: exact total by largest remainder over communes, then
	// over the components of each commune.
	var aTot float64
	for _, c := range w.communes {
		aTot += c.area
	}
	masses := make([][4]float64, len(w.communes))
	tot := make([]float64, len(w.communes))
	for i, c := range w.communes {
		m := &masses[i]
		m[compBackground] = shareBackground * c.area / aTot
		for _, k := range c.kernels {
			m[k.comp] += compShare(k.comp) * k.w / wSum[k.comp]
		}
		if lTot > 0 {
			m[compRoad] = shareRoad * c.roadLen / lTot
		}
		tot[i] = m[0] + m[1] + m[2] + m[3]
	}
	ns := largestRemainder(tot, cfg.Parcels)
	for i, c := range w.communes {
		c.n = ns[i]
		cs := largestRemainder(masses[i][:], c.n)
		copy(c.nComp[:], cs)
	}
}

func compShare(comp int) float64 {
	switch comp {
	case compCentre:
		return shareCentre
	case compVillage:
		return shareVillage
	case compRoad:
		return shareRoad
	}
	return shareBackground
}

// largestRemainder splits total into integers proportional to w.
func largestRemainder(w []float64, total int) []int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	n := make([]int, len(w))
	if sum <= 0 {
		if len(n) > 0 {
			n[0] = total
		}
		return n
	}
	type rem struct {
		f float64
		i int
	}
	rs := make([]rem, len(w))
	got := 0
	for i, x := range w {
		q := float64(total) * x / sum
		n[i] = int(q)
		got += n[i]
		rs[i] = rem{q - float64(n[i]), i}
	}
	slices.SortStableFunc(rs, func(a, b rem) int { return cmp.Compare(b.f, a.f) })
	for k := 0; got < total; k++ {
		n[rs[k%len(rs)].i]++
		got++
	}
	return n
}
