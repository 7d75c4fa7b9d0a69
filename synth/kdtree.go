package synth

// kdIndex is a static 2-d tree over points for radius queries (after
// mourner/kdbush): points are reordered in place into an implicit tree with
// leaves of at most kdNode points. Construction is deterministic.
type kdIndex struct {
	ids []int32
	pts []xy
}

const kdNode = 24

func newKDIndex(pts []xy, buf *kdIndex) *kdIndex {
	k := buf
	if k == nil {
		k = &kdIndex{}
	}
	k.ids = k.ids[:0]
	k.pts = k.pts[:0]
	for i, p := range pts {
		k.ids = append(k.ids, int32(i))
		k.pts = append(k.pts, p)
	}
	k.sort(0, len(pts)-1, 0)
	return k
}

func (k *kdIndex) sort(left, right, axis int) {
	for right-left > kdNode {
		m := (left + right) >> 1
		k.selectK(m, left, right, axis)
		k.sort(left, m-1, 1-axis)
		left, axis = m+1, 1-axis
	}
}

func (k *kdIndex) coord(i, axis int) float64 {
	if axis == 0 {
		return k.pts[i].x
	}
	return k.pts[i].y
}

func (k *kdIndex) swap(i, j int) {
	k.ids[i], k.ids[j] = k.ids[j], k.ids[i]
	k.pts[i], k.pts[j] = k.pts[j], k.pts[i]
}

// selectK partially sorts [left, right] so that element m is in its sorted
// position (Hoare quickselect with a median-of-three pivot).
func (k *kdIndex) selectK(m, left, right, axis int) {
	for right > left {
		mid := (left + right) >> 1
		// median of three to position `right`
		if k.coord(mid, axis) < k.coord(left, axis) {
			k.swap(mid, left)
		}
		if k.coord(right, axis) < k.coord(left, axis) {
			k.swap(right, left)
		}
		if k.coord(mid, axis) < k.coord(right, axis) {
			k.swap(mid, right)
		}
		pivot := k.coord(right, axis)
		i := left
		for j := left; j < right; j++ {
			if k.coord(j, axis) < pivot {
				k.swap(i, j)
				i++
			}
		}
		k.swap(i, right)
		switch {
		case i == m:
			return
		case i < m:
			left = i + 1
		default:
			right = i - 1
		}
	}
}

// within appends to dst the ids of the points within distance r of q.
func (k *kdIndex) within(q xy, r float64, dst []int32) []int32 {
	if len(k.ids) == 0 {
		return dst
	}
	r2 := r * r
	var stack [192]int32
	sp := 0
	stack[0], stack[1], stack[2] = 0, int32(len(k.ids)-1), 0
	sp = 3
	for sp > 0 {
		axis := int(stack[sp-1])
		right := int(stack[sp-2])
		left := int(stack[sp-3])
		sp -= 3
		if right-left <= kdNode {
			for i := left; i <= right; i++ {
				dx, dy := k.pts[i].x-q.x, k.pts[i].y-q.y
				if dx*dx+dy*dy <= r2 {
					dst = append(dst, k.ids[i])
				}
			}
			continue
		}
		m := (left + right) >> 1
		p := k.pts[m]
		dx, dy := p.x-q.x, p.y-q.y
		if dx*dx+dy*dy <= r2 {
			dst = append(dst, k.ids[m])
		}
		c := p.x
		qc := q.x
		if axis == 1 {
			c, qc = p.y, q.y
		}
		if qc-r <= c {
			stack[sp], stack[sp+1], stack[sp+2] = int32(left), int32(m-1), int32(1-axis)
			sp += 3
		}
		if qc+r >= c {
			stack[sp], stack[sp+1], stack[sp+2] = int32(m+1), int32(right), int32(1-axis)
			sp += 3
		}
	}
	return dst
}
