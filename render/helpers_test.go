package render

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/project"

	"github.com/dongnai-gis/gisd/style"
	"github.com/dongnai-gis/gisd/synth"
)

var updateFixture = flag.Bool("update-fixture", false, "regenerate testdata/district.geojson.gz from package synth")

// fixturePath holds a dense piece of the synthetic province in EPSG:3857: the z16 tile (256
// pixels) with the most parcels when synth makes fixtureParcels of them, and a margin around
// it; parcels, constructions and administrative units with the attributes the tiles carry.
const (
	fixturePath    = "testdata/district.geojson.gz"
	fixtureParcels = 1_500_000
	fixtureSeed    = 70
)

// fixture is the test district: features by layer, and the dense tile.
type fixture struct {
	layers map[string][]Feature
	tile   maptile.Tile
}

var (
	fixtureOnce sync.Once
	fixtureData fixture
	fixtureErr  error
)

func loadFixture(t testing.TB) fixture {
	t.Helper()
	if *updateFixture {
		writeFixture(t)
	}
	fixtureOnce.Do(func() {
		b, err := os.ReadFile(fixturePath)
		if err != nil {
			fixtureErr = err
			return
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			fixtureErr = err
			return
		}
		var fc struct {
			Tile [3]uint32 `json:"tile"`
		}
		raw := new(bytes.Buffer)
		if _, err := raw.ReadFrom(zr); err != nil {
			fixtureErr = err
			return
		}
		if err := json.Unmarshal(raw.Bytes(), &fc); err != nil {
			fixtureErr = err
			return
		}
		all, err := geojson.UnmarshalFeatureCollection(raw.Bytes())
		if err != nil {
			fixtureErr = err
			return
		}
		fixtureData.tile = maptile.New(fc.Tile[1], fc.Tile[2], maptile.Zoom(fc.Tile[0]))
		fixtureData.layers = map[string][]Feature{}
		for _, f := range all.Features {
			layer, _ := f.Properties["layer"].(string)
			fixtureData.layers[layer] = append(fixtureData.layers[layer], Feature{Geometry: f.Geometry, Properties: f.Properties})
		}
	})
	if fixtureErr != nil {
		t.Fatalf("fixture %s: %v (regenerate with go test ./render -run Fixture -update-fixture)", fixturePath, fixtureErr)
	}
	return fixtureData
}

