package extract

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/paulmach/orb"
	"golang.org/x/text/unicode/norm"

	"github.com/dongnai-gis/gisd/render/fonts"
)

// Extract is everything a parcel extract shows. Geometries are in Zone, x the easting and y the
// northing in metres.
type Extract struct {
	Parcel Parcel
	// Neighbours are the parcels drawn around it (those touching it or within a few metres),
	// as they were on Date.
	Neighbours []Neighbour
	Zone       Zone
	// Date is the day the extract shows the parcel as of: the data as recorded at that day's
	// end. Only its year, month and day count.
	Date time.Time
	// Version is the parcel's version in the database and when it was written.
	Version Version
	// DrawnAt is when the extract was made; it is printed and is the PDF's creation date, so
	// the same input gives the same bytes.
	DrawnAt time.Time
	// Location is the time zone dates and times are written in (Vietnam's); nil means UTC.
	Location *time.Location
}

// Parcel is the parcel the extract is of.
type Parcel struct {
	// Commune is the commune of the cadastral key: sheet and parcel numbers count within it.
	Commune Unit
	// Units are the administrative units containing the parcel on Date, province first
	// (province, district before the 2025 reform, commune). The commune may differ from the
	// key's after communes merged.
	Units               []Unit
	Sheet, Number       int
	OldSheet, OldNumber int // 0 when the parcel has no earlier numbers
	// OfficialAreaM2 is the area recorded in the database: planar in Zone, to 0.1 m².
	OfficialAreaM2 float64
	LegalAreaM2    float64 // the area on the certificate; 0 when none is recorded
	Uses           []LandUse
	Address        string
	// Owner is printed only when set: leave it nil for a reader who may not see personal data.
	Owner    *Owner
	Geometry orb.MultiPolygon
}

// Unit is an administrative unit.
type Unit struct {
	Code  string
	Name  string // with its kind: "Phường Nghĩa Phong"
	Level string // province, district or commune
}

// LandUse is one purpose of the parcel: its code, Vietnamese name and area.
type LandUse struct {
	Code   string
	Name   string
	AreaM2 float64
}

// Owner is the parcel's personal data.
type Owner struct {
	Name          string
	IDNumber      string
	CertificateNo string
}

// Neighbour is a parcel drawn beside the extract's.
type Neighbour struct {
	CommuneCode   string
	Sheet, Number int
	Geometry      orb.MultiPolygon
}

// Zone is the VN-2000 TM-3 zone the geometries are in.
type Zone struct {
	SRID            int    // 9212
	Name            string // "VN-2000 / TM-3 106-15"
	CentralMeridian float64
}

// Version identifies the data an extract was drawn from.
type Version struct {
	Feature   int       // the parcel's version number
	ChangedAt time.Time // when that version was written
}

// ErrInput is wrapped by the errors Render returns for an input it cannot draw.
var ErrInput = errors.New("extract: invalid input")

// Render writes the extract as an A4 PDF to w.
func Render(w io.Writer, x Extract) error {
	if err := x.validate(); err != nil {
		return err
	}
	d, err := newDoc(x)
	if err != nil {
		return err
	}
	d.draw()
	if err := d.pdf.Error(); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	if err := d.pdf.Output(w); err != nil {
		return fmt.Errorf("extract: write: %w", err)
	}
	return nil
}

func (x *Extract) validate() error {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrInput, what) }
	switch {
	case x.Parcel.Number < 1 || x.Parcel.Sheet < 1:
		return bad("parcel and sheet numbers must be positive")
	case len(Vertices(x.Parcel.Geometry)) < 3:
		return bad("the parcel has no polygon")
	case x.Zone.SRID == 0:
		return bad("no zone")
	case x.DrawnAt.IsZero():
		return bad("no drawing time")
	}
	for _, g := range append([]orb.MultiPolygon{x.Parcel.Geometry}, neighbourGeometries(x.Neighbours)...) {
		for _, poly := range g {
			for _, r := range poly {
				for _, p := range r {
					if !finite(p[0], p[1]) {
						return bad("coordinates are not finite")
					}
				}
			}
		}
	}
	return nil
}

func neighbourGeometries(ns []Neighbour) []orb.MultiPolygon {
	out := make([]orb.MultiPolygon, len(ns))
	for i, n := range ns {
		out[i] = n.Geometry
	}
	return out
}

