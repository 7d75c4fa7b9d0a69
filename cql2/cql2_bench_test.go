package cql2

import "testing"

const benchFilter = "main_use IN ('ONT', 'ODT', 'CLN') AND official_area_m2 BETWEEN 100 AND 5000 AND " +
	"ACCENTI(address) LIKE '%loc ninh%' AND S_INTERSECTS(geometry, POLYGON((106.88 11.53, 106.90 11.53, 106.90 11.54, 106.88 11.53)))"

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchFilter); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseJSON(b *testing.B) {
	data := []byte(`{"op":"and","args":[{"op":"in","args":[{"property":"main_use"},["ONT","ODT","CLN"]]},` +
		`{"op":"between","args":[{"property":"official_area_m2"},100,5000]},` +
		`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[106.88,11.53],[106.9,11.53],[106.9,11.54],[106.88,11.53]]]}]}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseJSON(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	e, err := Parse(benchFilter)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Compile(e, parcels, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
