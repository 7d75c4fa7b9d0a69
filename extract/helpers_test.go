package extract

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

var ict = time.FixedZone("ICT", 7*3600)

// square is a closed ring of the rectangle from (e, n) of w × h metres, listed counter-clockwise.
func rect(e, n, w, h float64) orb.Ring {
	return orb.Ring{{e, n}, {e + w, n}, {e + w, n + h}, {e, n + h}, {e, n}}
}

// sample is an L-shaped residential parcel of 500 m² near Đồng Xoài in EPSG:9212 with four
// neighbours, one on another sheet.
func sample() Extract {
	const e, n = 569600.0, 1275700.0
	l := orb.Polygon{{{e, n}, {e + 30, n}, {e + 30, n + 10}, {e + 10, n + 10}, {e + 10, n + 30}, {e, n + 30}, {e, n}}}
	return Extract{
		Parcel: Parcel{
			Commune: Unit{Code: "25195", Name: "Phường Tân Phú", Level: "commune"},
			Units: []Unit{
				{Code: "70", Name: "Tỉnh Bình Phước", Level: "province"},
				{Code: "689", Name: "Thành phố Đồng Xoài", Level: "district"},
				{Code: "25195", Name: "Phường Tân Phú", Level: "commune"},
			},
			Sheet: 12, Number: 345, OldSheet: 3, OldNumber: 45,
			OfficialAreaM2: 500, LegalAreaM2: 498.5,
			Uses: []LandUse{
				{Code: "ODT", Name: "Đất ở tại đô thị", AreaM2: 200},
				{Code: "CLN", Name: "Đất trồng cây lâu năm", AreaM2: 300},
			},
			Address:  "Khu phố 3, đường Phú Riềng Đỏ",
			Owner:    &Owner{Name: "Nguyễn Thị Hồng Ánh", IDNumber: "070185001234", CertificateNo: "DA 123456"},
			Geometry: orb.MultiPolygon{l},
		},
		Neighbours: []Neighbour{
			{CommuneCode: "25195", Sheet: 12, Number: 344, Geometry: orb.MultiPolygon{{rect(e-20, n, 20, 30)}}},
			{CommuneCode: "25195", Sheet: 12, Number: 346, Geometry: orb.MultiPolygon{{rect(e, n-25, 40, 25)}}},
			{CommuneCode: "25195", Sheet: 12, Number: 350, Geometry: orb.MultiPolygon{{orb.Ring{{e + 10, n + 10}, {e + 30, n + 10}, {e + 30, n + 30}, {e + 10, n + 30}, {e + 10, n + 10}}}}},
			{CommuneCode: "25195", Sheet: 13, Number: 7, Geometry: orb.MultiPolygon{{rect(e+30, n, 15, 30)}}},
		},
		Zone:     Zone{SRID: 9212, Name: "VN-2000 / TM-3 106-15", CentralMeridian: 106.25},
		Date:     time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		Version:  Version{Feature: 2, ChangedAt: time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)},
		DrawnAt:  time.Date(2026, 12, 4, 11, 12, 0, 0, time.UTC),
		Location: ict,
	}
}

func renderBytes(tb testing.TB, x Extract) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, x); err != nil {
		tb.Fatalf("Render: %v", err)
	}
	return buf.Bytes()
}

// poppler runs one of poppler-utils' tools, skipping the test when it is not installed.
func poppler(tb testing.TB, tool string, args ...string) []byte {
	tb.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		tb.Skipf("%s is not installed (Debian package poppler-utils): %v", tool, err)
	}
	out, err := exec.Command(tool, args...).Output()
	if err != nil {
		tb.Fatalf("%s %v: %v", tool, args, err)
	}
	return out
}

// pdfText is the text of a PDF as `pdftotext -layout` extracts it.
func pdfText(tb testing.TB, pdf []byte) string {
	tb.Helper()
	f := filepath.Join(tb.TempDir(), "x.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		tb.Fatal(err)
	}
	return string(poppler(tb, "pdftotext", "-layout", "-enc", "UTF-8", f, "-"))
}