func finite(v ...float64) bool {
	for _, f := range v {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	return true
}

// Page geometry in millimetres (A4 portrait).
const (
	pageW, pageH = 210.0, 297.0
	margin       = 12.0
	contentW     = pageW - 2*margin
	mapTop       = 34.0
	mapH         = 128.0
	mapPad       = 12.0 // room around the parcel inside the frame, for corner numbers
	blockTop     = 175.0
	footerTop    = 272.0
	rowH         = 4.3
	ptMM         = 25.4 / 72 // one point in millimetres
	capHeight    = 0.72      // of Noto Sans digits and capitals, in ems
)

const (
	regular = ""
	bold    = "B"
	family  = "NotoSans"
)

type rgb struct{ r, g, b int }

var (
	ink        = rgb{0x1d, 0x1b, 0x18}
	grey       = rgb{0x6b, 0x63, 0x5a}
	parcelLine = rgb{0xc0, 0x1c, 0x1c}
	neighFill  = rgb{0xf4, 0xf2, 0xee}
	neighLine  = rgb{0x8a, 0x80, 0x74}
	headerFill = rgb{0xea, 0xe6, 0xdf}
)

type doc struct {
	x    Extract
	pdf  *fpdf.Fpdf
	loc  *time.Location
	vs   []Vertex
	view view
}

func newDoc(x Extract) (*doc, error) {
	loc := x.Location
	if loc == nil {
		loc = time.UTC
	}
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCreationDate(x.DrawnAt)
	p.SetModificationDate(x.DrawnAt)
	p.SetCatalogSort(true)
	p.SetCompression(true)
	p.SetAutoPageBreak(false, 0)
	p.SetMargins(margin, margin, margin)
	p.SetCellMargin(1)
	p.AddUTF8FontFromBytes(family, regular, fonts.NotoSansRegular)
	p.AddUTF8FontFromBytes(family, bold, fonts.NotoSansBold)
	p.SetTitle(nfc(fmt.Sprintf("Trích lục thửa đất số %d, tờ bản đồ số %d, %s", x.Parcel.Number, x.Parcel.Sheet, x.Parcel.Commune.Name)), true)
	p.SetSubject("Trích lục bản đồ địa chính", true)
	p.SetCreator("gisd", true)
	p.SetProducer("gisd (go-pdf/fpdf)", true)
	p.SetLang("vi-VN")
	if err := p.Error(); err != nil {
		return nil, fmt.Errorf("extract: fonts: %w", err)
	}
	return &doc{x: x, pdf: p, loc: loc, vs: Vertices(x.Parcel.Geometry)}, nil
}

func nfc(s string) string { return norm.NFC.String(s) }

func (d *doc) font(style string, size float64, c rgb) {
	d.pdf.SetFont(family, style, size)
	d.pdf.SetTextColor(c.r, c.g, c.b)
}

// text writes s with its baseline at y, aligned by align ("L", "C", "R") on x.
func (d *doc) text(x, y float64, align string, s string) {
	s = nfc(s)
	switch align {
	case "C":
		x -= d.pdf.GetStringWidth(s) / 2
	case "R":
		x -= d.pdf.GetStringWidth(s)
	}
	d.pdf.Text(x, y, s)
}

// centred writes s centred on (x, y): the middle of its capitals at y.
func (d *doc) centred(x, y, size float64, s string) {
	d.text(x, y+capHeight*size*ptMM/2, "C", s)
}

func (d *doc) draw() {
	d.pdf.AddPage()
	d.header()
	d.drawMap()
	d.attributes()
	d.coordinates()
	d.footers()
}

func (d *doc) header() {
	p := d.x.Parcel
	d.font(bold, 14, ink)
	d.text(pageW/2, 17, "C", "TRÍCH LỤC BẢN ĐỒ ĐỊA CHÍNH")
	d.font(regular, 9.5, ink)
	d.text(pageW/2, 23, "C", fmt.Sprintf("Thửa đất số %d, tờ bản đồ số %d, %s", p.Number, p.Sheet, unitName(p.Commune)))
	d.font(regular, 8, grey)
	d.text(pageW/2, 27.5, "C", fmt.Sprintf("Theo dữ liệu ngày %s · Hệ tọa độ %s", formatDay(d.x.Date), zoneText(d.x.Zone)))
	d.section(margin, mapTop-2, "1. Sơ đồ thửa đất")
}

func (d *doc) section(x, y float64, title string) {
	d.font(bold, 9, ink)
	d.text(x, y, "L", title)
}

func unitName(u Unit) string {
	if u.Name == "" {
		return "xã mã " + u.Code
	}
	return u.Name
}

// zoneText names the zone as Vietnamese documents do: datum, 3° zone, central meridian.
func zoneText(z Zone) string {
	s := "VN-2000"
	if z.CentralMeridian != 0 {
		deg := math.Floor(z.CentralMeridian)
		minutes := math.Round((z.CentralMeridian - deg) * 60)
		s += fmt.Sprintf(", múi chiếu 3°, kinh tuyến trục %d°%02d′", int(deg), int(minutes))
	}
	return s + fmt.Sprintf(" (EPSG:%d)", z.SRID)
}

// attributes writes section 2, the parcel's record, in the left column under the map.
func (d *doc) attributes() {
	const x, labelW, valueW = margin, 34.0, 66.0
	p := d.x.Parcel
	d.section(x, blockTop, "2. Thông tin thửa đất")
	type row struct{ label, value string }
	rows := []row{
		{"Thửa đất số", strconv.Itoa(p.Number)},
		{"Tờ bản đồ số", strconv.Itoa(p.Sheet)},
	}
	if p.OldNumber > 0 || p.OldSheet > 0 {
		rows = append(rows, row{"Số cũ", fmt.Sprintf("thửa %s, tờ %s", numberOrDash(p.OldNumber), numberOrDash(p.OldSheet))})
	}
	rows = append(rows, row{"Xã, phường", unitName(p.Commune) + " (mã " + p.Commune.Code + ")"})
	// Small to large, as Vietnamese addresses go: the key's commune, then the district (before
	// the 2025 reform) and province of the day, and the commune of the day when communes have
	// merged since the parcel was numbered.
	var district, province, onDate *Unit
	for i, u := range p.Units {
		switch u.Level {
		case "district":
			district = &p.Units[i]
		case "province":
			province = &p.Units[i]
		case "commune":
			if u.Code != p.Commune.Code {
				onDate = &p.Units[i]
			}
		}
	}
	for _, u := range []struct {
		label string
		u     *Unit
	}{{"Huyện, thị xã", district}, {"Tỉnh", province}} {
		if u.u != nil {
			rows = append(rows, row{u.label, u.u.Name + " (mã " + u.u.Code + ")"})
		}
	}
	if onDate != nil {
		rows = append(rows, row{"Thuộc xã, phường", fmt.Sprintf("%s (mã %s) ngày %s", onDate.Name, onDate.Code, formatDay(d.x.Date))})
	}
	rows = append(rows, row{"Diện tích", FormatArea(p.OfficialAreaM2) + " m²"})
	if p.LegalAreaM2 > 0 {
		rows = append(rows, row{"Diện tích pháp lý", FormatArea(p.LegalAreaM2) + " m²"})
	}
	var uses []string
	for _, u := range p.Uses {
		s := u.Code
		if u.Name != "" {
			s += " – " + u.Name
		}
		uses = append(uses, s+": "+FormatArea(u.AreaM2)+" m²")
	}
	rows = append(rows, row{"Mục đích sử dụng", strings.Join(uses, "\n")})
	rows = append(rows, row{"Địa chỉ", orDash(p.Address)})
	if o := p.Owner; o != nil {
		rows = append(rows, row{"Người sử dụng", orDash(o.Name)},
			row{"Số giấy tờ tùy thân", orDash(o.IDNumber)},
			row{"Số giấy chứng nhận", orDash(o.CertificateNo)})
	} else {
		rows = append(rows, row{"Người sử dụng", "không hiển thị (dữ liệu cá nhân)"})
	}
	y := blockTop + 2
	for _, r := range rows {
		d.font(regular, 8, grey)
		d.pdf.SetXY(x, y)
		d.pdf.CellFormat(labelW, rowH, nfc(r.label), "", 0, "LT", false, 0, "")
		d.font(regular, 8.5, ink)
		if r.label == "Thửa đất số" || r.label == "Diện tích" {
			d.font(bold, 8.5, ink)
		}
		d.pdf.SetXY(x+labelW, y)
		d.pdf.MultiCell(valueW, rowH, nfc(r.value), "", "LT", false)
		y = d.pdf.GetY() + 0.4
	}
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func numberOrDash(n int) string {
	if n < 1 {
		return "—"
	}
	return strconv.Itoa(n)
}

// Columns of the coordinate table, in millimetres.
var tableCols = []struct {
	title string
	w     float64
	align string
}{
	{"Điểm", 10, "C"},
	{"X (m)", 21, "R"},
	{"Y (m)", 19, "R"},
	{"Cạnh", 13, "C"},
	{"Dài (m)", 19, "R"},
}

func tableWidth() float64 {
	var w float64
	for _, c := range tableCols {
		w += c.w
	}
	return w
}

// slot is a column of the page the coordinate table may fill.
type slot struct{ x, top, bottom float64 }

// coordinates writes section 3, the table of corner coordinates with edge lengths, then the
// area computed from them and the perimeter. It fills the right column of the first page and
// goes on over further pages, two tables side by side, for parcels with many corners.
func (d *doc) coordinates() {
	first := slot{x: pageW - margin - tableWidth(), top: blockTop + 2, bottom: footerTop - 3}
	d.section(first.x, blockTop, "3. Tọa độ góc thửa (VN-2000)")
	slots := []slot{first}
	next := func() slot {
		if len(slots) == 0 {
			d.pdf.AddPage()
			d.section(margin, margin+4, "3. Tọa độ góc thửa (VN-2000), tiếp theo")
			slots = []slot{
				{x: margin, top: margin + 6, bottom: footerTop - 3},
				{x: pageW - margin - tableWidth(), top: margin + 6, bottom: footerTop - 3},
			}
		}
		s := slots[0]
		slots = slots[1:]
		return s
	}
	s := next()
	y := d.tableHeader(s)
	for i, v := range d.vs {
		if y+rowH > s.bottom {
			s = next()
			y = d.tableHeader(s)
		}
		if i > 0 && v.Ring != d.vs[i-1].Ring {
			// A new ring (a hole, another part) starts under a thin rule.
			d.pdf.SetDrawColor(neighLine.r, neighLine.g, neighLine.b)
			d.pdf.SetLineWidth(0.15)
			d.pdf.Line(s.x, y, s.x+tableWidth(), y)
		}
		cells := []string{strconv.Itoa(v.No), FormatCoordinate(v.X), FormatCoordinate(v.Y),
			strconv.Itoa(v.No) + "–" + strconv.Itoa(v.Next), FormatLength(v.Edge)}
		d.font(regular, 8, ink)
		x := s.x
		for c, col := range tableCols {
			d.pdf.SetXY(x, y)
			d.pdf.CellFormat(col.w, rowH, nfc(cells[c]), "", 0, col.align+"M", false, 0, "")
			x += col.w
		}
		y += rowH
	}
	d.pdf.SetDrawColor(ink.r, ink.g, ink.b)
	d.pdf.SetLineWidth(0.2)
	d.pdf.Line(s.x, y, s.x+tableWidth(), y)
	totals := []string{
		"Diện tích tính từ tọa độ: " + FormatArea(AreaOf(d.vs)) + " m²",
		"Chu vi: " + FormatLength(Perimeter(d.vs)) + " m",
	}
	for _, t := range totals {
		if y+rowH > s.bottom {
			s = next()
			y = s.top
		}
		d.font(bold, 8, ink)
		d.pdf.SetXY(s.x, y)
		d.pdf.CellFormat(tableWidth(), rowH, nfc(t), "", 0, "RM", false, 0, "")
		y += rowH
	}
}

// tableHeader writes the table's column titles at the top of s and returns where rows start.
func (d *doc) tableHeader(s slot) float64 {
	d.font(bold, 8, ink)
	d.pdf.SetFillColor(headerFill.r, headerFill.g, headerFill.b)
	x := s.x
	for _, col := range tableCols {
		d.pdf.SetXY(x, s.top)
		d.pdf.CellFormat(col.w, rowH+0.6, nfc(col.title), "", 0, "CM", true, 0, "")
		x += col.w
	}
	return s.top + rowH + 0.6
}

// footers writes on every page what the extract was drawn from and when.
func (d *doc) footers() {
	n := d.pdf.PageCount()
	for i := 1; i <= n; i++ {
		d.pdf.SetPage(i)
		d.pdf.SetDrawColor(neighLine.r, neighLine.g, neighLine.b)
		d.pdf.SetLineWidth(0.2)
		d.pdf.Line(margin, footerTop, pageW-margin, footerTop)
		d.font(regular, 7.5, grey)
		v := d.x.Version
		line1 := fmt.Sprintf("Trạng thái thửa đất theo dữ liệu đến hết ngày %s · Dữ liệu thửa đất: phiên bản %d, thay đổi lúc %s",
			formatDay(d.x.Date), v.Feature, FormatTime(v.ChangedAt, d.loc))
		line2 := fmt.Sprintf("Lập lúc %s từ cơ sở dữ liệu đất đai dùng chung (gisd) · X: tọa độ Bắc, Y: tọa độ Đông, mét · Trang %d/%d",
			FormatTime(d.x.DrawnAt, d.loc), i, n)
		d.text(margin, footerTop+4, "L", line1)
		d.text(margin, footerTop+8, "L", line2)
	}
}
