package synth_test

import (
	"fmt"
	"strings"

	"github.com/dongnai-gis/gisd/synth"
)

// Administrative units come in versions: the pre-reform province, districts
// and communes end on 2025-07-01, when Đồng Nai (75) and its merged
// communes begin.
func ExampleAdminUnits() {
	units := synth.AdminUnits(1)
	count := map[string]int{}
	for _, u := range units {
		if u.Level == "district" {
			fmt.Println(u.Code, u.Name)
		}
		when := "before"
		if u.ValidFrom == synth.ReformDate {
			when = "after"
		}
		count[u.Level+" "+when]++
	}
	fmt.Println(count["province before"], "province,", count["district before"], "districts,", count["commune before"], "communes before the reform")
	fmt.Println(count["district after"], "districts after the reform")
	// Output:
	// 688 Thị xã Phước Long
	// 689 Thành phố Đồng Xoài
	// 690 Thị xã Bình Long
	// 691 Huyện Bù Gia Mập
	// 692 Huyện Lộc Ninh
	// 693 Huyện Bù Đốp
	// 694 Huyện Hớn Quản
	// 695 Huyện Đồng Phú
	// 696 Huyện Bù Đăng
	// 697 Thị xã Chơn Thành
	// 698 Huyện Phú Riềng
	// 1 province, 11 districts, 111 communes before the reform
	// 0 districts after the reform
}

// Parcels streams parcels commune by commune; pass the units it should
// cover (usually AdminUnits with the same seed).
func ExampleParcels() {
	units := synth.AdminUnits(42)
	cfg := synth.Config{Seed: 42, Parcels: 2000}
	n, cln := 0, 0
	err := synth.Parcels(cfg, units, func(p synth.Parcel) error {
		n++
		if p.LandUse[0].Code == "CLN" {
			cln++
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n, "parcels, mostly perennial crops:", cln > n/2)
	// Output: 2000 parcels, mostly perennial crops: true
}

// WriteGeoJSON writes one feature per line with the Vietnamese cadastral
// field names.
func ExampleWriteGeoJSON() {
	var b strings.Builder
	if err := synth.WriteGeoJSON(&b, synth.Config{Seed: 1, Parcels: 3}, synth.AdminUnits(1)); err != nil {
		fmt.Println(err)
		return
	}
	lines := strings.Split(b.String(), "\n")
	fmt.Println(lines[0])
	fmt.Println(len(lines)-3, "features with", strings.Contains(lines[1], `"KyHieuMucDichSuDung"`))
	// Output:
	// {"type":"FeatureCollection","features":[
	// 3 features with true
}
