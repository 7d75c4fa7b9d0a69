package synth

import "math"

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
		// a binary heap yields the nearest candidates first without sorting
		// all of them: usually only a handful are needed
		h := cb.cd
		for k := len(h)/2 - 1; k >= 0; k-- {
			siftDown(h, k)
		}
		finished := false
		for len(h) > 0 {
			c := h[0]
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
			siftDown(h, 0)
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

func (a candidate) less(b candidate) bool { return a.d2 < b.d2 || (a.d2 == b.d2 && a.id < b.id) }

func siftDown(h []candidate, i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h[r].less(h[l]) {
			m = r
		}
		if !h[m].less(h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
