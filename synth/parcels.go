package synth

import (
	"cmp"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/paulmach/orb"
)

// Config selects what Parcels generates.
type Config struct {
	// Seed selects the random layout: the same Seed (and units) always
	// gives byte-identical output; different seeds differ.
	Seed int64
	// Parcels is the total number of parcels, at least 1. Exactly this many
	// are generated, split over the communes.
	Parcels int
}

// LandUse is one land-use purpose of a parcel with its area.
type LandUse struct {
	Code string  // land-use code, e.g. "ONT", "CLN"; a few legacy "BHK"/"NHK"
	Area float64 // m², rounded to 0.1
}

// Parcel is a land parcel (thửa đất). (CommuneCode, Sheet, Number) is unique.
type Parcel struct {
	CommuneCode string
	Sheet       int // map sheet number (số hiệu tờ bản đồ), 1..N per commune
	Number      int // parcel number (số thứ tự thửa), 1..M per sheet
	// LandUse lists the purposes, the residential one first; their areas
	// sum to Area.
	LandUse []LandUse
	// Area is the geometric area in m² (local equal-area approximation,
	// see Area), rounded to 0.1.
	Area float64
	// LegalArea is the area on record (diện tích pháp lý): Area, or for
	// about one parcel in five Area with a small survey difference.
	LegalArea float64
	Address   string
	// Personal data, synthetic: empty for state land (roads, canals,
	// offices, schools...).
	OwnerName, OwnerIDNumber, CertificateNo string
	Geometry                                orb.MultiPolygon // EPSG:4326, CCW exteriors
}

// ParcelKey identifies a parcel.
type ParcelKey struct {
	CommuneCode   string
	Sheet, Number int
}

// Construction is a building with its construction permit.
type Construction struct {
	PermitNo     string // "123/GPXD-UBND", "45/GPXD-SXD"
	PermitDate   string // YYYY-MM-DD
	PermitIssuer string // "UBND huyện Đồng Phú", "Sở Xây dựng tỉnh Bình Phước"
	Kind         string // "Nhà ở riêng lẻ", "Nhà xưởng", "Trường học"...
	Grade        string // "I".."IV"
	Storeys      int
	Basements    int
	HeightM      float64
	// FootprintArea and TotalFloorArea are in m², rounded to 0.1.
	FootprintArea  float64
	TotalFloorArea float64
	Status         string // "permitted", "under_construction" or "completed"
	// Parcels are the parcels the building stands on: one, or two for
	// the ~2% that deliberately straddle a shared parcel boundary.
	Parcels  []ParcelKey
	Geometry orb.MultiPolygon // footprint, EPSG:4326
}

// Emitter receives generated records. Callbacks are called from the
// goroutine that called Generate, never concurrently, commune by commune
// in ascending commune code: first the commune's parcels (by sheet, then
// number), then its constructions. A nil Construction skips generating
// constructions (parcels are the same either way); a nil Parcel only skips
// the calls.
// Returning an error stops generation; Generate returns that error.
type Emitter struct {
	Parcel       func(Parcel) error
	Construction func(Construction) error
}

// Parcels streams cfg.Parcels synthetic parcels over the pre-reform
// communes in units (communes whose parent is a district in units, as
// returned by AdminUnits). See Generate.
func Parcels(cfg Config, units []AdminUnit, emit func(Parcel) error) error {
	return Generate(cfg, units, Emitter{Parcel: emit})
}

