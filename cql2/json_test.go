package cql2

import (
	"errors"
	"strings"
	"testing"
)

func TestParseJSON_MatchesText(t *testing.T) {
	tests := []struct {
		name, json, text string
	}{
		{"equals", `{"op": "=", "args": [{"property": "main_use"}, "CLN"]}`, "main_use = 'CLN'"},
		{"and or not", `{"op": "and", "args": [
			{"op": "or", "args": [{"op": "<", "args": [{"property": "a"}, 1]}, {"op": ">=", "args": [{"property": "a"}, 2.5]}]},
			{"op": "not", "args": [{"op": "<>", "args": [{"property": "b"}, true]}]}]}`,
			"((a < 1 OR a >= 2.5) AND NOT (b <> TRUE))"},
		{"like", `{"op": "like", "args": [{"property": "address"}, "Ấp%"]}`, "address LIKE 'Ấp%'"},
		{"between", `{"op": "between", "args": [{"property": "x"}, 1, 2]}`, "x BETWEEN 1 AND 2"},
		{"in", `{"op": "in", "args": [{"property": "main_use"}, ["ONT", "ODT"]]}`, "main_use IN ('ONT', 'ODT')"},
		{"isNull", `{"op": "isNull", "args": [{"property": "legal_area_m2"}]}`, "legal_area_m2 IS NULL"},
		{"dates", `{"op": "<=", "args": [{"property": "valid_from"}, {"date": "2025-07-01"}]}`, "valid_from <= DATE('2025-07-01')"},
		{"timestamp", `{"op": ">", "args": [{"property": "t"}, {"timestamp": "2025-07-01T00:00:00Z"}]}`, "t > TIMESTAMP('2025-07-01T00:00:00Z')"},
		{"casei", `{"op": "=", "args": [{"op": "casei", "args": [{"property": "name"}]}, {"op": "casei", "args": ["X"]}]}`, "CASEI(name) = CASEI('X')"},
		{"point", `{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [106.9, 11.5]}]}`,
			"S_INTERSECTS(geometry, POINT(106.9 11.5))"},
		{"polygon", `{"op": "s_within", "args": [{"property": "geometry"}, {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}]}`,
			"S_WITHIN(geometry, POLYGON((0 0, 1 0, 1 1, 0 0)))"},
		{"multipolygon", `{"op": "s_contains", "args": [{"type": "MultiPolygon", "coordinates": [[[[0,0],[1,0],[1,1],[0,0]]]]}, {"property": "geometry"}]}`,
			"S_CONTAINS(MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0))), geometry)"},
		{"collection", `{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [1, 2]}]}]}`,
			"S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 2)))"},
		{"bbox", `{"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [1, 2, 3, 4]}]}`, "S_INTERSECTS(geometry, BBOX(1, 2, 3, 4))"},
		{"dwithin", `{"op": "s_dwithin", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [1, 2]}, 2, "km"]}`,
			"S_DWITHIN(geometry, POINT(1 2), 2000, meters)"},
		{"boolean literal", `true`, "TRUE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParseJSON([]byte(tc.json))
			if err != nil {
				t.Fatalf("ParseJSON: %v", err)
			}
			if got := e.String(); got != tc.text {
				t.Errorf("ParseJSON(...).String() = %q, want %q", got, tc.text)
			}
			fromText, err := Parse(tc.text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.text, err)
			}
			if fromText.String() != e.String() {
				t.Errorf("text and JSON disagree: %q vs %q", fromText.String(), e.String())
			}
		})
	}
}

func TestParseJSON_Errors(t *testing.T) {
	tests := []struct {
		name, in string
		path     string
		offset   int
		contains string
	}{
		{"not json", `{"op": "=",`, "", 11, "ends too early"},
		{"garbage", `{"op" "="}`, "", 6, "malformed JSON"},
		{"trailing", `true false`, "", 5, "after the filter"},
		{"unknown op", `{"op": "~", "args": []}`, "op", -1, "unknown operator"},
		{"args count", `{"op": "=", "args": [1]}`, "args", -1, "takes 2 arguments"},
		{"nested path", `{"op": "and", "args": [{"op": "=", "args": [{"property": "a"}, 1]}, {"op": "=", "args": [{"property": 5}, 1]}]}`,
			"args[1].args[0].property", -1, "property name"},
		{"null value", `{"op": "=", "args": [{"property": "a"}, null]}`, "args[1]", -1, "isNull"},
		{"open ring", `{"op": "s_intersects", "args": [{"property": "g"}, {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1]]]}]}`,
			"args[1].coordinates[0]", -1, "ring must end"},
		{"3d", `{"op": "s_intersects", "args": [{"property": "g"}, {"type": "Point", "coordinates": [0,0,0]}]}`,
			"args[1].coordinates", -1, "2D"},
		{"bad type", `{"op": "s_intersects", "args": [{"property": "g"}, {"type": "Circle", "coordinates": [0,0]}]}`,
			"args[1].type", -1, "unknown GeoJSON"},
		{"extra member", `{"op": "=", "args": [{"property": "a"}, 1], "x": 1}`, "x", -1, "unexpected member"},
		{"not boolean", `{"property": "a"}`, "", -1, "boolean expression"},
		{"temporal", `{"op": "t_after", "args": []}`, "op", -1, "temporal"},
		{"in not array", `{"op": "in", "args": [{"property": "a"}, "x"]}`, "args[1]", -1, "array"},
		{"huge number", `{"op": "=", "args": [{"property": "a"}, 1e400]}`, "args[1]", -1, "out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseJSON([]byte(tc.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseJSON(%s) = %v, want a *SyntaxError", tc.in, err)
			}
			if se.Path != tc.path || se.Offset != tc.offset {
				t.Errorf("error at path %q offset %d, want %q offset %d (%v)", se.Path, se.Offset, tc.path, tc.offset, err)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not mention %q", err, tc.contains)
			}
		})
	}
}

func TestParseJSON_DepthLimit(t *testing.T) {
	in := strings.Repeat(`{"op": "not", "args": [`, MaxDepth+2) + "true" + strings.Repeat("]}", MaxDepth+2)
	if _, err := ParseJSON([]byte(in)); !errors.Is(err, ErrSyntax) {
		t.Errorf("ParseJSON(deep) = %v, want a syntax error", err)
	}
}

func TestParseGeoJSON(t *testing.T) {
	g, err := ParseGeoJSON([]byte(`{"type": "Polygon", "coordinates": [[[106.9, 11.5], [106.91, 11.5], [106.91, 11.51], [106.9, 11.5]]]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := (Geometry{Geom: g}).String(), "POLYGON((106.9 11.5, 106.91 11.5, 106.91 11.51, 106.9 11.5))"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	for _, bad := range []string{`[]`, `{"type": 1}`, `{"type": "Point", "coordinates": [1]}`, `{"type": "Point"}`} {
		if _, err := ParseGeoJSON([]byte(bad)); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseGeoJSON(%s) = %v, want ErrSyntax", bad, err)
		}
	}
}
