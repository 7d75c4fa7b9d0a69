package gml

import (
	"bufio"
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

// benchParcels returns n irregular parcels of 10 to 30 vertices near Đồng Xoài, as
// MultiPolygons in lon/lat like the parcels table. They are generated (seeded, so every run
// encodes the same data) rather than read from testdata: 10,000 parcels would be megabytes of
// fixture for no gain in realism over a star-shaped polygon with jittered radii.
func benchParcels(n int) []orb.MultiPolygon {
	r := rand.New(rand.NewPCG(70, 1))
	out := make([]orb.MultiPolygon, n)
	for i := range out {
		cx, cy := 106.85+r.Float64()*0.1, 11.5+r.Float64()*0.1
		k := 10 + r.IntN(21)
		ring := make(orb.Ring, 0, k+1)
		for j := 0; j < k; j++ {
			a := 2 * math.Pi * float64(j) / float64(k)
			rad := 0.0002 * (0.6 + 0.8*r.Float64()) // 13 to 31 m
			ring = append(ring, orb.Point{cx + rad*math.Cos(a), cy + rad*math.Sin(a)})
		}
		out[i] = orb.MultiPolygon{{append(ring, ring[0])}}
	}
	return out
}

// BenchmarkEncode_10kParcels encodes 10,000 parcels into a buffered writer, as a GetFeature
// response does. One op is the whole batch.
func BenchmarkEncode_10kParcels(b *testing.B) {
	// As orb.Geometry, the way a response holds them after decoding WKB from the database
	// (a []orb.MultiPolygon would allocate an interface value per call, in the benchmark).
	parcels := make([]orb.Geometry, 10_000)
	projected := make([]orb.Geometry, len(parcels))
	for i, p := range benchParcels(len(parcels)) {
		parcels[i] = p
		g, err := geo.Project(p, geo.ProvinceZone)
		if err != nil {
			b.Fatal(err)
		}
		projected[i] = g
	}
	ids := make([]string, len(parcels))
	for i := range ids {
		ids[i] = "parcels." + strconv.Itoa(i+1)
	}
	for _, bc := range []struct {
		name string
		enc  Encoder
		data []orb.Geometry
	}{
		{"GML32_urn4326_7dp", Encoder{Version: GML32, SRS: urn4326, Decimals: 7}, parcels},
		{"GML311_EPSG4326_7dp", Encoder{Version: GML311, SRS: epsg4326, Decimals: 7}, parcels},
		{"GML32_urn9212_3dp", Encoder{Version: GML32, SRS: urn9212, Decimals: 3}, projected},
		{"GML32_urn4326_shortest", Encoder{Version: GML32, SRS: urn4326}, parcels},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w := bufio.NewWriterSize(io.Discard, 64<<10)
			enc := bc.enc
			var size int64
			b.ReportAllocs()
			for b.Loop() {
				size = 0
				for i, p := range bc.data {
					if err := enc.Encode(w, p, ids[i]); err != nil {
						b.Fatal(err)
					}
					size += int64(len(enc.buf))
				}
				w.Flush()
			}
			b.SetBytes(size)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(bc.data)), "ns/parcel")
		})
	}
}

// BenchmarkDecode_Parcel decodes one parcel of 10 to 30 vertices as QGIS sends it in a
// transaction, through the guarded decoder.
func BenchmarkDecode_Parcel(b *testing.B) {
	enc := Encoder{SRS: urn4326, Decimals: 7}
	doc := []byte(`<root xmlns:gml="` + NS32 + `">`)
	doc, err := enc.Append(doc, benchParcels(1)[0], "p.1")
	if err != nil {
		b.Fatal(err)
	}
	doc = append(doc, "</root>"...)
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		d := ogcxml.NewDecoder(bytes.NewReader(doc), ogcxml.Limits{})
		if _, err := ogcxml.Root(d); err != nil {
			b.Fatal(err)
		}
		start, err := ogcxml.Root(d)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeElement(d, start, DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
