package synth

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// GeoJSONOptions controls WriteGeoJSONWith.
type GeoJSONOptions struct {
	// Transform, if set, maps every lon/lat to output coordinates, e.g.
	// VN-2000 / TM-3 easting and northing. The collection then carries a
	// legacy (pre-RFC 7946) "crs" member naming CRS.
	Transform func(lon, lat float64) (x, y float64)
	// CRS is the CRS named in the "crs" member when Transform is set;
	// default "urn:ogc:def:crs:EPSG::9212" (VN-2000 / TM-3 106-15, the
	// zone of Bình Phước).
	CRS string
	// Decimals, if > 0, rounds coordinates to that many decimals (7 for
	// degrees ≈ 1 cm, 3 for metres) for smaller files. Zero writes the
	// shortest exact representation: shared vertices stay identical either
	// way, but only exact output keeps the T-junctions where parcels of two
	// communes meet exactly on the same line.
	Decimals int
	// SheetOffset is added to every map sheet number (SoHieuToBanDo) in the
	// output. The demo numbers its sheets from 1 in each commune, so an offset
	// of 1000 keeps a file's cadastral keys apart from the demo's: the file
	// can be imported into a database that holds the demo.
	SheetOffset int
}

// WriteGeoJSON streams cfg.Parcels parcels over the pre-reform communes of
// units as a GeoJSON FeatureCollection in lon/lat (EPSG:4326), one feature
// per line. Memory stays constant whatever the count.
func WriteGeoJSON(w io.Writer, cfg Config, units []AdminUnit) error {
	return WriteGeoJSONWith(w, cfg, units, GeoJSONOptions{})
}

// WriteGeoJSONWith is WriteGeoJSON with options.
//
// Feature properties use the field names of Vietnamese cadastral GIS
// layers: MaXa (commune code), SoHieuToBanDo (map sheet), SoThuTuThua
// (parcel number), DienTich (legal area, m²), KyHieuMucDichSuDung (land-use
// codes joined with "+", e.g. "ONT+CLN"), MucDichSuDung (each code with its
// area), DiaChi (address), and the personal data TenChu (owner), SoCCCD
// (citizen ID) and SoGCN (certificate number), null when absent. The
// feature id is "MaXa-SoHieuToBanDo-SoThuTuThua".
func WriteGeoJSONWith(w io.Writer, cfg Config, units []AdminUnit, opt GeoJSONOptions) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	b := make([]byte, 0, 4096)
	b = append(b, `{"type":"FeatureCollection",`...)
	if opt.Transform != nil {
		crs := opt.CRS
		if crs == "" {
			crs = "urn:ogc:def:crs:EPSG::9212"
		}
		b = append(b, `"crs":{"type":"name","properties":{"name":`...)
		b = appendJSONString(b, crs)
		b = append(b, `}},`...)
	}
	b = append(b, `"features":[`...)
	first := true
	err := Parcels(cfg, units, func(p Parcel) error {
		if first {
			b = append(b, '\n')
			first = false
		} else {
			b = append(b, ",\n"...)
		}
		b = appendFeature(b, &p, &opt)
		_, err := bw.Write(b)
		b = b[:0]
		return err
	})
	if err != nil {
		return err
	}
	b = append(b, "\n]}\n"...)
	if _, err := bw.Write(b); err != nil {
		return err
	}
	return bw.Flush()
}

func appendFeature(b []byte, p *Parcel, opt *GeoJSONOptions) []byte {
	b = append(b, `{"type":"Feature","id":"`...)
	sheet := int64(p.Sheet + opt.SheetOffset)
	b = append(b, p.CommuneCode...)
	b = append(b, '-')
	b = strconv.AppendInt(b, sheet, 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(p.Number), 10)
	b = append(b, `","properties":{"MaXa":`...)
	b = appendJSONString(b, p.CommuneCode)
	b = append(b, `,"SoHieuToBanDo":`...)
	b = strconv.AppendInt(b, sheet, 10)
	b = append(b, `,"SoThuTuThua":`...)
	b = strconv.AppendInt(b, int64(p.Number), 10)
	b = append(b, `,"DienTich":`...)
	b = strconv.AppendFloat(b, p.LegalArea, 'f', -1, 64)
	b = append(b, `,"KyHieuMucDichSuDung":"`...)
	for i, lu := range p.LandUse {
		if i > 0 {
			b = append(b, '+')
		}
		b = append(b, lu.Code...)
	}
	b = append(b, `","MucDichSuDung":[`...)
	for i, lu := range p.LandUse {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"KyHieu":"`...)
		b = append(b, lu.Code...)
		b = append(b, `","DienTich":`...)
		b = strconv.AppendFloat(b, lu.Area, 'f', -1, 64)
		b = append(b, '}')
	}
	b = append(b, `],"DiaChi":`...)
	b = appendJSONString(b, p.Address)
	b = append(b, `,"TenChu":`...)
	b = appendJSONOptString(b, p.OwnerName)
	b = append(b, `,"SoCCCD":`...)
	b = appendJSONOptString(b, p.OwnerIDNumber)
	b = append(b, `,"SoGCN":`...)
	b = appendJSONOptString(b, p.CertificateNo)
	b = append(b, `},"geometry":{"type":"MultiPolygon","coordinates":[`...)
	scale := 0.0
	if opt.Decimals > 0 {
		scale = math.Pow(10, float64(opt.Decimals))
	}
	coord := func(v float64) float64 {
		if scale > 0 {
			return math.Round(v*scale) / scale
		}
		return v
	}
	prec := -1
	if opt.Decimals > 0 {
		prec = opt.Decimals
	}
	var buf [64][2]float64
	firstPoly := true
	for _, pg := range p.Geometry {
		start := len(b)
		if !firstPoly {
			b = append(b, ',')
		}
		b = append(b, '[')
		nr := 0
		for _, r := range pg {
			pts := buf[:0]
			for _, q := range r {
				x, y := q[0], q[1]
				if opt.Transform != nil {
					x, y = opt.Transform(x, y)
				}
				x, y = coord(x), coord(y)
				if n := len(pts); n > 0 && pts[n-1][0] == x && pts[n-1][1] == y {
					continue
				}
				pts = append(pts, [2]float64{x, y})
			}
			if len(pts) < 4 || pts[0] != pts[len(pts)-1] {
				if nr == 0 {
					break // no exterior, drop the polygon
				}
				continue
			}
			if nr > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			for i, q := range pts {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, '[')
				b = strconv.AppendFloat(b, q[0], 'f', prec, 64)
				b = append(b, ',')
				b = strconv.AppendFloat(b, q[1], 'f', prec, 64)
				b = append(b, ']')
			}
			b = append(b, ']')
			nr++
		}
		if nr == 0 {
			b = b[:start]
			continue
		}
		b = append(b, ']')
		firstPoly = false
	}
	return append(b, "]}}"...)
}

func appendJSONOptString(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}
