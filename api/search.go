package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
)

// The search box of the web map: one text field that takes what a land officer has in hand.
//
//   - an administrative unit's name, with or without diacritics ("dong xoai", "Đồng Xoài"), or its
//     code ("689", "25195");
//   - a cadastral key: commune code, map sheet and parcel number ("25195 12 345", "25195/12/345",
//     "xã 25195 tờ 12 thửa 345" — with the words, in any order) or a whole sheet ("25195 12");
//   - coordinates: WGS 84 longitude and latitude ("106.89, 11.535", either order), or VN-2000 TM-3
//     easting and northing as printed on land documents, X (northing) first or not, with the zone
//     as a third number or ?srid= (default the province's, EPSG:9212). Vietnamese decimal commas
//     ("1.275.708,641") are understood.

// searchParse is what a search text was understood to mean.
type searchParse struct {
	Kind string // name | code | parcel | sheet | coordinates

	Folded string // name: folded text
	Code   string // code

	Commune       string // parcel, sheet
	Sheet, Parcel int

	// coordinates: the point in WGS 84, and for VN-2000 input the zone and easting/northing.
	Lon, Lat float64
	SRID     int // 4326 for lon/lat input
	Easting  float64
	Northing float64
	Swapped  bool // the numbers came in the other order (lat before lon, northing before easting)
}

const (
	maxSearchRunes = 120
	// vnBound is generous lon/lat bounds of Vietnam: a point outside it came from a wrong zone or
	// a wrong order of numbers far more often than from a real request.
	vnMinLon, vnMaxLon = 102.0, 110.5
	vnMinLat, vnMaxLat = 8.0, 23.5
)

var errNotKey = errors.New("not a cadastral key")

// parseSearch interprets a search text. defaultSRID is the VN-2000 zone for projected
// coordinates that do not name one. Errors are *ParamError naming q (or srid).
func parseSearch(q string, defaultSRID int) (searchParse, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return searchParse{}, &ParamError{"q", "is empty: type a place name, a cadastral key (commune sheet parcel) or coordinates"}
	}
	if !utf8.ValidString(q) {
		return searchParse{}, &ParamError{"q", "is not valid UTF-8"}
	}
	if utf8.RuneCountInString(q) > maxSearchRunes {
		return searchParse{}, &ParamError{"q", fmt.Sprintf("is longer than %d characters", maxSearchRunes)}
	}
	folded := geo.Fold(q)
	if p, err := parseKey(folded); err == nil {
		return p, nil
	} else if !errors.Is(err, errNotKey) {
		return searchParse{}, err
	}
	if looksNumeric(folded) {
		return parseCoordinates(folded, defaultSRID)
	}
	if utf8.RuneCountInString(folded) < 2 {
		return searchParse{}, &ParamError{"q", "is too short: type at least two letters"}
	}
	return searchParse{Kind: "name", Folded: folded}, nil
}

// keyWords are the words a cadastral key may carry, each naming the number after it.
var keyWords = map[string]string{
	"xa": "commune", "phuong": "commune", "thi tran": "commune", "ma xa": "commune", "commune": "commune",
	"to": "sheet", "to ban do": "sheet", "so to": "sheet", "tbd": "sheet", "sheet": "sheet",
	"thua": "parcel", "thua dat": "parcel", "so thua": "parcel", "parcel": "parcel",
	"so": "", "ban do": "", "dat": "", "so hieu": "", "so thu tu": "",
}

var (
	keyToken = regexp.MustCompile(`[0-9]+|[a-z]+`)
	// hasDecimal finds a decimal number ("106.89"): coordinates, not key parts...
	hasDecimal = regexp.MustCompile(`[0-9][.,][0-9]`)
	// ...unless the whole text is a key written with dots or commas, "25195.12.345".
	keyLike = regexp.MustCompile(`^\s*[0-9]{5}\s*[.,]\s*[0-9]{1,4}(\s*[.,]\s*[0-9]{1,5})?\s*$`)
)

