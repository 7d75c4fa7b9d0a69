package geo

import (
	"cmp"
	"math"
	"slices"

	"github.com/twpayne/go-geom"
)

// ProvablySimple reports whether g is certainly a valid OGC polygon: a Polygon, or a
// MultiPolygon of one Polygon, with a single ring of finite, distinct consecutive positions,
// at least three of them not on one line, whose edges meet only where consecutive edges share
// a vertex. Every orientation it relies on is decided by a margin far above floating-point
// error, so where it says true, GEOS (ST_IsValid), deciding exactly, says valid too.
//
// False means "not proven", not "invalid": holes, several parts, positions nearly on one line
// and real self-intersections are all left to PostGIS. The importer asks PostGIS only about
// those, which for cadastral parcels is almost none.
//
// It takes O(n log n) time for a ring of n positions: the edges are swept from left to right
// (Shamos and Hoey's algorithm), and only edges that are neighbours in the sweep are tested
// against each other, which finds an intersection if there is one. A ring of 200,000 positions
// takes a fraction of a second.
func ProvablySimple(g geom.T) bool {
	var ends []int
	switch t := g.(type) {
	case *geom.Polygon:
		ends = t.Ends()
	case *geom.MultiPolygon:
		if t.NumPolygons() != 1 {
			return false
		}
		ends = t.Endss()[0] // without building the Polygon: this runs for every parcel
	default:
		return false
	}
	if len(ends) != 1 {
		return false
	}
	flat, stride := g.FlatCoords()[:ends[0]], g.Stride()
	n := len(flat)/stride - 1 // edges; the last position repeats the first
	if n < 3 {
		return false
	}
	pts := make([]point, n)
	for i := range pts {
		pts[i] = point{flat[i*stride], flat[i*stride+1]}
	}
	if last := (point{flat[n*stride], flat[n*stride+1]}); last != pts[0] {
		return false
	}
	for i, q := range pts {
		if !isFinite(q.x) || !isFinite(q.y) || q == pts[(i+1)%n] {
			return false
		}
		// Consecutive edges share a vertex: a clear turn there means they neither fold back
		// over each other nor all lie on one line. (A vertex on a straight line is left to
		// PostGIS.)
		if orient(q, pts[(i+1)%n], pts[(i+2)%n]) == 0 {
			return false
		}
	}
	if n <= pairwiseEdges {
		return pairwiseSimple(pts)
	}
	simple, _ := sweepSimple(pts)
	return simple
}

// pairwiseEdges is the longest ring tested pair by pair, without the sweep's allocations: a
// parcel has a handful of edges. A variable so that tests can send every ring to the sweep.
var pairwiseEdges = 32

// pairwiseSimple tests every pair of edges that are not consecutive: they must not meet at all.
func pairwiseSimple(pts []point) bool {
	n := len(pts)
	for i := range n {
		a, b := pts[i], pts[(i+1)%n]
		for j := i + 2; j < n; j++ {
			if i == 0 && j == n-1 {
				continue // the closing edge shares the first vertex
			}
			if edgesMeet(a, b, pts[j], pts[(j+1)%n]) {
				return false
			}
		}
	}
	return true
}

// edgesMeet reports whether the edges ab and cd touch or cross, or might: where an orientation
// is too close to call, it says they do.
func edgesMeet(a, b, c, d point) bool {
	if math.Max(a.x, b.x) < math.Min(c.x, d.x) || math.Max(c.x, d.x) < math.Min(a.x, b.x) ||
		math.Max(a.y, b.y) < math.Min(c.y, d.y) || math.Max(c.y, d.y) < math.Min(a.y, b.y) {
		return false
	}
	o1, o2 := orient(a, b, c), orient(a, b, d)
	o3, o4 := orient(c, d, a), orient(c, d, b)
	return o1 == 0 || o2 == 0 || o3 == 0 || o4 == 0 || (o1 != o2 && o3 != o4)
}

