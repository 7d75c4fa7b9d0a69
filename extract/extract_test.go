package extract

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/style"
)

func TestRender_SameInputSameBytes(t *testing.T) {
	a, b := renderBytes(t, sample()), renderBytes(t, sample())
	if !bytes.Equal(a, b) {
		t.Fatal("two renderings of the same extract differ")
	}
	if !bytes.HasPrefix(a, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %.20q", a)
	}
	later := sample()
	later.DrawnAt = later.DrawnAt.Add(60e9)
	if bytes.Equal(a, renderBytes(t, later)) {
		t.Error("extracts drawn a minute apart have the same bytes: the drawing time is not in the document")
	}
}

// The text pdftotext reads back: Vietnamese intact, the attributes, every corner of the fixture
// with X the northing and Y the easting, the edges, the areas, the dates and the data version.
func TestRender_Text(t *testing.T) {
	text := pdfText(t, renderBytes(t, sample()))
	for _, want := range []string{
		"TRÍCH LỤC BẢN ĐỒ ĐỊA CHÍNH", "Thửa đất số 345, tờ bản đồ số 12, Phường Tân Phú",
		"Thửa đất số", "Tờ bản đồ số", "Phường Tân Phú (mã 25195)", "Thành phố Đồng Xoài (mã 689)",
		"Tỉnh Bình Phước (mã 70)", "thửa 45, tờ 3", "500,0 m²", "498,5 m²",
		"ODT – Đất ở tại đô thị: 200,0 m²", "CLN – Đất trồng cây lâu năm: 300,0 m²",
		"Khu phố 3, đường Phú Riềng Đỏ", "Nguyễn Thị Hồng Ánh", "070185001234", "DA 123456",
		"kinh tuyến trục 106°15′ (EPSG:9212)", "Tỉ lệ 1:500",
		"Diện tích tính từ tọa độ: 500,0 m²", "Chu vi: 120,00 m",
		"Theo dữ liệu ngày 01/01/2024", "phiên bản 2, thay đổi lúc 07:00 15/03/2024",
		"Lập lúc 18:12 04/12/2026", "Trang 1/1",
		"344", "346", "350", "7 (tờ 13)", "345", "ODT+CLN",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("extract lacks %q", want)
		}
	}
	// Clockwise from the north-west corner of the L; X northing, Y easting.
	rows := regexp.MustCompile(`(\d+)\s+(\d{7},\d\d)\s+(\d{6},\d\d)\s+(\d+–\d+)\s+([\d.]+,\d\d)`).FindAllStringSubmatch(text, -1)
	want := [][]string{
		{"1", "1275730,00", "569600,00", "1–2", "10,00"},
		{"2", "1275730,00", "569610,00", "2–3", "20,00"},
		{"3", "1275710,00", "569610,00", "3–4", "20,00"},
		{"4", "1275710,00", "569630,00", "4–5", "10,00"},
		{"5", "1275700,00", "569630,00", "5–6", "30,00"},
		{"6", "1275700,00", "569600,00", "6–1", "30,00"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d corner rows, want %d:\n%s", len(rows), len(want), text)
	}
	for i, r := range rows {
		if fmt.Sprint(r[1:]) != fmt.Sprint(want[i]) {
			t.Errorf("corner row %d: %v, want %v", i+1, r[1:], want[i])
		}
	}
}

func TestRender_WithoutOwner(t *testing.T) {
	x := sample()
	x.Parcel.Owner = nil
	text := pdfText(t, renderBytes(t, x))
	for _, personal := range []string{"Nguyễn Thị Hồng Ánh", "070185001234", "DA 123456", "giấy chứng nhận"} {
		if strings.Contains(text, personal) {
			t.Errorf("an extract without an owner shows %q", personal)
		}
	}
	if !strings.Contains(text, "Người sử dụng") || !strings.Contains(text, "không hiển thị (dữ liệu cá nhân)") {
		t.Error("an extract without an owner does not say the owner is withheld")
	}
}

// word is one word of `pdftotext -bbox`, its box in points.
type word struct {
	x0, y0, x1, y1 float64
	s              string
}

func words(t *testing.T, pdf []byte) []word {
	t.Helper()
	f := filepath.Join(t.TempDir(), "x.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out := poppler(t, "pdftotext", "-bbox", "-f", "1", "-l", "1", f, "-")
	re := regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
	var ws []word
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		var v [4]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		ws = append(ws, word{v[0], v[1], v[2], v[3], html.UnescapeString(m[5])})
	}
	return ws
}

