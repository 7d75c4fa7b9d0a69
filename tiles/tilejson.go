package tiles

import (
	"context"
	"math"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
)

// TileJSON is a TileJSON 3.0.0 document (https://github.com/mapbox/tilejson-spec).
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name,omitempty"`
	Description  string        `json:"description,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
	// Private is true when a layer of the set needs a key (see Result.Private); it is not part
	// of the document.
	Private bool `json:"-"`
}

// VectorLayer describes one layer of the tiles.
type VectorLayer struct {
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
	MinZoom     int    `json:"minzoom"`
	MaxZoom     int    `json:"maxzoom"`
	// Fields maps each attribute in the tiles to its type: String, Number or Boolean.
	Fields map[string]string `json:"fields"`
}

// world is what a tile set with no feature at all claims to cover.
var world = orb.Bound{Min: orb.Point{-180, -85.0511287798066}, Max: orb.Point{180, 85.0511287798066}}

// TileJSON describes the tile set of the layers req asks for, checked as Tile checks them,
// whose tiles are at tilesURL, a template with {z}, {x} and {y}. Bounds are the layers' extent,
// read from the database once and then widened by each change until the next reset.
func (s *Service) TileJSON(ctx context.Context, req Request, tilesURL string) (*TileJSON, error) {
	layers, private, err := resolve(s.catalog(), req)
	if err != nil {
		return nil, err
	}
	bounds, err := s.layerBounds(ctx)
	if err != nil {
		return nil, err
	}
	tj := &TileJSON{TileJSON: "3.0.0", Scheme: "xyz", Tiles: []string{tilesURL}, MinZoom: geo.MaxZoom, MaxZoom: 0, Private: private}
	var ext orb.Bound
	have := false
	for i, l := range layers {
		if i > 0 {
			tj.Name += ","
			tj.Description += "; "
		}
		tj.Name += l.ID
		tj.Description += l.Title
		tj.MinZoom = min(tj.MinZoom, l.MinZoom)
		tj.MaxZoom = max(tj.MaxZoom, l.MaxZoom)
		vl := VectorLayer{ID: l.ID, Description: l.Title, MinZoom: l.MinZoom, MaxZoom: l.MaxZoom, Fields: map[string]string{}}
		for _, a := range l.PublicAttributes() {
			vl.Fields[a.Name] = store.TileFieldType(a)
		}
		tj.VectorLayers = append(tj.VectorLayers, vl)
		if b, ok := bounds[l.ID]; ok && !b.empty {
			if have {
				ext = ext.Union(b.Bound)
			} else {
				ext, have = b.Bound, true
			}
		}
	}
	if !have {
		ext = world
	}
	ext = clampBound(ext)
	tj.Bounds = [4]float64{ext.Min[0], ext.Min[1], ext.Max[0], ext.Max[1]}
	c := ext.Center()
	tj.Center = [3]float64{c[0], c[1], float64(min(max(fitZoom(ext), tj.MinZoom), tj.MaxZoom))}
	return tj, nil
}

type layerBound struct {
	orb.Bound
	empty bool
}

// layerBounds returns every layer's extent, reading them from the database when the cache is
// empty.
func (s *Service) layerBounds(ctx context.Context) (map[string]layerBound, error) {
	s.boundsMu.Lock()
	b, gen := s.bounds, s.boundsGen
	s.boundsMu.Unlock()
	if b != nil {
		return b, nil
	}
	stats, err := s.src.LayerStats(ctx, s.src.Catalog())
	if err != nil {
		return nil, err
	}
	b = make(map[string]layerBound, len(stats))
	for _, st := range stats {
		b[st.Layer] = layerBound{Bound: st.Extent, empty: st.Empty}
	}
	s.boundsMu.Lock()
	// A change or reset that came while we were reading may be missing from what we read: then
	// the result serves this answer only.
	if s.boundsGen == gen {
		s.bounds = b
	}
	s.boundsMu.Unlock()
	return b, nil
}

// growBounds widens a layer's cached extent by a change. Deletions never shrink it: TileJSON
// bounds only promise that there is nothing outside.
func (s *Service) growBounds(ev store.ChangeEvent) {
	s.boundsMu.Lock()
	defer s.boundsMu.Unlock()
	s.boundsGen++
	if s.bounds == nil {
		return
	}
	next := make(map[string]layerBound, len(s.bounds)+1)
	for k, v := range s.bounds {
		next[k] = v
	}
	cur, ok := next[ev.Layer]
	if !ok || cur.empty {
		next[ev.Layer] = layerBound{Bound: ev.BBox}
	} else {
		next[ev.Layer] = layerBound{Bound: cur.Union(ev.BBox)}
	}
	s.bounds = next
}

func clampBound(b orb.Bound) orb.Bound {
	return orb.Bound{
		Min: orb.Point{math.Max(b.Min[0], world.Min[0]), math.Max(b.Min[1], world.Min[1])},
		Max: orb.Point{math.Min(b.Max[0], world.Max[0]), math.Min(b.Max[1], world.Max[1])},
	}
}

// fitZoom is the deepest zoom at which b fits in a 1024-pixel square view (four 256-px tiles).
func fitZoom(b orb.Bound) int {
	w := b.Max[0] - b.Min[0]
	// In degrees of longitude: the Web Mercator y scaled so that the world is 360 wide.
	h := (geo.MercatorY(b.Max[1]) - geo.MercatorY(b.Min[1])) * 180 / geo.MercatorHalf
	span := math.Max(w, h)
	if span <= 0 {
		return geo.MaxZoom
	}
	z := int(math.Floor(math.Log2(360 * 4 / span)))
	return min(max(z, 0), geo.MaxZoom)
}
