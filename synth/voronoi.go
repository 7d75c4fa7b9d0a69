package synth

import (
	"math"
	"slices"
)

// cellBuilder computes Voronoi cells of sites clipped to a subject polygon.
//
// A cell starts as the subject and is clipped by the bisector half-planes of
// the other sites in order of increasing distance; it is exact once the next
// candidate is farther than twice the largest distance from the site to the
// cell (the "security radius"), so no neighbour is ever missed. Candidates
// come from a kd-tree, so density may vary by orders of magnitude.
type cellBuilder struct {
	clipper
	idx  kdIndex
	a, b poly
	ids  []int32
	cd   []candidate
}

type candidate struct {
	d2 float64
	id int32
}

func (cb *cellBuilder) reset(sub *subject, sites []xy) {
	cb.sub, cb.sites = sub, sites
	newKDIndex(sites, &cb.idx)
}

// cell returns the clipped cell of site i; r0 is the first search radius
// (about three typical neighbour distances). The result is owned by cb and
// valid until the next call.
func (cb *cellBuilder) cell(i int32, r0 float64) *poly {
	cb.self = i
	p := cb.sites[i]
	cur, alt := &cb.a, &cb.b
	cb.sub.initPoly(cur)
	r2 := maxDist2(cur, p)
	r := r0
	done := -1.0
	for {
		cb.ids = cb.idx.within(p, r, cb.ids[:0])
		cb.cd = cb.cd[:0]
		for _, id := range cb.ids {
			if id == i {
				continue
			}
			q := cb.sites[id]
			dx, dy := q.x-p.x, q.y-p.y
			d2 := dx*dx + dy*dy
			if d2 <= done {
				continue
			}
			cb.cd = append(cb.cd, candidate{d2, id})
		}
		slices.SortFunc(cb.cd, func(a, b candidate) int {
			switch {
			case a.d2 < b.d2:
				return -1
			case a.d2 > b.d2:
				return 1
			}
			return int(a.id - b.id)
		})
		finished := false
		for _, c := range cb.cd {
			if c.d2 > 4*r2 {
				finished = true
				break
			}
			if cb.clip(cur, c.id, alt) {
				cur, alt = alt, cur
				if len(cur.v) == 0 {
					return cur
				}
				r2 = maxDist2(cur, p)
			}
		}
		if finished || 4*r2 <= r*r || len(cb.ids) >= len(cb.sites) {
			return cur
		}
		done = r * r
		r = max(2*math.Sqrt(r2)*1.000001, r*1.5)
	}
}
