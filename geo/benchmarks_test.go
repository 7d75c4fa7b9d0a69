package geo

import (
	"testing"

	"github.com/paulmach/orb"
)

func BenchmarkToVN2000TM3(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ToVN2000TM3(106.89, 11.535, ProvinceZone); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromVN2000TM3(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := FromVN2000TM3(569613.688, 1275708.641, ProvinceZone); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlanarArea(b *testing.B) {
	// A 64-vertex ring, about the size of a large parcel's outline.
	ring := make(orb.Ring, 0, 65)
	for i := range 64 {
		f := float64(i) / 64
		ring = append(ring, orb.Point{106.89 + 0.001*f, 11.535 + 0.001*f*f})
	}
	ring = append(ring, ring[0])
	poly := orb.Polygon{ring}
	b.ReportAllocs()
	for b.Loop() {
		PlanarArea(poly)
	}
}

func BenchmarkFold(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Fold("Thành phố Đồng Xoài, Tỉnh Bình Phước")
	}
}

func BenchmarkTilesCovering(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for range TilesCovering(ProvinceBound, 12) {
		}
	}
}