// parseKey reads a cadastral key or a bare unit code from folded text. It returns errNotKey when
// the text is something else.
func parseKey(folded string) (searchParse, error) {
	// Only digits, the letters of the key words and separators may appear.
	for _, r := range folded {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || strings.ContainsRune(" /-.,;:#", r)) {
			return searchParse{}, errNotKey
		}
	}
	if hasDecimal.MatchString(folded) && !keyLike.MatchString(folded) {
		return searchParse{}, errNotKey
	}
	toks := keyToken.FindAllString(folded, -1)
	slots := map[string]string{}
	pending := "" // the slot a key word named for the next number
	for i := 0; i < len(toks); {
		t := toks[i]
		if t[0] <= '9' {
			slot := pending
			pending = ""
			if slot == "" { // unnamed numbers fill commune, sheet, parcel in that order
				for _, s := range []string{"commune", "sheet", "parcel"} {
					if slots[s] == "" {
						slot = s
						break
					}
				}
			}
			if slot == "" || slots[slot] != "" {
				return searchParse{}, errNotKey
			}
			slots[slot] = t
			i++
			continue
		}
		// The longest key phrase (up to three words) starting here.
		n := 0
		for k := min(3, len(toks)-i); k >= 1 && n == 0; k-- {
			words := toks[i : i+k]
			if words[k-1][0] <= '9' {
				continue
			}
			if slot, ok := keyWords[strings.Join(words, " ")]; ok {
				n = k
				if slot != "" {
					pending = slot
				}
			}
		}
		if n == 0 {
			return searchParse{}, errNotKey
		}
		i += n
	}
	if pending != "" {
		return searchParse{}, errNotKey
	}
	c, s, p := slots["commune"], slots["sheet"], slots["parcel"]
	switch {
	case c != "" && s == "" && p == "":
		if n := len(c); n == 2 || n == 3 || n == 5 {
			return searchParse{Kind: "code", Code: c}, nil
		}
		return searchParse{}, errNotKey
	case c == "" || s == "" || len(c) != 5:
		return searchParse{}, errNotKey
	}
	sheet, err := keyNumber("sheet", s, 9999)
	if err != nil {
		return searchParse{}, err
	}
	if p == "" {
		return searchParse{Kind: "sheet", Commune: c, Sheet: sheet}, nil
	}
	parcel, err := keyNumber("parcel", p, 99999)
	if err != nil {
		return searchParse{}, err
	}
	return searchParse{Kind: "parcel", Commune: c, Sheet: sheet, Parcel: parcel}, nil
}

func keyNumber(what, s string, max int) (int, error) {
	if len(s) > 6 {
		return 0, errNotKey
	}
	n, _ := strconv.Atoi(s)
	if n < 1 || n > max {
		return 0, &ParamError{"q", fmt.Sprintf("the %s number %s is out of range 1..%d", what, s, max)}
	}
	return n, nil
}

// looksNumeric reports whether text is mostly numbers: then it is coordinates (or a mistake),
// never a place name.
func looksNumeric(folded string) bool {
	digits, letters := 0, 0
	for _, r := range folded {
		switch {
		case unicode.IsDigit(r):
			digits++
		case unicode.IsLetter(r):
			letters++
		}
	}
	return digits >= 2 && digits >= letters
}

// coordWords are labels people put around coordinates; they are dropped.
var coordLabel = regexp.MustCompile(`\b(x|y|e|n|lon|lng|lat|kinh do|vi do|wgs ?84|vn-?2000|tm-?3|srid|epsg|zone|mui|mui chieu|kttt|kinh tuyen truc|dong|bac)\b\s*[:=]?`)

var zoneName = regexp.MustCompile(`\b(10[2-9])[-°]([0-5][0-9])'?`)

