package geo

import (
	"cmp"
	"math"
	"slices"

	"github.com/twpayne/go-geom"
)

// Tangled reports whether the rings of a polygonal geometry meet themselves or each other more
// than limit times (pairs of edges that touch or cross, consecutive edges of a ring apart), or
// so often that counting them cheaply gives up. It is how the importer decides whether an
// invalid geometry may be repaired: PostGIS's ST_MakeValid takes time, and memory, that grows
// much faster than the number of self-intersections (a scribble of 1,000 positions ran for
// minutes; one of 200,000 took the database server down), so a tangled geometry is rejected
// rather than repaired.
//
// It costs O(n log n) for n edges: edges are filed in the cells of a grid about twice the size
// of a typical edge that they pass through, and only edges sharing a cell are compared; the work
// is bounded (16 cells and 64 comparisons per edge), and a geometry that needs more counts as
// tangled.
// Points and lines are never tangled.
func Tangled(g geom.T, limit int) bool {
	var polys []*geom.Polygon
	switch t := g.(type) {
	case *geom.Polygon:
		polys = []*geom.Polygon{t}
	case *geom.MultiPolygon:
		for i := range t.NumPolygons() {
			polys = append(polys, t.Polygon(i))
		}
	default:
		return false
	}
	var es []edge
	for _, p := range polys {
		flat, stride := p.FlatCoords(), p.Stride()
		start := 0
		for _, end := range p.Ends() {
			first := len(es)
			for i := start; i+2*stride <= end; i += stride {
				es = append(es, edge{point{flat[i], flat[i+1]}, point{flat[i+stride], flat[i+stride+1]}, int32(first), 0})
			}
			for k := first; k < len(es); k++ {
				es[k].ringLen = int32(len(es) - first)
			}
			start = end
		}
	}
	n := len(es)
	if n < 4 {
		return false
	}
	// A cell about twice the median edge extent: a typical edge touches one to four cells.
	ext := make([]float64, n)
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i, e := range es {
		if !isFinite(e.a.x) || !isFinite(e.a.y) || !isFinite(e.b.x) || !isFinite(e.b.y) {
			return true
		}
		ext[i] = math.Max(math.Abs(e.b.x-e.a.x), math.Abs(e.b.y-e.a.y))
		minX, maxX = math.Min(minX, math.Min(e.a.x, e.b.x)), math.Max(maxX, math.Max(e.a.x, e.b.x))
		minY, maxY = math.Min(minY, math.Min(e.a.y, e.b.y)), math.Max(maxY, math.Max(e.a.y, e.b.y))
	}
	slices.Sort(ext)
	size := 2 * ext[n/2]
	// At most 2^20 cells a side, so that cell numbers fit and stay meaningful.
	size = math.Max(size, math.Max(maxX-minX, maxY-minY)/(1<<20))
	if size == 0 {
		return true // every edge is a point: nothing a repair would recover
	}
	budgetCells, budgetPairs := 16*n+4096, 64*n+4096
	type filed struct {
		cell uint64
		e    int32
	}
	files := make([]filed, 0, 4*n)
	cell := func(v, min float64) int64 { return int64((v - min) / size) }
	eps := size * 1e-9
	for i, e := range es {
		a, b := e.a, e.b
		if b.x < a.x {
			a, b = b, a
		}
		// Every cell the edge passes through, column by column.
		loY, hiY := cell(math.Min(a.y, b.y), minY), cell(math.Max(a.y, b.y), minY)
		for cx := cell(a.x, minX); cx <= cell(b.x, minX); cx++ {
			ya, yb := a.y, b.y
			if b.x != a.x {
				xl := math.Max(a.x, minX+float64(cx)*size)
				xr := math.Min(b.x, minX+float64(cx+1)*size)
				ya, yb = a.y+(xl-a.x)*(b.y-a.y)/(b.x-a.x), a.y+(xr-a.x)*(b.y-a.y)/(b.x-a.x)
			}
			lo, hi := max(loY, cell(math.Min(ya, yb)-eps, minY)), min(hiY, cell(math.Max(ya, yb)+eps, minY))
			if len(files)+int(hi-lo+1) > budgetCells {
				return true
			}
			for cy := lo; cy <= hi; cy++ {
				files = append(files, filed{uint64(cx)<<21 | uint64(cy), int32(i)})
			}
		}
	}
	slices.SortFunc(files, func(a, b filed) int { return cmp.Compare(a.cell, b.cell) })
	// Pairs of edges that share a cell and meet; a pair sharing several cells is found in each.
	var pairs []uint64
	for lo := 0; lo < len(files); {
		hi := lo + 1
		for hi < len(files) && files[hi].cell == files[lo].cell {
			hi++
		}
		for i := lo; i < hi; i++ {
			for j := i + 1; j < hi; j++ {
				if budgetPairs--; budgetPairs < 0 {
					return true
				}
				ei, ej := int(files[i].e), int(files[j].e)
				a, b := &es[ei], &es[ej]
				if ei == ej || a.adjacent(b, ei, ej) || !edgesMeet(a.a, a.b, b.a, b.b) {
					continue
				}
				pairs = append(pairs, uint64(min(ei, ej))<<32|uint64(max(ei, ej)))
			}
		}
		lo = hi
	}
	slices.Sort(pairs)
	return len(slices.Compact(pairs)) > limit
}

// edge is an edge of a ring: its ends, and where its ring's edges begin (first) and how many
// there are, to tell consecutive edges.
type edge struct {
	a, b           point
	first, ringLen int32
}

// adjacent reports whether edges a (number i) and b (number j) follow each other in one ring.
func (a *edge) adjacent(b *edge, i, j int) bool {
	if a.first != b.first {
		return false
	}
	d := i - j
	return d == 1 || d == -1 || d == int(a.ringLen)-1 || d == 1-int(a.ringLen)
}
