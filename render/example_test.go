package render_test

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/render"
	"github.com/dongnai-gis/gisd/style"
)

// A parcel drawn at zoom 18 in a frame whose units are metres (as in a VN-2000 zone): filled by
// its land use, outlined, and labelled with the cadastral fraction.
func ExampleRender() {
	parcels := style.Parcels(style.NewPalette(nil))
	frame := render.Frame{
		Width: 256, Height: 256,
		BBox:       orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{100, 100}}, // 100 m
		Background: style.Background,
		Zoom:       style.ZoomAt(100.0/256, 11.5), // 0.39 m a pixel: zoom 17.6
	}
	parcel := render.Feature{
		Geometry:   orb.Polygon{{{10, 10}, {90, 20}, {85, 90}, {20, 75}, {10, 10}}},
		Properties: map[string]any{"parcel_no": 125, "official_area_m2": 4870.4, "land_use": "ONT+CLN", "main_use": "ONT"},
	}
	m, err := render.NewMap(frame)
	if err != nil {
		fmt.Println(err)
		return
	}
	m.Draw(parcels, []render.Feature{parcel})
	img := m.Image()
	for _, p := range m.Placed() {
		fmt.Printf("%s: %q\n", p.Rule, p.Text)
	}
	var buf bytes.Buffer
	if err := render.Encode(&buf, img, render.PNG8, render.EncodeOptions{}); err != nil {
		fmt.Println(err)
		return
	}
	back, err := png.Decode(&buf)
	fmt.Println(back.Bounds().Dx(), back.Bounds().Dy(), err, color.NRGBAModel.Convert(back.At(128, 200)) != color.NRGBAModel.Convert(back.At(2, 2)))
	// Output:
	// parcels-label: "125\n4.870,4\nONT+CLN"
	// 256 256 <nil> true
}
