package synth

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/paulmach/orb"
)

type buildingKind struct {
	p        float64 // probability that a parcel of this use has one
	kinds    []string
	minA     float64 // footprint range, m²
	maxA     float64
	storeys  []float64 // weights for 1, 2, 3, ... storeys
	aspectLo float64
	aspectHi float64
}

var houseStoreys = []float64{45, 30, 18, 7}

var buildingKinds = map[string]buildingKind{
	"ONT": {0.6, []string{"Nhà ở riêng lẻ"}, 60, 250, houseStoreys, 1.5, 3.5},
	"ODT": {0.6, []string{"Nhà ở riêng lẻ"}, 60, 250, houseStoreys, 1.8, 4},
	"TMD": {0.8, []string{"Cửa hàng", "Nhà hàng", "Khách sạn", "Văn phòng", "Siêu thị"}, 80, 600, []float64{15, 20, 20, 15, 10, 8, 5, 4, 3}, 1, 2.5},
	"SKC": {0.7, []string{"Nhà xưởng", "Nhà xưởng", "Kho chứa"}, 300, 3000, []float64{85, 15}, 1.2, 3},
	"DGD": {0.9, []string{"Trường học"}, 300, 1500, []float64{30, 40, 20, 10}, 1.5, 3},
	"DYT": {0.9, []string{"Trạm y tế"}, 100, 400, []float64{50, 35, 15}, 1.2, 2.5},
	"TSC": {0.9, []string{"Trụ sở làm việc"}, 150, 600, []float64{20, 40, 30, 10}, 1.2, 2.5},
	"DCH": {0.8, []string{"Chợ"}, 200, 1200, []float64{85, 15}, 1, 2},
	"TON": {0.5, []string{"Chùa", "Nhà thờ"}, 100, 500, []float64{60, 40}, 1.2, 2.5},
	"DVH": {0.6, []string{"Nhà văn hóa"}, 100, 400, []float64{80, 20}, 1.2, 2},
}

var permitEpoch = time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)

// constructions places buildings on the parcels of one commune.
func constructions(r *rand.Rand, c *communeCtx, recs []cellRec, order []int, attrs []parcelAttr) []Construction {
	var out []Construction
	key := func(i int) ParcelKey { return ParcelKey{c.code, recs[i].sheet, recs[i].number} }
	for _, i := range order {
		pa := &attrs[i]
		bk, ok := buildingKinds[pa.primary]
		if !ok || r.Float64() >= bk.p || len(recs[i].end) == 0 {
			continue
		}
		rec := &recs[i]
		home := rec.v[:rec.end[0]]
		res := pa.primary == "ONT" || pa.primary == "ODT"

		var corners [4]xy
		var keys []ParcelKey
		placed := false
		if res && r.IntN(100) < 3 {
			// straddle the boundary with a residential neighbour
			for k, v := range home {
				if v.lab >= 0 {
					continue
				}
				j := int(-v.lab - 1)
				if j >= len(recs) || (attrs[j].primary != "ONT" && attrs[j].primary != "ODT") || len(recs[j].end) == 0 {
					continue
				}
				w := home[(k+1)%len(home)]
				ex, ey := w.x-v.x, w.y-v.y
				el := math.Hypot(ex, ey)
				if el < 12 {
					continue
				}
				u := xy{ex / el, ey / el}
				m := xy{(v.x + w.x) / 2, (v.y + w.y) / 2}
				along := min(0.6*el, 6+4*r.Float64())
				across := 8 + 6*r.Float64()
				corners = rect(m, u, along, across)
				other := recs[j].v[:recs[j].end[0]]
				if straddleOK(corners, home, other) {
					keys = []ParcelKey{key(i), key(j)}
					placed = true
				}
				break
			}
		}
		if !placed {
			target := bk.minA + (bk.maxA-bk.minA)*r.Float64()
			// within the residential part of a mixed parcel
			target = min(target, 0.6*pa.landUse[0].Area)
			if target < 30 {
				continue
			}
			aspect := bk.aspectLo + (bk.aspectHi-bk.aspectLo)*r.Float64()
			u := longestEdgeDir(home)
			for try := 0; try < 8 && !placed; try++ {
				a := target * math.Pow(0.8, float64(try))
				along := math.Sqrt(a * aspect)
				corners = rect(rec.cen, u, along, a/along)
				if rectInside(corners, home) {
					placed = true
				}
			}
			if !placed {
				continue
			}
			keys = []ParcelKey{key(i)}
		}

		ring := make(orb.Ring, 0, 5)
		for _, q := range corners {
			ring = append(ring, toLL(q))
		}
		ring = append(ring, ring[0])
		geom := orb.MultiPolygon{{ring}}
		foot := math.Round(Area(geom)*10) / 10

		kind := bk.kinds[r.IntN(len(bk.kinds))]
		storeys := 1 + pickWeighted(r, bk.storeys)
		basements := 0
		if (pa.primary == "TMD" && storeys >= 5 && r.IntN(10) < 3) || (res && r.IntN(100) == 0) {
			basements = 1
		}
		height := float64(storeys)*3.6 + 0.3 + 1.2*r.Float64()
		if pa.primary == "SKC" {
			height = 7 + 5*r.Float64() + 3.6*float64(storeys-1)
		}
		grade := "IV"
		switch {
		case storeys >= 7 || (pa.primary == "SKC" && foot > 1500):
			grade = "II"
		case storeys >= 3 || !res:
			grade = "III"
		}
		day := r.IntN(6390) // 2008-01-01 .. 2025-06-30
		date := permitEpoch.AddDate(0, 0, day)
		issuer := "UBND " + lowerKind(c.district, c.districtKind)
		permit := itoa(1+r.IntN(2999)) + "/GPXD-UBND"
		if grade == "II" || grade == "I" {
			issuer = "Sở Xây dựng tỉnh Bình Phước"
			permit = itoa(1+r.IntN(999)) + "/GPXD-SXD"
		}
		status := "completed"
		switch u := r.IntN(100); {
		case day >= 6025: // from 2024-07-01
			if u < 50 {
				status = "permitted"
			} else {
				status = "under_construction"
			}
		case day >= 5480: // from 2023-01-01
			if u < 10 {
				status = "permitted"
			} else if u < 40 {
				status = "under_construction"
			}
		case u < 3:
			status = "permitted"
		}
		out = append(out, Construction{
			PermitNo:       permit,
			PermitDate:     date.Format(time.DateOnly),
			PermitIssuer:   issuer,
			Kind:           kind,
			Grade:          grade,
			Storeys:        storeys,
			Basements:      basements,
			HeightM:        math.Round(height*10) / 10,
			FootprintArea:  foot,
			TotalFloorArea: math.Round(foot*float64(storeys+basements)*10) / 10,
			Status:         status,
			Parcels:        keys,
			Geometry:       geom,
		})
	}
	return out
}

