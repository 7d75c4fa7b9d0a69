package importer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
)

// parcelsFile is n parcels as a GIS office exports them: Vietnamese field names, a five-position
// ring in WGS 84, about 450 bytes each.
func parcelsFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"FeatureCollection","name":"thua_dat","features":[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		x, y := 106.6+float64(i%1000)*0.0005, 11.4+float64(i/1000)*0.0005
		fmt.Fprintf(&b, `{"type":"Feature","properties":{"MaXa":"25216","SoHieuToBanDo":%d,"SoThuTuThua":%d,`+
			`"DienTich":%d.5,"KyHieuMucDichSuDung":"ONT+CLN","DiaChi":"Ấp %d, xã Tân Thành","TenChu":"Nguyễn Văn An"},`+
			`"geometry":{"type":"Polygon","coordinates":[[[%.8f,%.8f],[%.8f,%.8f],[%.8f,%.8f],[%.8f,%.8f],[%.8f,%.8f]]]}}`,
			1+i/500, 1+i%500, 200+i%3000, i%9,
			x, y, x+0.0004, y, x+0.0004, y+0.0004, x, y+0.0004, x, y)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// parcelsSchema is the parcels layer as store describes it.
func parcelsSchema() Schema {
	return Schema{Layer: "parcels", Table: "parcels", GeometryType: "MultiPolygon",
		Columns: []Column{
			{Name: "commune_code", DB: DBText, Required: true}, {Name: "sheet_no", DB: DBInt4, Required: true},
			{Name: "parcel_no", DB: DBInt4, Required: true}, {Name: "old_sheet_no", DB: DBInt4}, {Name: "old_parcel_no", DB: DBInt4},
			{Name: "land_use", DB: DBJSON, Required: true, LandUse: true}, {Name: "legal_area_m2", DB: DBNumeric, Precision: 14, Scale: 1},
			{Name: "address", DB: DBText}, {Name: "owner_name", DB: DBText}, {Name: "owner_id_number", DB: DBText},
			{Name: "certificate_no", DB: DBText},
		},
		LandUse: map[string]LandUseCode{"ONT": {}, "CLN": {}},
	}
}

// BenchmarkReader is the Go side of an import, per feature: decode, check the geometry, map and
// convert the attributes, find duplicate keys, prove the ring valid, encode EWKB.
func BenchmarkReader(b *testing.B) {
	data := parcelsFile(20000)
	opt := Options{Layer: "parcels", Key: DefaultKey("parcels")}
	if err := opt.Normalize(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var row Row
	for b.Loop() {
		rd := NewReader(bytes.NewReader(data), parcelsSchema(), opt, NewReport())
		for {
			err := rd.Next(context.Background(), &row)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if !row.Proven {
				b.Fatal("a square parcel not proven valid")
			}
		}
		if rd.Rejected() != 0 {
			b.Fatalf("%d rejected", rd.Rejected())
		}
	}
}