// parseCoordinates reads two numbers and an optional zone.
func parseCoordinates(folded string, defaultSRID int) (searchParse, error) {
	srid := 0
	// A zone written by its central meridian, as in "TM-3 106-15".
	if m := zoneName.FindStringSubmatch(folded); m != nil {
		for _, z := range geo.VN2000Zones() {
			if strings.HasSuffix(z.Name, " "+m[1]+"-"+m[2]) {
				srid = z.SRID
			}
		}
		if srid == 0 {
			return searchParse{}, &ParamError{"q", "no VN-2000 TM-3 zone has the central meridian " + m[1] + "°" + m[2] + "'"}
		}
		folded = strings.Replace(folded, m[0], " ", 1)
	}
	s := coordLabel.ReplaceAllString(folded, " ")
	s = strings.NewReplacer(";", " ", "(", " ", ")", " ", "°", " ", ":", " ", "=", " ").Replace(s)
	toks := strings.Fields(s)
	if len(toks) == 1 && strings.Count(toks[0], ",") == 1 {
		toks = strings.Split(toks[0], ",")
	}
	var nums []float64
	for _, t := range toks {
		t = strings.Trim(t, ",")
		if t == "" {
			continue
		}
		v, err := parseLocalNumber(t)
		if err != nil {
			return searchParse{}, &ParamError{"q", fmt.Sprintf("%q is not a number; write coordinates as \"x, y\" or \"x y\"", t)}
		}
		nums = append(nums, v)
	}
	if len(nums) == 3 {
		z := nums[2]
		if z != math.Trunc(z) || !isZone(int(z)) {
			return searchParse{}, &ParamError{"q", fmt.Sprintf("the third number %v is not a VN-2000 TM-3 zone (EPSG 9205-9218 or 5896-5899)", z)}
		}
		if srid != 0 && srid != int(z) {
			return searchParse{}, &ParamError{"q", "two different zones are given"}
		}
		srid = int(z)
		nums = nums[:2]
	}
	if len(nums) != 2 {
		return searchParse{}, &ParamError{"q", "coordinates need two numbers (x and y), optionally followed by the zone"}
	}
	a, b := nums[0], nums[1]
	p := searchParse{Kind: "coordinates"}
	switch {
	case math.Abs(a) <= 180 && math.Abs(b) <= 180:
		if srid != 0 {
			return searchParse{}, &ParamError{"q", "these look like degrees, but a VN-2000 zone was given; VN-2000 TM-3 coordinates are metres"}
		}
		p.SRID = geo.SRIDWGS84
		p.Lon, p.Lat = a, b
		// Latitude first, as many people write it ("11.535, 106.89").
		if inRange(a, vnMinLat, vnMaxLat) && inRange(b, vnMinLon, vnMaxLon) {
			p.Lon, p.Lat, p.Swapped = b, a, true
		}
		if math.Abs(p.Lat) > 90 {
			return searchParse{}, &ParamError{"q", "latitude must be within ±90°"}
		}
	case math.Abs(a) >= 10000 && math.Abs(b) >= 10000:
		if srid == 0 {
			srid = defaultSRID
		}
		// In Vietnam every TM-3 northing exceeds 900 km and every easting is below 800 km, so the
		// larger number is the northing whatever order the document used (Vietnamese documents
		// write X, the northing, first).
		p.Easting, p.Northing = a, b
		if a > b {
			p.Easting, p.Northing, p.Swapped = b, a, true
		}
		lon, lat, err := geo.FromVN2000TM3(p.Easting, p.Northing, srid)
		if err != nil {
			return searchParse{}, &ParamError{"q", "these coordinates cannot be converted: " + store.ClientMessage(err)}
		}
		p.SRID, p.Lon, p.Lat = srid, lon, lat
	default:
		return searchParse{}, &ParamError{"q", "give both numbers in degrees (WGS 84 longitude and latitude) or both in metres (VN-2000 easting and northing)"}
	}
	if !inRange(p.Lon, vnMinLon, vnMaxLon) || !inRange(p.Lat, vnMinLat, vnMaxLat) {
		return searchParse{}, &ParamError{"q", fmt.Sprintf("the point (%.5f E, %.5f N) is outside Vietnam; check the zone and which number is which", p.Lon, p.Lat)}
	}
	return p, nil
}

func inRange(v, lo, hi float64) bool { return v >= lo && v <= hi }

func isZone(srid int) bool {
	for _, z := range geo.VN2000Zones() {
		if z.SRID == srid {
			return true
		}
	}
	return false
}

var (
	// Grouped by three with a decimal part, or with at least two group separators: a lone
	// separator ("11.535", "106,89") is a decimal point, as in coordinates it always is.
	groupedEN = regexp.MustCompile(`^-?[0-9]{1,3}((,[0-9]{3})+\.[0-9]+|(,[0-9]{3}){2,})$`)  // 1,275,708.641
	groupedVI = regexp.MustCompile(`^-?[0-9]{1,3}((\.[0-9]{3})+,[0-9]+|(\.[0-9]{3}){2,})$`) // 1.275.708,641
	decComma  = regexp.MustCompile(`^-?[0-9]+,[0-9]+$`)                                     // 106,89
)

