package style

import (
	"hash/fnv"
	"image/color"
	"strings"
)

// The look of gisd's layers. The values are those the web map has used since it was first
// drawn (web/src/map.js), now kept here for every renderer.

// Background is the map's paper colour under the layers.
var Background = mustColor("#f3f1ea")

// Label priorities across layers: names of larger units are placed first.
const (
	PriorityProvince = 40
	PriorityDistrict = 30
	PriorityCommune  = 20
	PrioritySheet    = 15
	PriorityParcel   = 10
)

// CadastralFrom is the zoom from which parcels carry their cadastral label: z17, about 1:2,100
// at the province's latitude, the scale of a cadastral map sheet.
const CadastralFrom = 17

// AdminLabelPoints is the Label.Points name of the administrative units' label points.
const AdminLabelPoints = "admin_labels"

var (
	white     = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	labelHalo = color.NRGBA{0xff, 0xff, 0xff, 0xd9}
)

// Parcels is the style of the parcels layer: filled by main land use (main_use) with the
// palette, outlined darker and wider as the map zooms in, and labelled with the cadastral
// fraction from CadastralFrom.
func Parcels(p *Palette) *Layer {
	return &Layer{
		ID:    "parcels",
		Title: "Thửa đất",
		Rules: []Rule{
			{ID: "parcels-fill", Title: "Thửa đất theo mục đích sử dụng chính", Fill: &Fill{ByCode: "main_use", Palette: p, Opacity: 0.75}},
			{ID: "parcels-line", Title: "Ranh giới thửa đất", Stroke: &Stroke{Color: mustColor("#7a6a58"), Width: ByZoom(13, 0.2, 16, 0.8, 19, 1.5)}},
		},
		Labels: []Label{{
			ID:   "parcels-label",
			Zoom: ZoomRange{Min: CadastralFrom},
			Kind: CadastralLabel,
			Cadastral: Cadastral{
				Number: "parcel_no",
				Area:   "official_area_m2",
				Code:   "land_use",
			},
			Size:      ByZoom(17, 10, 20, 13),
			Color:     mustColor("#1d1b18"),
			Halo:      labelHalo,
			HaloWidth: 1.5,
			Priority:  PriorityParcel,
			SortBy:    "official_area_m2",
		}},
	}
}

// Constructions is the style of the constructions layer: dark footprints.
func Constructions() *Layer {
	return &Layer{
		ID:    "constructions",
		Title: "Công trình xây dựng",
		Rules: []Rule{
			{ID: "constructions-fill", Title: "Công trình xây dựng", Fill: &Fill{Color: mustColor("#5b4e44"), Opacity: 0.8}},
			{ID: "constructions-line", Title: "Ranh giới công trình", Stroke: &Stroke{Color: mustColor("#2b231d"), Width: Const(0.6)}},
		},
	}
}

// AdminUnits is the style of the administrative units: boundaries by level (no fill), finer
// for lower levels, and names. Names of larger units come first; after the 2025 reform there are
// no districts, and communes take their place from zoom 8.
func AdminUnits() *Layer {
	level := func(l string) Filter { return Filter{Attribute: "level", In: []string{l}} }
	name := func(id, l string, z ZoomRange, w FontWeight, size float64, c color.NRGBA, prio int, upper bool) Label {
		return Label{
			ID: id, Zoom: z, Filter: level(l), Kind: TextLabel, Text: "{name}", Weight: w, Size: Const(size),
			Color: c, Halo: white, HaloWidth: 2, Uppercase: upper, Priority: prio, SortBy: "area_m2",
			Points: AdminLabelPoints,
		}
	}
	return &Layer{
		ID:    "admin_units",
		Title: "Đơn vị hành chính",
		Rules: []Rule{
			{ID: "admin-commune", Title: "Ranh giới xã", Zoom: ZoomRange{Min: 8}, Filter: level("commune"),
				Stroke: &Stroke{Color: mustColor("#6d4c8d"), Width: ByZoom(8, 0.6, 12, 1.2), Dash: []float64{3, 2}}},
			{ID: "admin-district", Title: "Ranh giới huyện", Filter: level("district"),
				Stroke: &Stroke{Color: mustColor("#5a2d82"), Width: ByZoom(7, 1.2, 12, 2.5)}},
			{ID: "admin-province", Title: "Ranh giới tỉnh", Filter: level("province"),
				Stroke: &Stroke{Color: mustColor("#3b1460"), Width: ByZoom(7, 2, 12, 4)}},
		},
		Labels: []Label{
			name("admin-province-label", "province", ZoomRange{Max: 8}, Bold, 16, mustColor("#3b1460"), PriorityProvince, true),
			name("admin-district-label", "district", ZoomRange{Min: 7.5, Max: 11}, Bold, 14, mustColor("#3b1460"), PriorityDistrict, false),
			name("admin-commune-label", "commune", ZoomRange{Min: 8, Max: 16}, Regular, 11, mustColor("#4a2a6a"), PriorityCommune, false),
		},
	}
}

