package api_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/dongnai-gis/gisd/extract"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// pdfToText is the text of a PDF as `pdftotext -layout` (poppler-utils) extracts it; the test
// skips, saying why, when pdftotext is not installed.
func pdfToText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skipf("pdftotext is not installed (Debian package poppler-utils): %v", err)
	}
	f := filepath.Join(t.TempDir(), "extract.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// pdfBytes is the PDF with every Flate stream inflated and string escapes undone, so a search
// finds text wherever the document holds it: page content (UTF-16BE, as fpdf writes text in a
// Unicode font), metadata (UTF-8 or UTF-16BE) or anywhere else.
func pdfBytes(t *testing.T, pdf []byte) []byte {
	t.Helper()
	out := slices.Clone(pdf)
	for rest := pdf; ; {
		i := bytes.Index(rest, []byte("stream\n"))
		if i < 0 {
			break
		}
		rest = rest[i+len("stream\n"):]
		end := bytes.Index(rest, []byte("endstream"))
		if end < 0 {
			break
		}
		if r, err := zlib.NewReader(bytes.NewReader(rest[:end])); err == nil {
			b, _ := io.ReadAll(r)
			out = append(out, b...)
		}
		rest = rest[end:]
	}
	return regexp.MustCompile(`\\([()\\])`).ReplaceAll(out, []byte("$1"))
}

// holds reports whether the document bytes carry s in UTF-8 or UTF-16BE.
func holds(doc []byte, s string) bool {
	var u16 []byte
	for _, r := range utf16.Encode([]rune(s)) {
		u16 = binary.BigEndian.AppendUint16(u16, r)
	}
	return bytes.Contains(doc, []byte(s)) || bytes.Contains(doc, u16)
}

// corner is a row of the extract's coordinate table.
type corner struct {
	no, next int
	x, y     string // northing, easting as printed
	edge     string
}

var cornerRow = regexp.MustCompile(`(\d+)\s+(\d{7},\d\d)\s+(\d{6},\d\d)\s+(\d+)–(\d+)\s+([\d.]+,\d\d)`)

func corners(text string) []corner {
	var out []corner
	for _, m := range cornerRow.FindAllStringSubmatch(text, -1) {
		no, _ := strconv.Atoi(m[1])
		next, _ := strconv.Atoi(m[5])
		out = append(out, corner{no: no, next: next, x: m[2], y: m[3], edge: m[6]})
	}
	return out
}

// extractParcel is a demo parcel whose owner changed on 2024-03-15, with what PostGIS says of it.
type extractParcel struct {
	id                          int64
	commune, communeName        string
	sheet, number               int
	area                        float64
	owner, oldOwner, cert, idNo string
	perimeter                   float64
	points                      [][2]float64 // easting, northing in EPSG:9212, closing point left out
	neighbours                  []int
}

func findExtractParcel(t *testing.T, s *store.Store) extractParcel {
	t.Helper()
	ctx := context.Background()
	var p extractParcel
	err := storetest.DB(t, s).QueryRow(ctx, `
		SELECT p.id, p.commune_code, p.sheet_no, p.parcel_no, p.official_area_m2::float8, p.owner_name, h.owner_name,
		       p.certificate_no, p.owner_id_number, ST_Perimeter(ST_Transform(p.geom, 9212)),
		       (SELECT a.name FROM admin_units a WHERE a.code = p.commune_code AND a.validity @> current_date)
		FROM parcels p JOIN parcels_history h ON h.id = p.id AND h.sys_to = '2024-03-15'
		WHERE p.main_use IN ('ODT', 'ONT') AND p.official_area_m2 BETWEEN 150 AND 2000 AND h.owner_name <> p.owner_name
		  AND EXISTS (SELECT 1 FROM admin_units a WHERE a.code = p.commune_code AND a.validity @> current_date)
		ORDER BY p.id LIMIT 1`).Scan(&p.id, &p.commune, &p.sheet, &p.number, &p.area, &p.owner, &p.oldOwner,
		&p.cert, &p.idNo, &p.perimeter, &p.communeName)
	if err != nil {
		t.Fatalf("find a parcel that changed owner in 2024: %v", err)
	}
	rows, err := storetest.DB(t, s).Query(ctx, `SELECT ST_X(d.geom), ST_Y(d.geom)
		FROM parcels p, ST_DumpPoints(ST_Transform(p.geom, 9212)) d WHERE p.id = $1 ORDER BY d.path`, p.id)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e, n float64
		if err := rows.Scan(&e, &n); err != nil {
			t.Fatal(err)
		}
		p.points = append(p.points, [2]float64{e, n})
	}
	if rows.Err() != nil || len(p.points) < 4 {
		t.Fatalf("points of parcel %d: %v (%d)", p.id, rows.Err(), len(p.points))
	}
	p.points = p.points[:len(p.points)-1] // one polygon, one ring: the last point closes it
	rows, err = storetest.DB(t, s).Query(ctx, `SELECT n.parcel_no FROM parcels p JOIN parcels n ON ST_Touches(n.geom, p.geom)
		WHERE p.id = $1 AND n.sheet_no = p.sheet_no AND n.commune_code = p.commune_code ORDER BY 1`, p.id)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n int
		rows.Scan(&n)
		p.neighbours = append(p.neighbours, n)
	}
	return p
}

