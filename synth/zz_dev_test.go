package synth

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"time"
	"testing"

	"github.com/paulmach/orb"
)

type canvas struct {
	img                    *image.RGBA
	minx, miny, maxx, maxy float64
	w, h                   int
}

func newCanvas(w, h int, b orb.Bound) *canvas {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	return &canvas{img, b.Min[0], b.Min[1], b.Max[0], b.Max[1], w, h}
}
func (c *canvas) pt(p orb.Point) (float64, float64) {
	return (p[0] - c.minx) / (c.maxx - c.minx) * float64(c.w-1), (c.maxy - p[1]) / (c.maxy - c.miny) * float64(c.h-1)
}
func (c *canvas) line(a, b orb.Point, col color.Color) {
	x0, y0 := c.pt(a)
	x1, y1 := c.pt(b)
	n := int(max(abs(x1-x0), abs(y1-y0))) + 1
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		c.img.Set(int(x0+t*(x1-x0)), int(y0+t*(y1-y0)), col)
	}
}
func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
func (c *canvas) mp(m orb.MultiPolygon, col color.Color) {
	for _, p := range m {
		for _, r := range p {
			for i := 0; i+1 < len(r); i++ {
				c.line(r[i], r[i+1], col)
			}
		}
	}
}
func (c *canvas) save(name string) {
	f, _ := os.Create(name)
	png.Encode(f, c.img)
	f.Close()
}

func TestDevAdmin(t *testing.T) {
	us := AdminUnits(1)
	b := orb.Bound{Min: orb.Point{106.40, 11.29}, Max: orb.Point{107.44, 12.31}}
	c := newCanvas(1000, 1000, b)
	c2 := newCanvas(1000, 1000, b)
	n := map[string]int{}
	for _, u := range us {
		n[u.Level+u.ValidTo]++
		if u.Level == "district" {
			fmt.Println(u.Code, u.Name, Area(u.Geometry)/1e6)
		}
		if u.Level == "commune" && u.ValidTo != "" {
			c.mp(u.Geometry, color.RGBA{150, 150, 150, 255})
		}
		if u.Level == "commune" && u.ValidTo == "" {
			c2.mp(u.Geometry, color.RGBA{0, 0, 200, 255})
			fmt.Println("new", u.Code, u.Name, len(u.Geometry), len(u.Geometry[0]))
		}
	}
	for _, u := range us {
		if u.Level == "district" {
			c.mp(u.Geometry, color.RGBA{200, 0, 0, 255})
			c2.mp(u.Geometry, color.RGBA{200, 0, 0, 255})
		}
		if u.Level == "province" {
			fmt.Println(u.Code, u.Name, Area(u.Geometry)/1e6)
		}
	}
	fmt.Println(n)
	c.save("/tmp/render/admin.png")
	c2.save("/tmp/render/reform.png")
}

func TestDevParcels(t *testing.T) {
	us := AdminUnits(1)
	n := 50000
	if s := os.Getenv("DEVN"); s != "" {
		fmt.Sscan(s, &n)
	}
	cfg := Config{Seed: 1, Parcels: n}
	start := time.Now()
	cnt := 0
	prim := map[string]int{}
	minA, maxA := 1e18, 0.0
	var sumA float64
	nb := 0
	multi := 0
	var small []float64
	b := orb.Bound{Min: orb.Point{106.830, 11.505}, Max: orb.Point{106.850, 11.525}}
	c := newCanvas(1000, 1000, b)
	nc := 0
	err := Generate(cfg, us, Emitter{Parcel: func(p Parcel) error {
		cnt++
		prim[p.LandUse[0].Code]++
		minA = min(minA, p.Area)
		maxA = max(maxA, p.Area)
		sumA += p.Area
		if p.Area < 2000 {
			nb++
		}
		if len(p.Geometry) > 1 {
			multi++
		}
		if p.Area < 100 {
			small = append(small, p.Area)
		}
		if p.Geometry.Bound().Intersects(b) {
			c.mp(p.Geometry, color.RGBA{60, 60, 60, 255})
		}
		return nil
	}, Construction: func(cn Construction) error {
		nc++
		if cn.Geometry.Bound().Intersects(b) {
			c.mp(cn.Geometry, color.RGBA{220, 0, 0, 255})
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("multi", multi)
	fmt.Println("parcels", cnt, "constructions", nc, time.Since(start))
	fmt.Println("area min", minA, "max", maxA, "mean", sumA/float64(cnt), "<2000:", nb, "small", len(small))
	for k, v := range prim {
		fmt.Printf("%s %.2f%%  ", k, 100*float64(v)/float64(cnt))
	}
	fmt.Println()
	c.save("/tmp/render/parcels.png")
}
