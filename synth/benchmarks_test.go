package synth

import (
	"fmt"
	"io"
	"testing"
)

// BenchmarkParcels measures generating parcels (no output). One op is one
// full run; run once with: go test -run x -bench Parcels -benchtime 1x
func BenchmarkParcels(b *testing.B) {
	us := AdminUnits(1)
	for _, n := range []int{50_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got := 0
				if err := Parcels(Config{Seed: 1, Parcels: n}, us, func(Parcel) error { got++; return nil }); err != nil {
					b.Fatal(err)
				}
				if got != n {
					b.Fatalf("got %d parcels", got)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/parcel")
		})
	}
}

// BenchmarkWriteGeoJSON includes constructions-free GeoJSON encoding.
func BenchmarkWriteGeoJSON(b *testing.B) {
	us := AdminUnits(1)
	const n = 50_000
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteGeoJSON(io.Discard, Config{Seed: 1, Parcels: n}, us); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/parcel")
}

func BenchmarkAdminUnits(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		AdminUnits(1)
	}
}
