package synth

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

type fcDoc struct {
	Type string `json:"type"`
	CRS  *struct {
		Properties struct {
			Name string `json:"name"`
		} `json:"properties"`
	} `json:"crs"`
	Features []struct {
		Type       string         `json:"type"`
		ID         string         `json:"id"`
		Properties map[string]any `json:"properties"`
		Geometry   struct {
			Type        string           `json:"type"`
			Coordinates [][][][2]float64 `json:"coordinates"`
		} `json:"geometry"`
	} `json:"features"`
}

func TestWriteGeoJSON(t *testing.T) {
	us := testUnits(t)
	cfg := Config{Seed: 2, Parcels: 500}
	var parcels []Parcel
	if err := Parcels(cfg, us, func(p Parcel) error { parcels = append(parcels, p); return nil }); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opt     GeoJSONOptions
		wantCRS string
		check   func(t *testing.T, p Parcel, got [2]float64, want [2]float64)
	}{
		{"lonlat exact", GeoJSONOptions{}, "", func(t *testing.T, p Parcel, got, want [2]float64) {
			if got != want {
				t.Errorf("coordinate %v, want %v", got, want)
			}
		}},
		{"rounded", GeoJSONOptions{Decimals: 7}, "", func(t *testing.T, p Parcel, got, want [2]float64) {
			if d := max(abs(got[0]-want[0]), abs(got[1]-want[1])); d > 0.51e-7 {
				t.Errorf("coordinate %v, want %v rounded to 1e-7", got, want)
			}
		}},
		{"transformed", GeoJSONOptions{Transform: func(lon, lat float64) (float64, float64) { return lon * 1000, lat * 1000 }},
			"urn:ogc:def:crs:EPSG::9212", func(t *testing.T, p Parcel, got, want [2]float64) {
				if abs(got[0]-want[0]*1000) > 1e-6 || abs(got[1]-want[1]*1000) > 1e-6 {
					t.Errorf("coordinate %v, want %v×1000", got, want)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteGeoJSONWith(&buf, cfg, us, tc.opt); err != nil {
				t.Fatal(err)
			}
			if lines := strings.Count(buf.String(), "\n"); lines != len(parcels)+2 {
				t.Errorf("got %d lines, want one per feature plus 2", lines)
			}
			var doc fcDoc
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("invalid JSON: %v", err)
			}
			if doc.Type != "FeatureCollection" || len(doc.Features) != len(parcels) {
				t.Fatalf("got %s with %d features, want FeatureCollection with %d", doc.Type, len(doc.Features), len(parcels))
			}
			gotCRS := ""
			if doc.CRS != nil {
				gotCRS = doc.CRS.Properties.Name
			}
			if gotCRS != tc.wantCRS {
				t.Errorf("crs: got %q, want %q", gotCRS, tc.wantCRS)
			}
			for i, f := range doc.Features {
				p := parcels[i]
				pr := f.Properties
				if pr["MaXa"] != p.CommuneCode || pr["SoHieuToBanDo"] != float64(p.Sheet) || pr["SoThuTuThua"] != float64(p.Number) ||
					pr["DienTich"] != p.LegalArea || pr["DiaChi"] != p.Address {
					t.Fatalf("feature %d properties %v, parcel %+v", i, pr, p)
				}
				codes := make([]string, len(p.LandUse))
				for k, lu := range p.LandUse {
					codes[k] = lu.Code
				}
				if pr["KyHieuMucDichSuDung"] != strings.Join(codes, "+") {
					t.Errorf("KyHieuMucDichSuDung %v, want %v", pr["KyHieuMucDichSuDung"], codes)
				}
				if p.OwnerName == "" && pr["TenChu"] != nil || p.OwnerName != "" && pr["TenChu"] != p.OwnerName {
					t.Errorf("TenChu %v, want %q", pr["TenChu"], p.OwnerName)
				}
				if f.Geometry.Type != "MultiPolygon" || len(f.Geometry.Coordinates) != len(p.Geometry) {
					t.Fatalf("geometry %s with %d polygons", f.Geometry.Type, len(f.Geometry.Coordinates))
				}
				if tc.opt.Decimals == 0 {
					for k, q := range p.Geometry[0][0] {
						tc.check(t, p, f.Geometry.Coordinates[0][0][k], [2]float64(q))
					}
				} else {
					tc.check(t, p, f.Geometry.Coordinates[0][0][0], [2]float64(p.Geometry[0][0][0]))
				}
			}
		})
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	if w.n > 3<<20 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteGeoJSON_WriteError(t *testing.T) {
	err := WriteGeoJSON(&failWriter{}, Config{Seed: 1, Parcels: 20000}, testUnits(t))
	if err == nil || err.Error() != "disk full" {
		t.Errorf("got %v, want disk full", err)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