// Generate streams parcels and, if e.Construction is set, constructions.
//
// Parcels tile every commune without gaps or overlaps: they are Voronoi
// cells of seed points clipped to the commune. Seeds are dense (200–2,000
// m² parcels) in commune centres, villages and along roads, and sparse
// elsewhere; with few parcels the sparse ones are very large (50,000
// parcels over the ~7,000 km² province average 14 ha). The count per
// commune follows its area and its settlements (not area alone). A piece
// of a cell cut off from its seed by a concave commune corner is dropped
// if under 20 m² (none occur in the tested layouts); every parcel is at
// least ~38 m² because seeds keep 7 m apart and 3.5 m from the boundary.
//
// Memory stays flat: communes are generated in parallel but only a few are
// held at a time. Output for one commune depends only on (cfg, units,
// commune), not on scheduling.
func Generate(cfg Config, units []AdminUnit, e Emitter) error {
	w, err := newWorld(cfg, units)
	if err != nil {
		return err
	}
	var todo []int
	for i, c := range w.communes {
		if c.n > 0 {
			todo = append(todo, i)
		}
	}
	nw := max(1, min(runtime.GOMAXPROCS(0), len(todo)))
	window := 2 * nw
	results := make([]chan *communeOut, len(todo))
	for i := range results {
		results[i] = make(chan *communeOut, 1)
	}
	jobs := make(chan int)
	done := make(chan struct{})
	sem := make(chan struct{}, window)
	var wg sync.WaitGroup
	for range nw {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := &gen{w: w}
			for k := range jobs {
				results[k] <- g.commune(w.communes[todo[k]], e.Construction != nil)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for k := range todo {
			select {
			case sem <- struct{}{}:
			case <-done:
				return
			}
			select {
			case jobs <- k:
			case <-done:
				return
			}
		}
	}()
	defer wg.Wait()
	defer close(done)
	for k := range todo {
		out := <-results[k]
		for i := range out.parcels {
			if e.Parcel == nil {
				break
			}
			if err := e.Parcel(out.parcels[i]); err != nil {
				return err
			}
		}
		if e.Construction != nil {
			for i := range out.constructions {
				if err := e.Construction(out.constructions[i]); err != nil {
					return err
				}
			}
		}
		<-sem
	}
	return nil
}

type communeOut struct {
	parcels       []Parcel
	constructions []Construction
}

// gen holds one worker's scratch state.
type gen struct {
	w  *world
	cb cellBuilder
}

// cellRec is a parcel cell in the local frame.
type cellRec struct {
	v      []vtx // open rings; recs are indexed by site, like vtx labels
	end    []int32
	comp   uint8
	cen    xy
	sheet  int
	number int
	band   int
}

func (g *gen) commune(c *communeCtx, withConstructions bool) *communeOut {
	r := unitRand(g.w.seed, c.code, "parcels")
	seeds, comps := g.seeds(r, c)

	// Voronoi cells
	g.cb.reset(c.sub, seeds)
	dens := newDensityGrid(c.sub.bb, seeds)
	cellsV := make([]vtx, 0, len(seeds)*8)
	recs := make([]cellRec, len(seeds))
	for i := range seeds {
		p := g.cb.cell(int32(i), dens.radius(seeds[i]))
		tidy(p, 20, seeds[i])
		s := len(cellsV)
		cellsV = append(cellsV, p.v...)
		rec := &recs[i]
		rec.v = cellsV[s:len(cellsV):len(cellsV)]
		rec.end = slices.Clone(p.end)
		rec.comp = comps[i]
		rec.cen = seeds[i]
		if len(rec.end) > 0 {
			rec.cen = vtxCentroid(rec.v[:rec.end[0]])
		}
	}

	// Map sheets: a square grid from the north-west corner, numbered row
	// by row over the sheets that hold parcels; parcels numbered in bands
	// from north to south, west to east.
	side := math.Sqrt(c.area * 250 / float64(len(seeds)))
	side = max(300, min(6000, side))
	bb := c.sub.bb
	cols := int((bb[2]-bb[0])/side) + 1
	cellOf := func(p xy) (int, int) {
		col := max(0, min(cols-1, int((p.x-bb[0])/side)))
		row := max(0, int((bb[3]-p.y)/side))
		return row, col
	}
	sheetIdx := map[int]int{}
	var keys []int
	for i := range recs {
		row, col := cellOf(recs[i].cen)
		k := row*cols + col
		if _, ok := sheetIdx[k]; !ok {
			sheetIdx[k] = 0
			keys = append(keys, k)
		}
		recs[i].band = int((bb[3] - recs[i].cen.y) / (side / 8))
	}
	slices.Sort(keys)
	for n, k := range keys {
		sheetIdx[k] = n + 1
	}
	order := make([]int, len(recs))
	for i := range recs {
		row, col := cellOf(recs[i].cen)
		recs[i].sheet = sheetIdx[row*cols+col]
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ra, rb := &recs[a], &recs[b]
		if c := cmp.Compare(ra.sheet, rb.sheet); c != 0 {
			return c
		}
		if c := cmp.Compare(ra.band, rb.band); c != 0 {
			return c
		}
		if c := cmp.Compare(ra.cen.x, rb.cen.x); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	num := 0
	for k, i := range order {
		if k == 0 || recs[i].sheet != recs[order[k-1]].sheet {
			num = 0
		}
		num++
		recs[i].number = num
	}

	hamlets := hamletPoints(r, c)
	out := &communeOut{parcels: make([]Parcel, 0, len(recs))}
	attrs := make([]parcelAttr, len(recs))
	for _, i := range order {
		rec := &recs[i]
		var p poly
		p.v, p.end = rec.v, rec.end
		geom := c.sub.toLonLat(&p)
		area := math.Round(Area(geom)*10) / 10
		pa := g.attributes(r, c, rec, area, hamlets)
		attrs[i] = pa
		out.parcels = append(out.parcels, Parcel{
			CommuneCode:   c.code,
			Sheet:         rec.sheet,
			Number:        rec.number,
			LandUse:       pa.landUse,
			Area:          area,
			LegalArea:     pa.legal,
			Address:       pa.address,
			OwnerName:     pa.owner,
			OwnerIDNumber: pa.id,
			CertificateNo: pa.cert,
			Geometry:      geom,
		})
	}
	if withConstructions {
		out.constructions = constructions(unitRand(g.w.seed, c.code, "constructions"), c, recs, order, attrs)
	}
	return out
}

// densityGrid estimates the local seed spacing to start neighbour
// searches with a fitting radius.
type densityGrid struct {
	bb     [4]float64
	n      int
	cnt    []int32
	cellA  float64
	sx, sy float64
}

func newDensityGrid(bb [4]float64, pts []xy) *densityGrid {
	const n = 48
	d := &densityGrid{bb: bb, n: n, cnt: make([]int32, n*n)}
	d.sx = (bb[2] - bb[0]) / n
	d.sy = (bb[3] - bb[1]) / n
	d.cellA = d.sx * d.sy
	for _, p := range pts {
		d.cnt[d.at(p)]++
	}
	return d
}

func (d *densityGrid) at(p xy) int {
	i := max(0, min(d.n-1, int((p.x-d.bb[0])/d.sx)))
	j := max(0, min(d.n-1, int((p.y-d.bb[1])/d.sy)))
	return j*d.n + i
}

func (d *densityGrid) radius(p xy) float64 {
	c := max(1, d.cnt[d.at(p)])
	return 2.8 * math.Sqrt(d.cellA/float64(c))
}

// spacingGrid rejects seeds closer than min to an accepted one.
type spacingGrid struct {
	cell float64
	head map[uint64]int32
	next []int32
	pts  *[]xy
}

func (s *spacingGrid) key(p xy) (int64, int64) {
	return int64(math.Floor(p.x / s.cell)), int64(math.Floor(p.y / s.cell))
}

func pack(i, j int64) uint64 { return uint64(uint32(int32(i)))<<32 | uint64(uint32(int32(j))) }

func (s *spacingGrid) free(p xy) bool {
	i, j := s.key(p)
	m2 := s.cell * s.cell
	for di := int64(-1); di <= 1; di++ {
		for dj := int64(-1); dj <= 1; dj++ {
			h, ok := s.head[pack(i+di, j+dj)]
			for ok && h >= 0 {
				q := (*s.pts)[h]
				dx, dy := q.x-p.x, q.y-p.y
				if dx*dx+dy*dy < m2 {
					return false
				}
				h = s.next[h]
			}
		}
	}
	return true
}

func (s *spacingGrid) add(p xy) {
	i, j := s.key(p)
	k := pack(i, j)
	h, ok := s.head[k]
	if !ok {
		h = -1
	}
	s.next = append(s.next, h)
	s.head[k] = int32(len(*s.pts) - 1)
}

// seeds draws the parcel seed points of a commune: exactly c.n points, at
// least sMin apart and sMin/2 inside the boundary, so that every cell has
// at least π(sMin/2)² ≈ 38 m².
func (g *gen) seeds(r *rand.Rand, c *communeCtx) ([]xy, []uint8) {
	sMin := min(7.0, 0.5*math.Sqrt(c.area/float64(c.n)))
	margin2 := (sMin / 2) * (sMin / 2)
	pts := make([]xy, 0, c.n)
	comps := make([]uint8, 0, c.n)
	sg := &spacingGrid{cell: sMin, head: make(map[uint64]int32, c.n), pts: &pts}
	bb := c.sub.bb
	ok := func(p xy) bool {
		if p.x < bb[0] || p.x > bb[2] || p.y < bb[1] || p.y > bb[3] {
			return false
		}
		return pointInRings(p, c.sub.pts, c.sub.ends) &&
			boundaryDist2(p, c.sub.pts, c.sub.next) >= margin2 && sg.free(p)
	}
	accept := func(p xy, comp int) {
		pts = append(pts, p)
		comps = append(comps, uint8(comp))
		sg.add(p)
	}
	// road pieces weighted by length (only those touching the commune bbox)
	var roadCum []float64
	var roadSegs []seg
	var lsum float64
	for _, s := range c.roads {
		if max(s.a.x, s.b.x) < bb[0] || min(s.a.x, s.b.x) > bb[2] || max(s.a.y, s.b.y) < bb[1] || min(s.a.y, s.b.y) > bb[3] {
			continue
		}
		lsum += math.Hypot(s.b.x-s.a.x, s.b.y-s.a.y)
		roadCum = append(roadCum, lsum)
		roadSegs = append(roadSegs, s)
	}
	var kw [4][]float64
	var ks [4][]kernel
	for _, k := range c.kernels {
		kw[k.comp] = append(kw[k.comp], k.w)
		ks[k.comp] = append(ks[k.comp], k)
	}
	background := func() xy {
		for {
			p := xy{bb[0] + r.Float64()*(bb[2]-bb[0]), bb[1] + r.Float64()*(bb[3]-bb[1])}
			if !pointInRings(p, c.sub.pts, c.sub.ends) {
				continue
			}
			// thinner far from roads: parcels near roads are smaller
			d := math.Sqrt(roadDist2(p, c.roads))
			if r.Float64()*2.5 > 0.5+2*math.Exp(-d/800) {
				continue
			}
			return p
		}
	}
	for comp := compCentre; ; comp = (comp + 1) % 4 {
		n := c.nComp[comp]
		for range n {
			placed := false
			for try := 0; try < 60 && !placed; try++ {
				var p xy
				switch comp {
				case compCentre, compVillage:
					if len(ks[comp]) == 0 {
						p = background()
						break
					}
					k := ks[comp][pickWeighted(r, kw[comp])]
					// a core with a wider halo: parcel sizes grade from the
					// centre outwards instead of jumping to the background
					f := 1.0
					if u := r.Float64(); u < 0.15 {
						f = 6
					} else if u < 0.45 {
						f = 2.5
					}
					a, b := r.NormFloat64()*k.sa*f, r.NormFloat64()*k.sp*f
					p = xy{k.c.x + a*k.ux - b*k.uy, k.c.y + a*k.uy + b*k.ux}
				case compRoad:
					if len(roadSegs) == 0 {
						p = background()
						break
					}
					u := r.Float64() * lsum
					i, _ := slices.BinarySearch(roadCum, u)
					i = min(i, len(roadSegs)-1)
					s := roadSegs[i]
					t := r.Float64()
					dx, dy := s.b.x-s.a.x, s.b.y-s.a.y
					l := math.Hypot(dx, dy)
					off := r.NormFloat64() * c.roadSigma
					p = xy{s.a.x + t*dx - dy/l*off, s.a.y + t*dy + dx/l*off}
				default:
					p = background()
				}
				if ok(p) {
					accept(p, comp)
					placed = true
				}
			}
			if placed {
				continue
			}
			// crowded: fall back to the background, then to any free point
			for try := 0; ; try++ {
				p := background()
				if try > 5000 {
					if pointInRings(p, c.sub.pts, c.sub.ends) {
						accept(p, compBackground)
						break
					}
					continue
				}
				if ok(p) {
					accept(p, compBackground)
					break
				}
			}
		}
		if comp == compBackground {
			break
		}
	}
	return pts, comps
}

func roadDist2(p xy, roads []seg) float64 {
	d := math.Inf(1)
	for _, s := range roads {
		d = min(d, segDist2(p, s.a, s.b))
	}
	return d
}

// hamletPoints are the centres of the hamlets (thôn/ấp/khu phố) of a
// commune; a parcel belongs to the nearest.
func hamletPoints(r *rand.Rand, c *communeCtx) []xy {
	n := 4 + int(c.area/8e6)
	n = min(n, 16)
	pts := []xy{c.centre}
	for _, k := range c.kernels {
		if k.comp == compVillage && len(pts) < n {
			pts = append(pts, k.c)
		}
	}
	bb := c.sub.bb
	for len(pts) < n {
		p := xy{bb[0] + r.Float64()*(bb[2]-bb[0]), bb[1] + r.Float64()*(bb[3]-bb[1])}
		if pointInRings(p, c.sub.pts, c.sub.ends) {
			pts = append(pts, p)
		}
	}
	// number hamlets from north-west to south-east, the centre first
	rest := pts[1:]
	slices.SortStableFunc(rest, func(a, b xy) int { return cmp.Compare(a.x-a.y, b.x-b.y) })
	return pts
}

func nearestIdx(p xy, pts []xy) int {
	best, bd := 0, math.Inf(1)
	for i, q := range pts {
		if d := (q.x-p.x)*(q.x-p.x) + (q.y-p.y)*(q.y-p.y); d < bd {
			best, bd = i, d
		}
	}
	return best
}

func itoa(n int) string { return strconv.Itoa(n) }
