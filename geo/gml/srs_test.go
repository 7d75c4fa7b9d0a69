package gml

import (
	"errors"
	"testing"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/internal/ogcxml"
)

func TestResolver_Resolve(t *testing.T) {
	wms := Resolver{ShortFormFollowsEPSG: true}
	tests := []struct {
		name     string
		r        Resolver
		in       string
		want     SRS
		wantName string
	}{
		// WFS (the zero Resolver): the short form is x first, as GDAL, QGIS and OWSLib write it.
		{"wfs EPSG:4326 is lon/lat", Resolver{}, "EPSG:4326", SRS{4326, FormEPSG, false}, "EPSG:4326"},
		{"urn 4326 is lat/lon", Resolver{}, "urn:ogc:def:crs:EPSG::4326", SRS{4326, FormURN, true}, "urn:ogc:def:crs:EPSG::4326"},
		{"urn with version", Resolver{}, "urn:ogc:def:crs:EPSG:6.9:4326", SRS{4326, FormURN, true}, "urn:ogc:def:crs:EPSG::4326"},
		{"urn x-ogc", Resolver{}, "urn:x-ogc:def:crs:EPSG:4326", SRS{4326, FormURNX, true}, "urn:x-ogc:def:crs:EPSG:4326"},
		{"urn x-ogc with version", Resolver{}, "urn:x-ogc:def:crs:EPSG:6.11:4326", SRS{4326, FormURNX, true}, "urn:x-ogc:def:crs:EPSG:4326"},
		{"http uri 4326 is lat/lon", Resolver{}, "http://www.opengis.net/def/crs/EPSG/0/4326", SRS{4326, FormURI, true}, geo.EPSGURIPrefix + "4326"},
		{"https uri", Resolver{}, "https://www.opengis.net/def/crs/EPSG/0/4326", SRS{4326, FormURI, true}, geo.EPSGURIPrefix + "4326"},
		{"gml 2 url is lon/lat", Resolver{}, "http://www.opengis.net/gml/srs/epsg.xml#4326", SRS{4326, FormXMLURL, false}, "http://www.opengis.net/gml/srs/epsg.xml#4326"},
		{"CRS:84", Resolver{}, "CRS:84", SRS{4326, FormCRS84, false}, "CRS:84"},
		{"OGC:CRS84", Resolver{}, " ogc:crs84 ", SRS{4326, FormCRS84, false}, "CRS:84"},
		{"CRS84 urn", Resolver{}, "urn:ogc:def:crs:OGC:1.3:CRS84", SRS{4326, FormCRS84URN, false}, "urn:ogc:def:crs:OGC:1.3:CRS84"},
		{"CRS84 uri", Resolver{}, geo.CRS84URI, SRS{4326, FormCRS84URI, false}, geo.CRS84URI},
		// VN-2000 zones are easting, northing in every form (projinfo EPSG:9212).
		{"urn 9212 is e/n", Resolver{}, "urn:ogc:def:crs:EPSG::9212", SRS{9212, FormURN, false}, "urn:ogc:def:crs:EPSG::9212"},
		{"uri 9205", Resolver{}, "http://www.opengis.net/def/crs/EPSG/0/9205", SRS{9205, FormURI, false}, geo.EPSGURIPrefix + "9205"},
		{"EPSG:9218", Resolver{}, "epsg:9218", SRS{9218, FormEPSG, false}, "EPSG:9218"},
		{"urn 3857", Resolver{}, "urn:ogc:def:crs:EPSG::3857", SRS{3857, FormURN, false}, "urn:ogc:def:crs:EPSG::3857"},
		{"urn VN-2000 geographic is lat/lon", Resolver{}, "urn:ogc:def:crs:EPSG::4756", SRS{4756, FormURN, true}, "urn:ogc:def:crs:EPSG::4756"},
		// WMS 1.3.0: EPSG:4326 follows EPSG.
		{"wms EPSG:4326 is lat/lon", wms, "EPSG:4326", SRS{4326, FormEPSG, true}, "EPSG:4326"},
		{"wms EPSG:9212 is e/n", wms, "EPSG:9212", SRS{9212, FormEPSG, false}, "EPSG:9212"},
		{"wms CRS:84 is lon/lat", wms, "CRS:84", SRS{4326, FormCRS84, false}, "CRS:84"},
		// A caller's own axis table.
		{"custom table", Resolver{AxisNorthEast: func(srid int) (bool, bool) { return srid == 2000, srid == 2000 }},
			"urn:ogc:def:crs:EPSG::2000", SRS{2000, FormURN, true}, "urn:ogc:def:crs:EPSG::2000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.r.Resolve(tc.in)
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("Resolve(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			if got.Name() != tc.wantName {
				t.Errorf("Name() = %q, want %q", got.Name(), tc.wantName)
			}
		})
	}
}

func TestResolver_Errors(t *testing.T) {
	for _, in := range []string{
		"", "EPSG:", "EPSG:-4326", "EPSG:4326x", "EPSG:1234567890", "urn:ogc:def:crs:EPSG:4326",
		"urn:ogc:def:crs:EPSG:x:4326", "http://www.opengis.net/def/crs/EPSG/4326", "CRS:83", "WGS84",
		"EPSG:1234",  // well-formed, not offered
		"EPSG:6956",  // deprecated VN-2000 zone, not in the registry
		"EPSG:00000", // zero
	} {
		t.Run(in, func(t *testing.T) {
			_, err := Resolver{}.Resolve(in)
			var e *ogcxml.Error
			if !errors.As(err, &e) || e.Code != ogcxml.InvalidParameterValue || !errors.Is(err, geo.ErrUnknownCRS) {
				t.Fatalf("Resolve(%q) = %v, want an InvalidParameterValue wrapping geo.ErrUnknownCRS", in, err)
			}
		})
	}
}

// TestSRS_NameResolves checks that every form writes a name that resolves to itself.
func TestSRS_NameResolves(t *testing.T) {
	for f := FormEPSG; f <= FormCRS84URI; f++ {
		for _, srid := range []int{4326, 9212} {
			if f.IsCRS84() && srid != 4326 {
				continue
			}
			s, err := Resolver{}.With(SRS{SRID: srid, Form: f})
			if err != nil {
				t.Fatal(err)
			}
			back, err := Resolver{}.Resolve(s.Name())
			if err != nil || back != s {
				t.Errorf("Resolve(%q) = %+v, %v; want %+v", s.Name(), back, err, s)
			}
		}
	}
	if (SRS{}).Name() != "" || !(SRS{}).IsZero() {
		t.Error("the zero SRS must have no name")
	}
}
