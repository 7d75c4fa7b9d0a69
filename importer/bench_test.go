package importer

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/dongnai-gis/gisd/synth"
)

// BenchmarkReader is the Go side of an import, per feature: decode, check the geometry, map and
// convert the attributes, find duplicate keys, prove the ring valid, encode EWKB. The file is
// 20,000 of gisd synth's parcels (Vietnamese field names, as GIS offices export them).
func BenchmarkReader(b *testing.B) {
	units := synth.AdminUnits(70)
	cfg := synth.Config{Seed: 70, Parcels: 20000}
	var file bytes.Buffer
	if err := synth.WriteGeoJSON(&file, cfg, units); err != nil {
		b.Fatal(err)
	}
	schema := Schema{Layer: "parcels", Table: "parcels", GeometryType: "MultiPolygon", LandUse: map[string]LandUseCode{},
		Columns: []Column{
			{Name: "commune_code", DB: DBText, Required: true}, {Name: "sheet_no", DB: DBInt4, Required: true},
			{Name: "parcel_no", DB: DBInt4, Required: true}, {Name: "old_sheet_no", DB: DBInt4}, {Name: "old_parcel_no", DB: DBInt4},
			{Name: "land_use", DB: DBJSON, Required: true, LandUse: true}, {Name: "legal_area_m2", DB: DBNumeric, Precision: 14, Scale: 1},
			{Name: "address", DB: DBText}, {Name: "owner_name", DB: DBText}, {Name: "owner_id_number", DB: DBText},
			{Name: "certificate_no", DB: DBText},
		}}
	if err := synth.Parcels(cfg, units, func(p synth.Parcel) error {
		for _, lu := range p.LandUse {
			schema.LandUse[lu.Code] = LandUseCode{}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	opt := Options{Layer: "parcels", Key: DefaultKey("parcels")}
	if err := opt.Normalize(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(file.Len()))
	b.ReportAllocs()
	var row Row
	for b.Loop() {
		rd := NewReader(bytes.NewReader(file.Bytes()), schema, opt, NewReport())
		for {
			err := rd.Next(context.Background(), &row)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		if rd.Rejected() != 0 {
			b.Fatalf("%d rejected", rd.Rejected())
		}
	}
}
