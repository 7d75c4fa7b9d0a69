package geojson

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// parcelsFixture is n parcels as a GIS office exports them: Vietnamese field names, a
// five-position ring in WGS 84, about 450 bytes each.
func parcelsFixture(n int) []byte {
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

func BenchmarkDecoder(b *testing.B) {
	data := parcelsFixture(20000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var f Feature
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(data), DecoderOptions{})
		for {
			err := d.Next(&f)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