// parseLocalNumber reads a number written the English way ("1,275,708.641") or the Vietnamese way
// ("1.275.708,641", "106,89"). A single separator is the decimal one.
func parseLocalNumber(s string) (float64, error) {
	switch {
	case groupedEN.MatchString(s):
		s = strings.ReplaceAll(s, ",", "")
	case groupedVI.MatchString(s):
		s = strings.Replace(strings.ReplaceAll(s, ".", ""), ",", ".", 1)
	case decComma.MatchString(s):
		s = strings.Replace(s, ",", ".", 1)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("not a number")
	}
	return v, nil
}

// searchResult is one hit. Type says which fields are set.
type searchResult struct {
	Type string `json:"type"` // admin_unit | parcel | sheet | point

	Code       string  `json:"code,omitempty"`
	Level      string  `json:"level,omitempty"`
	Kind       string  `json:"kind,omitempty"`
	Name       string  `json:"name,omitempty"`
	ParentCode string  `json:"parent_code,omitempty"`
	ParentName string  `json:"parent_name,omitempty"`
	ValidFrom  *string `json:"valid_from,omitempty"`
	ValidTo    *string `json:"valid_to,omitempty"`

	CommuneCode string `json:"commune_code,omitempty"`
	CommuneName string `json:"commune_name,omitempty"`
	SheetNo     int    `json:"sheet_no,omitempty"`
	ParcelNo    int    `json:"parcel_no,omitempty"`
	Key         string `json:"key,omitempty"` // "25195/12/345", the path of /api/v1/parcels/{key}
	Parcels     int64  `json:"parcels,omitempty"`

	SRID     int      `json:"srid,omitempty"`     // point: the CRS the numbers were given in
	Easting  *float64 `json:"easting,omitempty"`  // point in VN-2000: as understood
	Northing *float64 `json:"northing,omitempty"` //
	Swapped  bool     `json:"swapped,omitempty"`  // point: the numbers were read in the other order

	BBox   []float64 `json:"bbox,omitempty"` // [minlon, minlat, maxlon, maxlat]
	Center []float64 `json:"center"`         // [lon, lat]: where to put the map
}

type searchResponse struct {
	Query          string         `json:"query"`
	Interpretation string         `json:"interpretation"` // name | code | parcel | sheet | coordinates
	Results        []searchResult `json:"results"`
}

// search answers GET /api/v1/search?q=&date=&srid=&limit=.
func (s *Server) search(c *gin.Context) {
	srid := geo.ProvinceZone
	if v := c.Query("srid"); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(v), "EPSG:"))
		if err != nil || !isZone(n) {
			badParam(c, "srid", "want a VN-2000 TM-3 zone: EPSG 9205-9218 or 5896-5899")
			return
		}
		srid = n
	}
	at, ok := dateParam(c, "date")
	if !ok {
		return
	}
	limit := 10
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			badParam(c, "limit", "want an integer from 1 to 50")
			return
		}
		limit = n
	}
	q := c.Query("q")
	p, err := parseSearch(q, srid)
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	res := searchResponse{Query: q, Interpretation: p.Kind, Results: []searchResult{}}
	switch p.Kind {
	case "name", "code":
		units, err := s.store.SearchAdminUnits(ctx, store.AdminUnitQuery{
			Folded: likeEscape(p.Folded), Code: p.Code, At: at, Limit: limit})
		if err != nil {
			fail(c, err)
			return
		}
		for _, u := range units {
			res.Results = append(res.Results, searchResult{
				Type: "admin_unit", Code: u.Code, Level: u.Level, Kind: u.Kind, Name: u.Name,
				ParentCode: u.ParentCode, ParentName: u.ParentName,
				ValidFrom: dateString(u.ValidFrom), ValidTo: dateString(u.ValidTo),
				BBox: boundJSON(u.Bound), Center: pointJSON(u.Point),
			})
		}
	case "parcel", "sheet":
		var pl store.ParcelPlace
		if p.Kind == "parcel" {
			pl, err = s.store.FindParcel(ctx, p.Commune, p.Sheet, p.Parcel)
		} else {
			pl, err = s.store.FindSheet(ctx, p.Commune, p.Sheet)
		}
		if errors.Is(err, store.ErrNotFound) {
			break // nothing found is an empty answer, not an error
		}
		if err != nil {
			fail(c, err)
			return
		}
		r := searchResult{Type: p.Kind, CommuneCode: pl.CommuneCode, CommuneName: pl.CommuneName,
			SheetNo: pl.SheetNo, ParcelNo: pl.ParcelNo, Parcels: pl.Parcels,
			BBox: boundJSON(pl.Bound), Center: pointJSON(pl.Point)}
		if p.Kind == "parcel" {
			r.Key = fmt.Sprintf("%s/%d/%d", pl.CommuneCode, pl.SheetNo, pl.ParcelNo)
		}
		res.Results = append(res.Results, r)
	case "coordinates":
		r := searchResult{Type: "point", SRID: p.SRID, Swapped: p.Swapped, Center: []float64{round7(p.Lon), round7(p.Lat)}}
		if p.SRID != geo.SRIDWGS84 {
			e, n := math.Round(p.Easting*1000)/1000, math.Round(p.Northing*1000)/1000
			r.Easting, r.Northing = &e, &n
		}
		res.Results = append(res.Results, r)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, res)
}