// Sheets is the style of a layer of cadastral map sheets (tờ bản đồ địa chính) with attribute
// sheet_no: grey dashed outlines and the sheet number at middle zooms, before parcels carry
// their own labels.
func Sheets() *Layer {
	return &Layer{
		ID:    "sheets",
		Title: "Tờ bản đồ địa chính",
		Rules: []Rule{
			{ID: "sheets-line", Title: "Khung tờ bản đồ", Zoom: ZoomRange{Min: 12},
				Stroke: &Stroke{Color: mustColor("#6f6f6f"), Width: ByZoom(12, 0.6, 17, 1.2), Dash: []float64{4, 3}}},
		},
		Labels: []Label{{
			ID: "sheets-label", Zoom: ZoomRange{Min: 14, Max: CadastralFrom}, Kind: TextLabel, Text: "Tờ {sheet_no}",
			Weight: Bold, Size: Const(12), Color: mustColor("#4d4d4d"), Halo: white, HaloWidth: 2, Priority: PrioritySheet,
		}},
	}
}

// importedColors are the colours of imported layers, one chosen per layer id.
var importedColors = []color.NRGBA{
	mustColor("#1f77b4"), mustColor("#9467bd"), mustColor("#17becf"), mustColor("#e377c2"),
	mustColor("#8c564b"), mustColor("#bcbd22"), mustColor("#ff7f0e"),
}

// ImportedColor is the colour of an imported layer. It depends on the layer id alone, so a layer
// keeps its colour whatever else the catalog holds.
func ImportedColor(id string) color.NRGBA {
	h := fnv.New32a()
	h.Write([]byte(id))
	return importedColors[h.Sum32()%uint32(len(importedColors))]
}

// Default is the style of an imported layer of the given geometry type (a catalog
// geometry_type: Point, LineString, Polygon, their Multi forms, or Geometry for a mix): a
// translucent fill, a line, circles for points, in the layer's ImportedColor.
func Default(id, title, geometryType string) *Layer {
	c := ImportedColor(id)
	l := &Layer{ID: id, Title: title}
	g := strings.ToLower(geometryType)
	mixed := g == "" || g == "geometry" || g == "geometrycollection"
	prefix := "layer:" + id + ":"
	if mixed || strings.HasSuffix(g, "polygon") {
		l.Rules = append(l.Rules, Rule{ID: prefix + "fill", Title: title, Fill: &Fill{Color: c, Opacity: 0.45}})
	}
	if mixed || strings.HasSuffix(g, "polygon") || strings.HasSuffix(g, "linestring") {
		l.Rules = append(l.Rules, Rule{ID: prefix + "line", Title: title, Stroke: &Stroke{Color: c, Width: Const(2)}})
	}
	if mixed || strings.HasSuffix(g, "point") {
		l.Rules = append(l.Rules, Rule{ID: prefix + "point", Title: title,
			Marker: &Marker{Radius: Const(5), Fill: c, Stroke: white, StrokeWidth: 1}})
	}
	return l
}

// ForLayer is the style of a catalog layer: the built-in style of parcels, constructions,
// admin_units and sheets, else Default.
func ForLayer(id, title, geometryType string, p *Palette) *Layer {
	switch id {
	case "parcels":
		return Parcels(p)
	case "constructions":
		return Constructions()
	case "admin_units":
		return AdminUnits()
	case "sheets":
		return Sheets()
	}
	return Default(id, title, geometryType)
}