type point struct{ x, y float64 }

// less orders points from left to right, bottom to top: the order the sweep meets them.
func (a point) less(b point) bool { return a.x < b.x || a.x == b.x && a.y < b.y }

// orient is the turn a→b→c: 1 left, -1 right, 0 when the determinant is within a margin of
// its rounding error (Shewchuk's bound for this filter is 3.3e-16 times l+r; the margin is
// 1e-10 times, so a decided sign is the exact one). It is computed from the lesser of a and b,
// so that an edge gets the same answer whichever way it is walked.
func orient(a, b, c point) int {
	if b.less(a) {
		return -orient(b, a, c)
	}
	l := (b.x - a.x) * (c.y - a.y)
	r := (b.y - a.y) * (c.x - a.x)
	det := l - r
	bound := 1e-10 * (math.Abs(l) + math.Abs(r))
	switch {
	case det > bound:
		return 1
	case det < -bound:
		return -1
	}
	return 0
}

// sweep is Shamos and Hoey's test over the edges of one closed ring (pts, the closing
// position not repeated; edge i runs from pts[i] to pts[i+1]). It reports whether no two edges
// meet except consecutive ones at their shared vertex, and gives up (false) wherever an
// orientation is too close to call.
type sweep struct {
	pts  []point
	n    int
	work int     // orientations computed, for tests of the sweep's cost
	left []point // per edge: its endpoint the sweep meets first
	rght []point // and the other
	node []*tnode
	tree treap
	fail bool
}

func sweepSimple(pts []point) (simple bool, work int) {
	n := len(pts)
	// Two vertices at one place (not consecutive: those were refused) pinch the ring.
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		pa, pb := pts[a], pts[b]
		if c := cmp.Compare(pa.x, pb.x); c != 0 {
			return c
		}
		return cmp.Compare(pa.y, pb.y)
	})
	for k := 1; k < n; k++ {
		if pts[order[k]] == pts[order[k-1]] {
			return false, 0
		}
	}
	s := &sweep{pts: pts, n: n, left: make([]point, n), rght: make([]point, n), node: make([]*tnode, n)}
	s.tree.seed, s.tree.nodes = 0x9e3779b97f4a7c15, make([]tnode, n)
	for i := range n {
		a, b := pts[i], pts[(i+1)%n]
		if b.less(a) {
			a, b = b, a
		}
		s.left[i], s.rght[i] = a, b
	}
	// Each vertex is an event for the two edges that meet there: the ones that end there leave
	// the sweep, then the ones that start there enter it.
	for _, v := range order {
		q := pts[v]
		for _, e := range [2]int{(int(v) + n - 1) % n, int(v)} {
			if s.rght[e] == q {
				s.remove(e)
			}
		}
		for _, e := range [2]int{(int(v) + n - 1) % n, int(v)} {
			if s.left[e] == q {
				s.insert(e, q)
			}
		}
		if s.fail {
			return false, s.work
		}
	}
	return true, s.work
}

// adjacent reports whether edges a and b are consecutive in the ring.
func (s *sweep) adjacent(a, b int) bool {
	d := a - b
	return d == 1 || d == -1 || d == s.n-1 || d == 1-s.n
}

// above reports whether edge e, entering the sweep at q, passes above the active edge t there.
func (s *sweep) above(e int, q point, t int) bool {
	s.work++
	o := orient(s.left[t], s.rght[t], q)
	if o == 0 && s.left[t] == q {
		// t also starts at q (consecutive edges): compare where they go.
		o = orient(s.left[t], s.rght[t], s.rght[e])
	}
	if o == 0 {
		s.fail = true // q is on t, or too close to it to tell
	}
	return o > 0
}

// check fails the sweep when edges a and b (neighbours in the sweep) meet, or might.
func (s *sweep) check(a, b int) {
	if a < 0 || b < 0 || s.adjacent(a, b) {
		return
	}
	s.work++
	if edgesMeet(s.left[a], s.rght[a], s.left[b], s.rght[b]) {
		s.fail = true // touching, crossing or too close to call
	}
}