// writeFixture generates the district from package synth.
func writeFixture(t testing.TB) {
	t.Helper()
	units := synth.AdminUnits(fixtureSeed)
	count := map[maptile.Tile]int{}
	err := synth.Parcels(synth.Config{Seed: fixtureSeed, Parcels: fixtureParcels}, units, func(p synth.Parcel) error {
		count[maptile.At(p.Geometry.Bound().Center(), 16)]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var tile maptile.Tile
	for k, n := range count {
		if n > count[tile] || (n == count[tile] && (k.X < tile.X || k.X == tile.X && k.Y < tile.Y)) {
			tile = k
		}
	}
	b := tile.Bound()
	pad := (b.Max[0] - b.Min[0]) * 0.1
	region := orb.Bound{Min: orb.Point{b.Min[0] - pad, b.Min[1] - pad}, Max: orb.Point{b.Max[0] + pad, b.Max[1] + pad}}
	fc := geojson.NewFeatureCollection()
	add := func(layer string, g orb.MultiPolygon, props map[string]any) {
		if !g.Bound().Intersects(region) {
			return
		}
		g = clip.MultiPolygon(region, g)
		if len(g) == 0 {
			return
		}
		m := project.MultiPolygon(g.Clone(), project.WGS84.ToMercator)
		for _, p := range m {
			for _, r := range p {
				for i := range r {
					r[i] = orb.Point{math.Round(r[i][0]*100) / 100, math.Round(r[i][1]*100) / 100}
				}
			}
		}
		f := geojson.NewFeature(m)
		f.Properties = props
		f.Properties["layer"] = layer
		fc.Append(f)
	}
	for _, u := range units {
		if u.ValidTo != "" || u.Level == "province" {
			continue // today's units only; the province outline is far away
		}
		add("admin_units", u.Geometry, map[string]any{"code": u.Code, "level": u.Level, "kind": u.Kind, "name": u.Name, "area_m2": synth.Area(u.Geometry)})
	}
	err = synth.Generate(synth.Config{Seed: fixtureSeed, Parcels: fixtureParcels}, units, synth.Emitter{
		Parcel: func(p synth.Parcel) error {
			codes := ""
			for i, lu := range p.LandUse {
				if i > 0 {
					codes += "+"
				}
				codes += lu.Code
			}
			add("parcels", p.Geometry, map[string]any{
				"commune_code": p.CommuneCode, "sheet_no": p.Sheet, "parcel_no": p.Number,
				"main_use": p.LandUse[0].Code, "land_use": codes, "official_area_m2": p.Area,
			})
			return nil
		},
		Construction: func(c synth.Construction) error {
			add("constructions", c.Geometry, map[string]any{"kind": c.Kind, "storeys": c.Storeys, "status": c.Status})
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	// {"tile":[z,x,y], "type":"FeatureCollection", ...}
	doc := append([]byte(`{"tile":[`+itoa(int(tile.Z))+`,`+itoa(int(tile.X))+`,`+itoa(int(tile.Y))+`],`), body[1:]...)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(doc)
	zw.Close()
	if err := os.MkdirAll(filepath.Dir(fixturePath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fixturePath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: tile %v with %d parcels, %d features, %d bytes", fixturePath, tile, count[tile], len(fc.Features), buf.Len())
}

func itoa(n int) string { return strconv.Itoa(n) }

// tileFrame is the frame of a 256-pixel XYZ tile in EPSG:3857: z16 of such tiles is the web
// map's zoom 15.
func tileFrame(t maptile.Tile, bg color.NRGBA) Frame {
	b := t.Bound()
	lo := project.WGS84.ToMercator(b.Min)
	hi := project.WGS84.ToMercator(b.Max)
	lat := b.Center()[1]
	res := (hi[0] - lo[0]) / 256 * math.Cos(lat*math.Pi/180)
	return Frame{Width: 256, Height: 256, BBox: orb.Bound{Min: lo, Max: hi}, Background: bg, Zoom: style.ZoomAt(res, lat)}
}

// centredFrame is a frame of w×h pixels at a style zoom, centred on a point in EPSG:3857.
func centredFrame(c orb.Point, w, h int, zoom float64, bg color.NRGBA) Frame {
	lat := project.Mercator.ToWGS84(c)[1]
	res := style.Resolution(zoom, lat) / math.Cos(lat*math.Pi/180) // EPSG:3857 units a pixel
	hw, hh := float64(w)/2*res, float64(h)/2*res
	return Frame{Width: w, Height: h, BBox: orb.Bound{Min: orb.Point{c[0] - hw, c[1] - hh}, Max: orb.Point{c[0] + hw, c[1] + hh}},
		Background: bg, Zoom: zoom}
}

// districtLayers is the fixture as a map draws it.
func districtLayers(t testing.TB, fx fixture) []Layer {
	p := style.NewPalette(nil)
	return []Layer{
		{Style: style.Parcels(p), Features: fx.layers["parcels"]},
		{Style: style.Constructions(), Features: fx.layers["constructions"]},
		{Style: style.AdminUnits(), Features: fx.layers["admin_units"]},
	}
}

// pixel reads a pixel as non-premultiplied colour.
func pixel(img *image.RGBA, x, y int) color.NRGBA {
	return color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
}

var (
	white = color.NRGBA{255, 255, 255, 255}
	black = color.NRGBA{0, 0, 0, 255}
	red   = color.NRGBA{255, 0, 0, 255}
)
