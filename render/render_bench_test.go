package render

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"syscall"
	"testing"

	"github.com/dongnai-gis/gisd/style"
)

// The benchmarks draw the test district (testdata/district.geojson.gz): the densest z16 tile of
// the synthetic province at 1.5 million parcels, about 1,500 irregular parcels with their
// constructions and commune boundaries. Run them on one core:
//
//	go test ./render -run '^$' -bench . -benchmem -cpu 1

// withParcelLabelsFrom returns the layers with parcel labels from zoom z: at z16 of 256-pixel
// tiles (the web map's zoom 15) the style has none, which BenchmarkTile256 measures; this
// measures the labelling machinery on the same tile.
func withParcelLabelsFrom(layers []Layer, z float64) []Layer {
	out := append([]Layer(nil), layers...)
	p := *out[0].Style
	p.Labels = append([]style.Label(nil), p.Labels...)
	p.Labels[0].Zoom.Min = z
	out[0].Style = &p
	return out
}

func benchRender(b *testing.B, f Frame, layers []Layer) *image.RGBA {
	b.Helper()
	b.ReportAllocs()
	var img *image.RGBA
	cpu := cpuTime()
	for b.Loop() {
		var err error
		if img, err = Render(f, layers...); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time, which other processes on a shared machine do not inflate as they do ns/op.
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	return img
}

// cpuTime is the process's user and system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkTile256 draws a 256×256 map tile at z16 (of 256-pixel tiles) over ~1,500 parcels,
// their constructions and the commune boundaries: fills, outlines, no labels at this zoom.
func BenchmarkTile256(b *testing.B) {
	fx := loadFixture(b)
	benchRender(b, tileFrame(fx.tile, style.Background), districtLayers(b, fx))
}

// BenchmarkTile256Labels is the same tile with every parcel's cadastral label tried (most
// collide and are left out).
func BenchmarkTile256Labels(b *testing.B) {
	fx := loadFixture(b)
	benchRender(b, tileFrame(fx.tile, style.Background), withParcelLabelsFrom(districtLayers(b, fx), 0))
}

// BenchmarkMap1024x768 draws a 1024×768 map at zoom 17 (about 1:2,100), where parcels carry
// their cadastral labels: ~1,500 parcels in view, a few hundred labels placed.
func BenchmarkMap1024x768(b *testing.B) {
	fx := loadFixture(b)
	f := tileFrame(fx.tile, style.Background)
	benchRender(b, centredFrame(f.BBox.Center(), 1024, 768, 17, style.Background), districtLayers(b, fx))
}

func BenchmarkEncode(b *testing.B) {
	fx := loadFixture(b)
	tf := tileFrame(fx.tile, style.Background)
	tile, err := Render(tf, districtLayers(b, fx)...)
	if err != nil {
		b.Fatal(err)
	}
	big, err := Render(centredFrame(tf.BBox.Center(), 1024, 768, 17, style.Background), districtLayers(b, fx)...)
	if err != nil {
		b.Fatal(err)
	}
	for _, img := range []struct {
		name string
		img  *image.RGBA
	}{{"tile", tile}, {"1024x768", big}} {
		for _, f := range []struct {
			name string
			enc  func(w io.Writer) error
		}{
			{"png32", func(w io.Writer) error { return Encode(w, img.img, PNG, EncodeOptions{}) }},
			{"png32-default", func(w io.Writer) error { return png.Encode(w, img.img) }},
			{"png8", func(w io.Writer) error { return Encode(w, img.img, PNG8, EncodeOptions{}) }},
			{"jpeg85", func(w io.Writer) error { return Encode(w, img.img, JPEG, EncodeOptions{}) }},
		} {
			b.Run(img.name+"/"+f.name, func(b *testing.B) {
				b.ReportAllocs()
				var buf bytes.Buffer
				cpu := cpuTime()
				for b.Loop() {
					buf.Reset()
					if err := f.enc(&buf); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(buf.Len()), "bytes")
			})
		}
	}
}