func (s *sweep) insert(e int, q point) {
	nd := s.tree.insert(e, func(t int) bool { return s.above(e, q, t) })
	s.node[e] = nd
	if s.fail {
		return
	}
	s.check(e, nd.neighbour(below).edge())
	s.check(e, nd.neighbour(above).edge())
}

func (s *sweep) remove(e int) {
	nd := s.node[e]
	under, over := nd.neighbour(below).edge(), nd.neighbour(above).edge()
	s.tree.remove(nd)
	s.node[e] = nil
	s.check(under, over)
}

// treap is the sweep's ordered set of active edges, bottom to top: a binary search tree kept
// balanced (expected depth O(log n)) by random priorities, with parent links so that an edge
// is removed, and its neighbours found, from its node without comparisons.
type treap struct {
	root  *tnode
	seed  uint64
	nodes []tnode // one per edge, allocated at once
}

// Directions in the tree: below (left) and above (right).
const (
	below = 0
	above = 1
)

type tnode struct {
	e      int
	prio   uint64
	child  [2]*tnode // below, above
	parent *tnode
}

// edge is the node's edge, -1 for no node.
func (t *tnode) edge() int {
	if t == nil {
		return -1
	}
	return t.e
}

func (t *treap) random() uint64 {
	// xorshift64*: any fixed sequence will do, it only needs to look random to the input.
	t.seed ^= t.seed >> 12
	t.seed ^= t.seed << 25
	t.seed ^= t.seed >> 27
	return t.seed * 2685821657736338717
}

// insert adds edge e above every node for which isAbove(node's edge) is true and below the
// others.
func (t *treap) insert(e int, isAbove func(int) bool) *tnode {
	nd := &t.nodes[e]
	*nd = tnode{e: e, prio: t.random()}
	if t.root == nil {
		t.root = nd
		return nd
	}
	for cur := t.root; ; {
		d := below
		if isAbove(cur.e) {
			d = above
		}
		if cur.child[d] == nil {
			cur.child[d], nd.parent = nd, cur
			break
		}
		cur = cur.child[d]
	}
	for nd.parent != nil && nd.parent.prio < nd.prio {
		t.rotateUp(nd)
	}
	return nd
}

// remove takes nd out of the tree.
func (t *treap) remove(nd *tnode) {
	for nd.child[below] != nil || nd.child[above] != nil {
		child := nd.child[below]
		if child == nil || (nd.child[above] != nil && nd.child[above].prio > child.prio) {
			child = nd.child[above]
		}
		t.rotateUp(child)
	}
	t.replace(nd, nil)
}

// side is the direction in which nd hangs from its parent.
func (nd *tnode) side() int {
	if nd.parent.child[below] == nd {
		return below
	}
	return above
}

// rotateUp makes nd take its parent's place, the parent becoming its child.
func (t *treap) rotateUp(nd *tnode) {
	p, d := nd.parent, nd.side()
	t.replace(p, nd)
	p.child[d] = nd.child[1-d]
	if p.child[d] != nil {
		p.child[d].parent = p
	}
	nd.child[1-d], p.parent = p, nd
}

// replace puts nd where old hangs (nd may be nil).
func (t *treap) replace(old, nd *tnode) {
	if old.parent == nil {
		t.root = nd
	} else {
		old.parent.child[old.side()] = nd
	}
	if nd != nil {
		nd.parent = old.parent
	}
}

// neighbour is the node just beyond nd in direction d (below or above), nil if none.
func (nd *tnode) neighbour(d int) *tnode {
	if nd.child[d] != nil {
		nd = nd.child[d]
		for nd.child[1-d] != nil {
			nd = nd.child[1-d]
		}
		return nd
	}
	for nd.parent != nil && nd.parent.child[d] == nd {
		nd = nd.parent
	}
	return nd.parent
}