// rect returns the CCW corners of a rectangle centred at c with side
// `along` parallel to the unit vector u and side `across` perpendicular.
func rect(c, u xy, along, across float64) [4]xy {
	v := xy{-u.y, u.x}
	a, b := along/2, across/2
	return [4]xy{
		{c.x - a*u.x - b*v.x, c.y - a*u.y - b*v.y},
		{c.x + a*u.x - b*v.x, c.y + a*u.y - b*v.y},
		{c.x + a*u.x + b*v.x, c.y + a*u.y + b*v.y},
		{c.x - a*u.x + b*v.x, c.y - a*u.y + b*v.y},
	}
}

func longestEdgeDir(r []vtx) xy {
	best, bl := xy{1, 0}, -1.0
	for k, v := range r {
		w := r[(k+1)%len(r)]
		if l := math.Hypot(w.x-v.x, w.y-v.y); l > bl {
			best, bl = xy{(w.x - v.x) / l, (w.y - v.y) / l}, l
		}
	}
	return best
}

// rectInside reports whether the rectangle lies inside the ring: all
// corners inside and no ring edge crossing a rectangle side (so it also
// holds for non-convex rings).
func rectInside(c [4]xy, ring []vtx) bool {
	for _, p := range c {
		if !pointInVtxRing(p, ring) {
			return false
		}
	}
	for k, v := range ring {
		w := ring[(k+1)%len(ring)]
		a, b := xy{v.x, v.y}, xy{w.x, w.y}
		for i := range 4 {
			if segmentsCross(a, b, c[i], c[(i+1)%4]) {
				return false
			}
		}
	}
	return true
}

// straddleOK checks that a rectangle over a shared edge lies within the two
// parcels: corners and side midpoints in one of them, and no other vertex
// of either parcel inside the rectangle.
func straddleOK(c [4]xy, a, b []vtx) bool {
	for i := range 4 {
		p := c[i]
		m := xy{(c[i].x + c[(i+1)%4].x) / 2, (c[i].y + c[(i+1)%4].y) / 2}
		for _, q := range []xy{p, m} {
			if !pointInVtxRing(q, a) && !pointInVtxRing(q, b) {
				return false
			}
		}
	}
	rr := []vtx{{x: c[0].x, y: c[0].y}, {x: c[1].x, y: c[1].y}, {x: c[2].x, y: c[2].y}, {x: c[3].x, y: c[3].y}}
	for _, ring := range [][]vtx{a, b} {
		for _, v := range ring {
			if pointInVtxRing(xy{v.x, v.y}, rr) {
				return false
			}
		}
	}
	return true
}
