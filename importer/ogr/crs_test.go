package ogr

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// VN-2000 .prj files in the forms ESRI and MapInfo write them, and a few that are not VN-2000.
const (
	prjGDAL = `PROJCS["VN-2000_TM-3_106-15",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",106.25],PARAMETER["Scale_Factor",0.9999],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	// ArcGIS with a province's own name and the shift in coordinate-frame signs.
	prjESRIShift = `PROJCS["VN_2000_Binh_Phuoc",GEOGCS["GCS_VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563],TOWGS84[-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,0.252906278]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",106.25],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1]]`
	// MapInfo's Universal Translator: unnamed CRS, MIF datum number, shift in position-vector signs.
	prjMapInfo = `PROJCS["unnamed",GEOGCS["unnamed",DATUM["MIF 9999",SPHEROID["WGS 84",6378137,298.257223563],TOWGS84[-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",107.75],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["Meter",1.0]]`
	// The common hand-made VN-2000: datum WGS 84, no shift.
	prjWGS84Datum = `PROJCS["VN2000_Tay_Ninh",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.75],PARAMETER["Scale_Factor",0.9999],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	prjUTM48      = `PROJCS["VN_2000_UTM_Zone_48N",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	prjUTM49      = `PROJCS["UTM VN2000 mui 6 49N",GEOGCS["VN2000",DATUM["VN_2000",SPHEROID["WGS 84",6378137,298.257223563],TOWGS84[-191.904,-39.303,-111.450,0,0,0,0]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",111],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1]]`
	prjWGS84UTM48 = `PROJCS["WGS_1984_UTM_Zone_48N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	prjGeographic = `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
	// A transverse Mercator with scale 1 on VN-2000: no zone gisd knows.
	prjUnknown = `PROJCS["VN2000 tu dinh nghia",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",106.25],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
)

func TestOpen_PRJ(t *testing.T) {
	requireGDAL(t)
	base := shapefileDir(t, parcelsGeoJSON(t, t.TempDir(), testParcels), "thua")
	withPRJ := func(t *testing.T, prj string) string {
		dir := t.TempDir()
		entries, _ := os.ReadDir(base)
		for _, e := range entries {
			data, _ := os.ReadFile(filepath.Join(base, e.Name()))
			if strings.HasSuffix(e.Name(), ".prj") {
				if prj == "" {
					continue
				}
				data = []byte(prj)
			}
			os.WriteFile(filepath.Join(dir, e.Name()), data, 0o600)
		}
		return zipDir(t, dir, filepath.Join(t.TempDir(), "thua.zip"), "")
	}
	for _, c := range []struct {
		name, prj string
		epsg      int
		crs       string // the stream's crs member
		note      string
	}{
		{"ESRI as GDAL writes it", prjGDAL, 9212, "urn:ogc:def:crs:EPSG::9212", "EPSG:9212"},
		{"ESRI with shift", prjESRIShift, 9212, "urn:ogc:def:crs:EPSG::9212", "VN-2000 / TM-3 106-15"},
		{"MapInfo", prjMapInfo, 5899, "urn:ogc:def:crs:EPSG::5899", "central meridian 107.75"},
		{"WGS 84 datum", prjWGS84Datum, 9210, "urn:ogc:def:crs:EPSG::9210", "datum written as WGS 84"},
		{"UTM 48N", prjUTM48, 3405, "urn:ogc:def:crs:EPSG::3405", "3405"},
		{"UTM 49N 3-parameter shift", prjUTM49, 3406, "urn:ogc:def:crs:EPSG::3406", "VN-2000 / UTM zone 49N"},
		{"WGS 84 / UTM 48N", prjWGS84UTM48, 4326, "urn:ogc:def:crs:OGC:1.3:CRS84", "converted to WGS 84 by GDAL"},
		{"geographic", prjGeographic, 4326, "urn:ogc:def:crs:OGC:1.3:CRS84", "WGS 84"},
		{"no .prj", "", 0, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := mustOpen(t, withPRJ(t, c.prj), Options{})
			if o.src.EPSG != c.epsg || !strings.Contains(o.src.CRSNote, c.note) {
				t.Errorf("EPSG %d (%s), want %d (%s)", o.src.EPSG, o.src.CRSNote, c.epsg, c.note)
			}
			got := ""
			if o.doc.CRS != nil {
				got = o.doc.CRS.Properties.Name
			}
			if got != c.crs {
				t.Errorf("crs member %q, want %q", got, c.crs)
			}
		})
	}
	t.Run("UTM 48N reprojected", func(t *testing.T) {
		o := mustOpen(t, withPRJ(t, prjWGS84UTM48), Options{})
		// 569000 E, 1275000 N in UTM 48N is about 105.64 E, 11.53 N.
		if c := string(o.doc.Features[0].Geometry.Coordinates); !strings.Contains(c, "105.6") {
			t.Errorf("coordinates %s, want WGS 84 near 105.6 E", c)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		o := openFile(t, withPRJ(t, prjUnknown), Options{})
		e := wantError(t, o.openErr, ErrInvalid, CodeCRS)
		if len(e.Zones) == 0 || e.Zones[0] != 9212 || !strings.Contains(e.Msg, "--srid 9212") ||
			!strings.Contains(e.Msg, "scale 1") {
			t.Errorf("zones %v, message %q", e.Zones, e.Msg)
		}
		// The caller's SRID wins over the .prj.
		o = mustOpen(t, withPRJ(t, prjUnknown), Options{SRID: 9212})
		if o.src.EPSG != 9212 || o.doc.CRS.Properties.Name != "urn:ogc:def:crs:EPSG::9212" {
			t.Errorf("with SRID: EPSG %d, crs %+v", o.src.EPSG, o.doc.CRS)
		}
	})
}

func TestParseWKT(t *testing.T) {
	n, ok := parseWKT(`PROJCS["a b",GEOGCS["g",DATUM["d",SPHEROID["s",1,2]]],PARAMETER["k",0.9],AXIS["E",EAST]]`)
	if !ok || n.key != "PROJCS" || n.val(0) != "a b" || n.child("AXIS").val(1) != "EAST" ||
		n.child("GEOGCS").child("DATUM").child("SPHEROID").val(2) != "2" || projParams(n)["k"] != 0.9 {
		t.Fatalf("parsed %+v %v", n, ok)
	}
	for _, bad := range []string{"", "PROJCS", `PROJCS["a"`, `PROJCS["a"]]`, `PROJCS["a,]`, strings.Repeat("A[", 100) + strings.Repeat("]", 100)} {
		if _, ok := parseWKT(bad); ok {
			t.Errorf("parseWKT(%q) ok", bad)
		}
	}
}

func FuzzParseWKT(f *testing.F) {
	for _, s := range []string{prjGDAL, prjMapInfo, prjGeographic, prjUnknown} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		resolveCRS(s)
	})
}