// The extract of a demo parcel, read back with pdftotext, says what PostGIS says: every corner
// in EPSG:9212 to 0.01 m with its edge, the official area and the area from the coordinates,
// the perimeter, the commune; the owner only for a key with the personal scope (audited), and
// as of 2024-01-01 the owner of that day.
func TestExtract_DemoParcelAgainstPostGIS(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skipf("pdftotext is not installed (Debian package poppler-utils): %v", err)
	}
	s := storetest.Store(t, storetest.Demo(t))
	h := newServer(t, s)
	p := findExtractParcel(t, s)
	taxKey, tax := mustKey(t, s, "Chi cục Thuế", []string{"parcels:read", "parcels:personal"}, nil)
	_, reader := mustKey(t, s, "Sở Xây dựng", []string{"parcels:read"}, nil)
	path := fmt.Sprintf("/api/v1/parcels/%s/%d/%d/extract.pdf", p.commune, p.sheet, p.number)
	audited := func() (n int) {
		storetest.DB(t, s).QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE personal AND key_id = $1
			AND route LIKE '%extract.pdf' AND $2 = ANY(feature_ids)`, taxKey.ID, p.id).Scan(&n)
		return n
	}

	code, hdr, pdf := call(t, h, "GET", path, bearer(tax))
	if code != 200 {
		t.Fatalf("GET %s: %d %s", path, code, pdf)
	}
	if ct := hdr.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type %q, want application/pdf", ct)
	}
	wantName := fmt.Sprintf(`filename="trich-luc-%s-%d-%d.pdf"`, p.commune, p.sheet, p.number)
	if cd := hdr.Get("Content-Disposition"); !strings.Contains(cd, wantName) {
		t.Errorf("Content-Disposition %q, want %s", cd, wantName)
	}
	if got := audited(); got != 1 {
		t.Errorf("personal extract audited %d times, want 1", got)
	}
	text := pdfToText(t, pdf)
	for _, want := range []string{"TRÍCH LỤC BẢN ĐỒ ĐỊA CHÍNH", "Thửa đất số", "Tờ bản đồ số", "Mục đích sử dụng",
		"Người sử dụng", p.communeName, p.owner, p.cert, p.idNo, "EPSG:9212",
		fmt.Sprintf("Thửa đất số %d, tờ bản đồ số %d", p.number, p.sheet),
		"Diện tích tính từ tọa độ: " + extract.FormatArea(p.area) + " m²",
		"Chu vi: " + extract.FormatLength(p.perimeter) + " m",
		"phiên bản 2"} {
		if !strings.Contains(text, want) {
			t.Errorf("extract lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, extract.FormatArea(p.area)+" m²"); n < 2 {
		t.Errorf("official area %s m² printed %d times, want in the attributes and under the table", extract.FormatArea(p.area), n)
	}
	if m := regexp.MustCompile(`Tỉ lệ 1:(\d+)`).FindStringSubmatch(text); m == nil || !slices.Contains(extract.Scales, atoi(m[1])) {
		t.Errorf("no stated scale of the cadastral series in the extract (%v)", m)
	}

	// Every corner, in the order of the table, against ST_DumpPoints in EPSG:9212.
	rows := corners(text)
	if len(rows) != len(p.points) {
		t.Fatalf("%d corners in the table, PostGIS has %d:\n%s", len(rows), len(p.points), text)
	}
	// X is the northing, Y the easting; edges come from PostGIS's unrounded coordinates.
	db := map[string][2]float64{}
	for _, pt := range p.points {
		db[extract.FormatCoordinate(pt[1])+" "+extract.FormatCoordinate(pt[0])] = pt
	}
	for i, r := range rows {
		if r.no != i+1 || r.next != (i+1)%len(rows)+1 {
			t.Errorf("row %d numbered %d–%d", i+1, r.no, r.next)
		}
		a, ok := db[r.x+" "+r.y]
		if !ok {
			t.Errorf("corner %d: X %s, Y %s is not a corner of the parcel in PostGIS (EPSG:9212)", r.no, r.x, r.y)
			continue
		}
		delete(db, r.x+" "+r.y)
		next := rows[r.next-1]
		if b, ok := dbPoint(p.points, next.x, next.y); ok {
			if want := extract.FormatLength(math.Hypot(b[0]-a[0], b[1]-a[1])); r.edge != want {
				t.Errorf("edge %d–%d: printed %s m, PostGIS's corners give %s m", r.no, r.next, r.edge, want)
			}
		}
	}
	for k := range db {
		t.Errorf("PostGIS corner (X Y) %s is not in the table", k)
	}
	seen := 0
	for _, n := range p.neighbours {
		if regexp.MustCompile(`(^|\s)` + strconv.Itoa(n) + `(\s|$)`).MatchString(text) {
			seen++
		}
	}
	if len(p.neighbours) > 0 && seen == 0 {
		t.Errorf("none of the neighbours %v is labelled on the map", p.neighbours)
	}
	if doc := pdfBytes(t, pdf); !holds(doc, p.owner) {
		t.Fatalf("the owner %q is not found in the document's bytes: the absence checks below would prove nothing", p.owner)
	}

	// Without the personal scope: no owner anywhere in the document, and nothing audited.
	for _, who := range []struct {
		name    string
		headers map[string]string
	}{{"anonymous", nil}, {"reader", bearer(reader)}} {
		code, _, pdf := call(t, h, "GET", path, who.headers)
		if code != 200 {
			t.Fatalf("%s: %d %s", who.name, code, pdf)
		}
		text := pdfToText(t, pdf)
		doc := pdfBytes(t, pdf)
		for _, personal := range []string{p.owner, p.cert, p.idNo, p.oldOwner} {
			if strings.Contains(text, personal) || holds(doc, personal) {
				t.Errorf("%s: the extract holds personal data %q", who.name, personal)
			}
		}
		if !strings.Contains(text, "không hiển thị (dữ liệu cá nhân)") || !strings.Contains(text, p.communeName) {
			t.Errorf("%s: extract lacks the withheld-owner note or the commune:\n%s", who.name, text)
		}
	}
	if got := audited(); got != 1 {
		t.Errorf("after reads without the scope, %d personal reads audited, want still 1", got)
	}

	// As of 2024-01-01, before the sale: that day's owner and version 1.
	code, hdr, pdf = call(t, h, "GET", path+"?date=2024-01-01", bearer(tax))
	if code != 200 {
		t.Fatalf("as of 2024-01-01: %d %s", code, pdf)
	}
	if cd := hdr.Get("Content-Disposition"); !strings.Contains(cd, "-2024-01-01.pdf") {
		t.Errorf("as-of Content-Disposition %q lacks the date", cd)
	}
	text = pdfToText(t, pdf)
	for _, want := range []string{p.oldOwner, "phiên bản 1", "01/01/2024"} {
		if !strings.Contains(text, want) {
			t.Errorf("as of 2024-01-01: extract lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, p.owner) {
		t.Errorf("as of 2024-01-01: extract shows the later owner %q", p.owner)
	}
	if got := audited(); got != 2 {
		t.Errorf("%d personal extracts audited, want 2", got)
	}
}

// Errors are problems: an unknown parcel (or one not yet surveyed on the date) 404, a bad date
// or key 400.
func TestExtract_Errors(t *testing.T) {
	s := storetest.Store(t, storetest.Demo(t))
	h := newServer(t, s)
	p := findExtractParcel(t, s)
	base := fmt.Sprintf("/api/v1/parcels/%s/%d/%d/extract.pdf", p.commune, p.sheet, p.number)
	for _, tc := range []struct {
		path string
		want int
	}{
		{fmt.Sprintf("/api/v1/parcels/%s/%d/99999/extract.pdf", p.commune, p.sheet), 404},
		{base + "?date=2019-06-01", 404}, // before the 2020 survey
		{base + "?date=2024-13-01", 400},
		{base + "?date=yesterday", 400},
		{base + "?date=2999-01-01", 400},
		{base + "?scale=500", 400},
		{"/api/v1/parcels/2519/1/1/extract.pdf", 400},
		{fmt.Sprintf("/api/v1/parcels/%s/0/1/extract.pdf", p.commune), 400},
		{fmt.Sprintf("/api/v1/parcels/%s/1/x/extract.pdf", p.commune), 400},
	} {
		code, hdr, body := call(t, h, "GET", tc.path, nil)
		if code != tc.want || hdr.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s: %d %s, want %d application/problem+json (%s)", tc.path, code, hdr.Get("Content-Type"), tc.want, body)
		}
	}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// dbPoint finds the corner printed as x, y (northing, easting) among points (easting, northing).
func dbPoint(points [][2]float64, x, y string) ([2]float64, bool) {
	for _, p := range points {
		if extract.FormatCoordinate(p[1]) == x && extract.FormatCoordinate(p[0]) == y {
			return p, true
		}
	}
	return [2]float64{}, false
}
