package style_test

import (
	"encoding/json"
	"fmt"

	"github.com/dongnai-gis/gisd/style"
)

// A renderer finds the zoom of its frame from the ground size of a pixel; WMS capabilities go
// the other way, to scale denominators.
func ExampleZoomAt() {
	const lat = 11.5 // Bình Phước
	z := style.ZoomAt(0.5, lat)
	fmt.Printf("0.5 m a pixel is zoom %.2f, 1:%.0f\n", z, style.ScaleDenominator(0.5))
	fmt.Println("parcel labels show:", style.Parcels(nil).Labels[0].Zoom.Contains(z))
	// Output:
	// 0.5 m a pixel is zoom 17.23, 1:1786
	// parcel labels show: true
}

// The palette is built from the code list in the database; codes added later take their group's
// colour.
func ExamplePalette() {
	p := style.NewPalette([]style.LandUse{
		{Code: "ONT", Name: "Đất ở tại nông thôn", Group: style.GroupNonAgricultural},
		{Code: "XYZ", Name: "a code added later", Group: style.GroupAgricultural},
	})
	fmt.Println(style.Hex(p.Color("ONT")), style.Hex(p.Color("XYZ")), style.Hex(p.Color("???")))
	// Output: #ffc8f0 #b8e186 #cccccc
}

// The MapLibre document of the whole map: sources at gisd's TileJSON, labels when there are
// glyphs.
func ExampleMapLibre() {
	layers := style.Stack([]*style.Layer{
		style.AdminUnits(), style.Parcels(style.NewPalette(nil)), style.Constructions(),
		style.Default("roads", "Đường giao thông", "MultiLineString"),
	})
	doc, err := style.MapLibre(layers, style.MapLibreOptions{
		BaseURL:   "https://gis.example.vn",
		GlyphsURL: "https://gis.example.vn/fonts/{fontstack}/{range}.pbf",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var d struct {
		Sources map[string]struct{ URL string }
		Layers  []struct{ ID string }
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Sources["parcels"].URL)
	for _, l := range d.Layers {
		fmt.Print(l.ID, " ")
	}
	fmt.Println()
	// Output:
	// https://gis.example.vn/tiles/parcels.json
	// background parcels-fill parcels-line constructions-fill constructions-line layer:roads:line admin-commune admin-district admin-province parcels-label admin-commune-label admin-district-label admin-province-label
}