// likeEscape escapes LIKE's wildcards and its escape character, backslash.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// dateParam reads an optional YYYY-MM-DD query parameter; it answers 400 and returns false when
// the value is malformed.
func dateParam(c *gin.Context, name string) (time.Time, bool) {
	v := c.Query(name)
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil || t.Year() < 1900 || t.Year() > 2200 {
		badParam(c, name, "want a date as YYYY-MM-DD")
		return time.Time{}, false
	}
	return t, true
}

func dateString(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }

func boundJSON(b orb.Bound) []float64 {
	return []float64{round7(b.Min[0]), round7(b.Min[1]), round7(b.Max[0]), round7(b.Max[1])}
}

func pointJSON(p orb.Point) []float64 { return []float64{round7(p[0]), round7(p[1])} }

// landUseGroups names the three groups of land-use codes (Luật Đất đai 2024, Điều 9).
var landUseGroups = []struct {
	Code string `json:"code"`
	Name string `json:"name"`
	En   string `json:"name_en"`
}{
	{"nong_nghiep", "Nhóm đất nông nghiệp", "Agricultural land"},
	{"phi_nong_nghiep", "Nhóm đất phi nông nghiệp", "Non-agricultural land"},
	{"chua_su_dung", "Nhóm đất chưa sử dụng", "Unused land"},
}

// landUseCodes answers GET /api/v1/land-use-codes: the code list with Vietnamese names and groups,
// which the map's legend and side panel use.
func (s *Server) landUseCodes(c *gin.Context) {
	codes, err := s.store.LandUseCodes(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, gin.H{"groups": landUseGroups, "codes": codes})
}

// adminUnitLabels answers GET /api/v1/admin-units/labels?date=: a GeoJSON FeatureCollection of
// one point per administrative unit valid at the date (default today), where the map writes its
// name.
func (s *Server) adminUnitLabels(c *gin.Context) {
	at, ok := dateParam(c, "date")
	if !ok {
		return
	}
	labels, err := s.store.AdminUnitLabels(c.Request.Context(), at)
	if err != nil {
		fail(c, err)
		return
	}
	type props struct {
		Code  string `json:"code"`
		Level string `json:"level"`
		Kind  string `json:"kind"`
		Name  string `json:"name"`
	}
	type geom struct {
		Type        string    `json:"type"`
		Coordinates []float64 `json:"coordinates"`
	}
	type feature struct {
		Type       string `json:"type"`
		Geometry   geom   `json:"geometry"`
		Properties props  `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: make([]feature, 0, len(labels))}
	for _, l := range labels {
		fc.Features = append(fc.Features, feature{Type: "Feature",
			Geometry:   geom{Type: "Point", Coordinates: pointJSON(l.Point)},
			Properties: props{Code: l.Code, Level: l.Level, Kind: l.Kind, Name: l.Name}})
	}
	c.Header("Cache-Control", "public, max-age=60")
	c.Header("Content-Type", "application/geo+json")
	c.JSON(http.StatusOK, fc)
}