// The scale bar's length on paper, measured between the centres of its "0" and its end label
// where pdftotext finds them, is its stated length at the stated scale; and the parcel, measured
// in pixels on a 254 dpi rendering, is as wide and tall as its size at that scale.
func TestRender_ScaleBarAndMapMatchTheStatedScale(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  float64 // the L's side, m
		scale int
	}{{"1:500", 30, 500}, {"1:200", 12, 200}, {"1:2000", 120, 2000}, {"1:5000", 400, 5000}} {
		t.Run(tc.name, func(t *testing.T) {
			x := sample()
			k := tc.size / 30
			for _, poly := range x.Parcel.Geometry {
				for _, r := range poly {
					for i := range r {
						r[i] = orb.Point{569600 + (r[i][0]-569600)*k, 1275700 + (r[i][1]-1275700)*k}
					}
				}
			}
			x.Neighbours = nil
			pdf := renderBytes(t, x)
			ws := words(t, pdf)
			stated := 0
			for i := 0; i+2 < len(ws); i++ {
				if ws[i].s == "Tỉ" && ws[i+1].s == "lệ" {
					stated, _ = strconv.Atoi(strings.TrimPrefix(ws[i+2].s, "1:"))
				}
			}
			if stated != tc.scale {
				t.Fatalf("stated scale 1:%d, want 1:%d", stated, tc.scale)
			}
			lm := scaleBarLength(stated)
			var zero, end *word
			// The labels share a baseline: "0", the half, the length, "m".
			for i := range ws {
				var line []*word
				for j := range ws {
					if math.Abs(ws[j].y0-ws[i].y0) < 0.5 && ws[j].x0 >= ws[i].x0 {
						line = append(line, &ws[j])
					}
				}
				slices.SortFunc(line, func(a, b *word) int { return cmp.Compare(a.x0, b.x0) })
				if len(line) >= 4 && line[0].s == "0" && line[1].s == barLabel(lm/2) && line[2].s == barLabel(lm) && line[3].s == "m" {
					zero, end = line[0], line[2]
				}
			}
			if zero == nil {
				t.Fatalf("no scale bar labels 0 %s %s m", barLabel(lm/2), barLabel(lm))
			}
			gotMM := ((end.x0+end.x1)/2 - (zero.x0+zero.x1)/2) * 25.4 / 72
			if wantMM := lm * 1000 / float64(stated); math.Abs(gotMM-wantMM) > 0.2 || wantMM < 20 {
				t.Errorf("scale bar of %v m is %.2f mm on paper, want %.2f mm at 1:%d", lm, gotMM, wantMM, stated)
			}

			// The parcel's fill, in pixels of 0.1 mm: its outline (0.5 mm) covers 0.25 mm of
			// each side.
			img := rasterize(t, pdf)
			fill := tint(mustCode(t, "ODT"))
			b := image.Rectangle{Min: image.Pt(math.MaxInt, math.MaxInt)}
			for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
				for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
					r, g, bl, _ := img.At(x, y).RGBA()
					if int(r>>8) == fill.r && int(g>>8) == fill.g && int(bl>>8) == fill.b {
						b.Min.X, b.Min.Y = min(b.Min.X, x), min(b.Min.Y, y)
						b.Max.X, b.Max.Y = max(b.Max.X, x+1), max(b.Max.Y, y+1)
					}
				}
			}
			wantMM := tc.size * 1000 / float64(stated)
			for _, got := range []float64{float64(b.Dx()) / 10, float64(b.Dy()) / 10} {
				if math.Abs(got+0.5-wantMM) > 0.6 {
					t.Errorf("the parcel's fill measures %.1f mm (%v), want %.1f mm less its outline at 1:%d", got, b, wantMM, stated)
				}
			}
		})
	}
}

func mustCode(t *testing.T, code string) color.NRGBA {
	t.Helper()
	c, ok := style.CodeColor(code)
	if !ok {
		t.Fatalf("no colour for %s", code)
	}
	return c
}

// rasterize renders page 1 at 254 dpi (10 pixels a millimetre) with pdftoppm.
func rasterize(t *testing.T, pdf []byte) image.Image {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "x.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	poppler(t, "pdftoppm", "-r", "254", "-png", "-f", "1", "-l", "1", "-singlefile", f, filepath.Join(dir, "page"))
	r, err := os.Open(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	img, err := png.Decode(r)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// A parcel with more corners than the first page holds goes on over a second page, every
// corner numbered once, the totals after the last.
func TestRender_ManyCornersGoOnToAnotherPage(t *testing.T) {
	x := sample()
	const n = 90
	ring := make(orb.Ring, 0, n+1)
	for i := range n {
		a := -2 * math.Pi * float64(i) / n
		ring = append(ring, orb.Point{569600 + 40*math.Cos(a), 1275700 + 40*math.Sin(a)})
	}
	ring = append(ring, ring[0])
	x.Parcel.Geometry = orb.MultiPolygon{{ring}}
	x.Parcel.OfficialAreaM2 = math.Round(AreaOf(Vertices(x.Parcel.Geometry))*10) / 10
	text := pdfText(t, renderBytes(t, x))
	rows := regexp.MustCompile(`(\d+)\s+\d{7},\d\d\s+\d{6},\d\d\s+(\d+)–(\d+)`).FindAllStringSubmatch(text, -1)
	seen := map[string]bool{}
	for _, r := range rows {
		if r[1] != r[2] || seen[r[1]] {
			t.Errorf("row %v: numbered twice or out of step", r)
		}
		seen[r[1]] = true
	}
	if len(seen) != n {
		t.Errorf("%d corners in the table, want %d", len(seen), n)
	}
	for _, want := range []string{"Trang 1/2", "Trang 2/2", "tiếp theo", "Diện tích tính từ tọa độ: " + FormatArea(x.Parcel.OfficialAreaM2) + " m²"} {
		if !strings.Contains(text, want) {
			t.Errorf("extract lacks %q", want)
		}
	}
}

func TestRender_RefusesWhatItCannotDraw(t *testing.T) {
	for name, mod := range map[string]func(*Extract){
		"no geometry":     func(x *Extract) { x.Parcel.Geometry = nil },
		"no number":       func(x *Extract) { x.Parcel.Number = 0 },
		"no zone":         func(x *Extract) { x.Zone = Zone{} },
		"no drawing time": func(x *Extract) { x.DrawnAt = time.Time{} },
		"NaN": func(x *Extract) {
			x.Parcel.Geometry = orb.MultiPolygon{{{{math.NaN(), 0}, {1, 0}, {1, 1}, {math.NaN(), 0}}}}
		},
	} {
		x := sample()
		mod(&x)
		var buf bytes.Buffer
		if err := Render(&buf, x); !errors.Is(err, ErrInput) || buf.Len() != 0 {
			t.Errorf("%s: err %v, %d bytes written; want ErrInput and nothing", name, err, buf.Len())
		}
	}
}
