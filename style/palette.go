package style

import (
	"image/color"
	"slices"
)

// Colours of the land-use codes. The hues follow the conventions of Vietnamese land-use maps
// (bản đồ hiện trạng sử dụng đất): yellows for rice and annual crops, oranges for perennial crops,
// greens for forest, cyan for water, pinks for residential land, reds for public and special
// land, greys for cemeteries and unused land. Each group has its own fallback, so a code added to
// the table later is still drawn in its group's colour.

// The three groups of land-use codes (Luật Đất đai 2024, Điều 9), as land_use_codes.group_code.
const (
	GroupAgricultural    = "nong_nghiep"
	GroupNonAgricultural = "phi_nong_nghiep"
	GroupUnused          = "chua_su_dung"
)

// Group is a group of land-use codes with its names and fallback colour.
type Group struct {
	Code   string
	Name   string // Vietnamese
	NameEn string
	Color  color.NRGBA
}

var groups = []Group{
	{GroupAgricultural, "Nhóm đất nông nghiệp", "Agricultural land", mustColor("#b8e186")},
	{GroupNonAgricultural, "Nhóm đất phi nông nghiệp", "Non-agricultural land", mustColor("#f4a6a6")},
	{GroupUnused, "Nhóm đất chưa sử dụng", "Unused land", mustColor("#d9d9c8")},
}

// Groups lists the land-use groups in the order legends show them.
func Groups() []Group { return slices.Clone(groups) }

// GroupColor is the fallback colour of a group.
func GroupColor(group string) (color.NRGBA, bool) {
	for _, g := range groups {
		if g.Code == group {
			return g.Color, true
		}
	}
	return color.NRGBA{}, false
}

// UnknownColor is drawn for a code that is in no known group (or a parcel without a code).
var UnknownColor = mustColor("#cccccc")

var codeColors = map[string]color.NRGBA{}

func init() {
	for _, kv := range [][2]string{
		{"LUC", "#fff64a"}, {"LUK", "#fff98c"}, {"LUN", "#fffbb0"},
		{"HNK", "#fff0b4"}, {"BHK", "#fff0b4"}, {"NHK", "#ffe9a0"},
		{"CLN", "#ffcf8f"},
		{"RSX", "#a8eaa0"}, {"RPH", "#62c46a"}, {"RDD", "#2e9e4a"},
		{"NTS", "#9fe8f0"}, {"CNT", "#e0cfa0"}, {"LMU", "#e8f4f8"}, {"NKH", "#e6f5b0"},
		{"ONT", "#ffc8f0"}, {"ODT", "#ff9ee6"},
		{"TSC", "#ff7f7f"}, {"DTS", "#ff9a8a"}, {"DVH", "#ffa98f"}, {"DYT", "#ff9a8a"}, {"DGD", "#ffa98f"}, {"DTT", "#ffb59a"},
		{"DKH", "#ff9a8a"}, {"DXH", "#ff9a8a"}, {"DNG", "#ff9a8a"}, {"DSK", "#ffb0a0"},
		{"CQP", "#e84a4a"}, {"CAN", "#e85a5a"},
		{"SKK", "#d9a0c8"}, {"SKT", "#d9a0c8"}, {"SKN", "#e0b0d0"}, {"SKC", "#e6b8d6"}, {"TMD", "#f28ca0"},
		{"SKS", "#c8a080"}, {"SKX", "#d4b090"},
		{"DGT", "#f5b041"}, {"DTL", "#7fd0e0"}, {"DDT", "#e6a070"}, {"DDL", "#e6a070"}, {"DSH", "#ffb59a"}, {"DKV", "#c8f0a0"},
		{"DNL", "#f0a060"}, {"DBV", "#f0a060"}, {"DCH", "#f28ca0"}, {"DRA", "#b0a090"}, {"DPC", "#c0d0e0"}, {"DCK", "#ffb0a0"},
		{"TON", "#f0b070"}, {"TIN", "#f0c080"}, {"NTD", "#c8c8c8"}, {"SON", "#8fd8f8"}, {"MNC", "#b0e8f8"}, {"PNK", "#f4c0b0"},
		{"BCS", "#ecece0"}, {"DCS", "#e0d8c0"}, {"NCS", "#c8c4b8"},
	} {
		codeColors[kv[0]] = mustColor(kv[1])
	}
}

// CodeColor is the colour chosen for a land-use code, if it has one of its own.
func CodeColor(code string) (color.NRGBA, bool) {
	c, ok := codeColors[code]
	return c, ok
}

// LandUse is one entry of the land-use code list (the land_use_codes table).
type LandUse struct {
	Code   string // "ONT"
	Name   string // Vietnamese: "Đất ở tại nông thôn"
	Group  string // GroupAgricultural, GroupNonAgricultural or GroupUnused
	Legacy bool   // replaced in the 2024 list; still found on old parcels
}

// Palette maps land-use codes to colours: a code's own colour, else its group's, else
// UnknownColor. Build it once from the code list (the database's land_use_codes) and share it;
// it is immutable and safe for concurrent use.
type Palette struct {
	codes []LandUse
	color map[string]color.NRGBA
}

// NewPalette builds the palette of the given codes. A code of the list without a colour of its
// own takes its group's colour; codes with a colour that are not in the list keep it, so a nil
// list still colours every code the palette knows.
func NewPalette(codes []LandUse) *Palette {
	p := &Palette{codes: slices.Clone(codes), color: make(map[string]color.NRGBA, len(codeColors)+len(codes))}
	for k, c := range codeColors {
		p.color[k] = c
	}
	for _, lu := range codes {
		if _, ok := codeColors[lu.Code]; ok {
			continue
		}
		if c, ok := GroupColor(lu.Group); ok {
			p.color[lu.Code] = c
		} else {
			p.color[lu.Code] = UnknownColor
		}
	}
	return p
}

// Color is the fill colour of a land-use code.
func (p *Palette) Color(code string) color.NRGBA {
	if c, ok := p.color[code]; ok {
		return c
	}
	return UnknownColor
}

// Codes is the code list the palette was built from, in its order.
func (p *Palette) Codes() []LandUse { return slices.Clone(p.codes) }

// Lookup finds a code of the list.
func (p *Palette) Lookup(code string) (LandUse, bool) {
	for _, lu := range p.codes {
		if lu.Code == code {
			return lu, true
		}
	}
	return LandUse{}, false
}

// byColor groups the palette's codes by colour, in a stable order (colours by their first code
// in sorted order, codes sorted): a MapLibre match expression lists each colour once.
func (p *Palette) byColor() (cols []color.NRGBA, codes [][]string) {
	keys := make([]string, 0, len(p.color))
	for k := range p.color {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	at := map[color.NRGBA]int{}
	for _, k := range keys {
		c := p.color[k]
		i, ok := at[c]
		if !ok {
			i = len(cols)
			at[c] = i
			cols = append(cols, c)
			codes = append(codes, nil)
		}
		codes[i] = append(codes[i], k)
	}
	return cols, codes
}
