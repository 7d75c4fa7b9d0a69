package cql2

import (
	"errors"
	"strings"
	"testing"
)

func TestParse_Canonical(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"equals string", "main_use = 'CLN'", "main_use = 'CLN'"},
		{"keywords any case", "a=1 and b<>2 Or not c>=3.5", "((a = 1 AND b <> 2) OR NOT (c >= 3.5))"},
		{"precedence AND over OR", "a = 1 OR b = 2 AND c = 3", "(a = 1 OR (b = 2 AND c = 3))"},
		{"parentheses", "(a = 1 OR b = 2) AND c = 3", "((a = 1 OR b = 2) AND c = 3)"},
		{"all comparisons", "a<1 AND a<=2 AND a>3 AND a>=4 AND a<>5", "(a < 1 AND a <= 2 AND a > 3 AND a >= 4 AND a <> 5)"},
		{"negative and exponent", "x > -1.5e3 AND y < +2", "(x > -1500 AND y < 2)"},
		{"like", "address LIKE 'Ấp 3%'", "address LIKE 'Ấp 3%'"},
		{"not like", "address NOT LIKE '%Lộc%'", "address NOT LIKE '%Lộc%'"},
		{"between", "official_area_m2 BETWEEN 100 AND 500.5", "official_area_m2 BETWEEN 100 AND 500.5"},
		{"not between", "sheet_no NOT BETWEEN 1 AND 9", "sheet_no NOT BETWEEN 1 AND 9"},
		{"in", "main_use IN ('ONT', 'ODT','CLN')", "main_use IN ('ONT', 'ODT', 'CLN')"},
		{"not in", "sheet_no NOT IN (1,2)", "sheet_no NOT IN (1, 2)"},
		{"is null", "legal_area_m2 IS NULL", "legal_area_m2 IS NULL"},
		{"is not null", "legal_area_m2 is not null", "legal_area_m2 IS NOT NULL"},
		{"quoted property", `"main use" = 'x' AND "and" = 1`, `("main use" = 'x' AND "and" = 1)`},
		{"escaped quotes", `name = 'Nhà ''A''' AND n = 'b\'c'`, `(name = 'Nhà ''A''' AND n = 'b''c')`},
		{"boolean literals", "TRUE AND flag = false", "(TRUE AND flag = FALSE)"},
		{"dates", "valid_from <= DATE('2025-07-01') AND t > TIMESTAMP('2025-07-01T07:00:00+07:00')",
			"(valid_from <= DATE('2025-07-01') AND t > TIMESTAMP('2025-07-01T07:00:00+07:00'))"},
		{"casei accenti", "CASEI(name) = casei('ĐỒNG') AND ACCENTI(name) LIKE ACCENTI('dong%')",
			"(CASEI(name) = CASEI('ĐỒNG') AND ACCENTI(name) LIKE ACCENTI('dong%'))"},
		{"s_intersects point", "S_INTERSECTS(geometry, POINT(106.9 11.5))", "S_INTERSECTS(geometry, POINT(106.9 11.5))"},
		{"s_within polygon", "s_within(geometry, POLYGON((0 0, 1 0, 1 1, 0 0)))", "S_WITHIN(geometry, POLYGON((0 0, 1 0, 1 1, 0 0)))"},
		{"polygon with hole", "S_CONTAINS(POLYGON((0 0,10 0,10 10,0 0),(1 1,2 1,2 2,1 1)), geometry)",
			"S_CONTAINS(POLYGON((0 0, 10 0, 10 10, 0 0), (1 1, 2 1, 2 2, 1 1)), geometry)"},
		{"multipoint both forms", "S_INTERSECTS(geometry, MULTIPOINT((1 2), 3 4))", "S_INTERSECTS(geometry, MULTIPOINT((1 2), (3 4)))"},
		{"linestring", "S_CROSSES(geometry, LINESTRING(1 2, 3 4))", "S_CROSSES(geometry, LINESTRING(1 2, 3 4))"},
		{"multilinestring", "S_TOUCHES(geometry, MULTILINESTRING((1 2, 3 4),(5 6, 7 8)))", "S_TOUCHES(geometry, MULTILINESTRING((1 2, 3 4), (5 6, 7 8)))"},
		{"multipolygon", "S_OVERLAPS(geometry, MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5))))",
			"S_OVERLAPS(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5))))"},
		{"collection", "S_DISJOINT(geometry, GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1)))",
			"S_DISJOINT(geometry, GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1)))"},
		{"bbox", "S_INTERSECTS(geometry, BBOX(106.8, 11.4, 107.0, 11.6))", "S_INTERSECTS(geometry, BBOX(106.8, 11.4, 107, 11.6))"},
		{"bbox with heights", "S_EQUALS(geometry, BBOX(1, 2, 0, 3, 4, 9))", "S_EQUALS(geometry, BBOX(1, 2, 3, 4))"},
		{"dwithin metres", "S_DWITHIN(geometry, POINT(106.9 11.5), 250)", "S_DWITHIN(geometry, POINT(106.9 11.5), 250, meters)"},
		{"dwithin km", "DWITHIN(geometry, POINT(106.9 11.5), 1.5, kilometers)", "S_DWITHIN(geometry, POINT(106.9 11.5), 1500, meters)"},
		{"not binds tighter than and", "NOT a = 1 AND b = 2", "(NOT (a = 1) AND b = 2)"},
		{"double not", "NOT NOT a = 1", "NOT (NOT (a = 1))"},
		{"big integer keeps digits", "id = 9007199254740993", "id = 9007199254740993"},
		{"whitespace", "\n\ta\t=\r\n1 ", "a = 1"},
		{"identifier with dot and colon", "ns:a.b = 1", "\"ns:a.b\" = 1"},
		{"literal on the left", "'CLN' = main_use", "'CLN' = main_use"},
		{"ilike is casei like", "address ILIKE '%ấp%' AND name NOT ILIKE 'x'", "(CASEI(address) LIKE CASEI('%ấp%') AND CASEI(name) NOT LIKE CASEI('x'))"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got := e.String(); got != tc.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tc.in, got, tc.want)
			}
			again, err := Parse(e.String())
			if err != nil {
				t.Fatalf("reparse %q: %v", e.String(), err)
			}
			if again.String() != e.String() {
				t.Errorf("reparse changed %q into %q", e.String(), again.String())
			}
		})
	}
}

func TestParse_SyntaxErrorPosition(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		line, col  int
		offset     int
		msgContain string
	}{
		{"missing operand", "main_use = ", 1, 12, 11, "expected a property"},
		{"unbalanced paren", "(a = 1 AND b = 2", 1, 17, 16, `expected ")"`},
		{"bad operator", "a == 1", 1, 4, 3, "expected a property, a value"},
		{"bang equals", "a != 1", 1, 3, 2, "<>"},
		{"trailing garbage", "a = 1 b = 2", 1, 7, 6, "expected AND, OR"},
		{"unterminated string", "a = 'abc", 1, 5, 4, "unterminated string"},
		{"second line", "a = 1 AND\n  b LIKE", 2, 9, 18, "expected a property"},
		{"column counts characters", "tên = 'Đồng' AND ?", 1, 18, 21, "unexpected character"},
		{"property without operator", "a AND b = 1", 1, 3, 2, "expected a comparison"},
		{"keyword as property", "AND = 1", 1, 1, 0, "keyword"},
		{"unknown function", "FOO(a) = 1", 1, 1, 0, "unknown function"},
		{"temporal op", "T_AFTER(a, DATE('2020-01-01'))", 1, 1, 0, "temporal operators"},
		{"arithmetic", "a = b + 1", 1, 7, 6, "arithmetic"},
		{"array", "a IN [1]", 1, 6, 5, "arrays"},
		{"bad date", "d = DATE('2025-13-01')", 1, 10, 9, "not a valid"},
		{"bad timestamp", "d = TIMESTAMP('2025-01-01')", 1, 15, 14, "RFC 3339"},
		{"open ring", "S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 1)))", 1, 33, 32, "ring must end"},
		{"short ring", "S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 0 0)))", 1, 33, 32, "at least 4 points"},
		{"3D point", "S_INTERSECTS(geometry, POINT(1 2 3))", 1, 34, 33, "2D"},
		{"empty geometry", "S_INTERSECTS(geometry, POINT EMPTY)", 1, 30, 29, "empty"},
		{"bbox wrong count", "S_INTERSECTS(geometry, BBOX(1,2,3))", 1, 24, 23, "4 numbers"},
		{"bbox min > max", "S_INTERSECTS(geometry, BBOX(3,2,1,4))", 1, 24, 23, "greater"},
		{"dwithin negative", "S_DWITHIN(geometry, POINT(1 2), -5)", 1, 33, 32, "between 0"},
		{"dwithin huge", "S_DWITHIN(geometry, POINT(1 2), 5000, km)", 1, 39, 38, "between 0"},
		{"dwithin unit", "S_DWITHIN(geometry, POINT(1 2), 5, feet)", 1, 36, 35, "unknown distance unit"},
		{"number overflow", "a = 1e999", 1, 5, 4, "out of range"},
		{"predicate as value", "a = S_INTERSECTS(geometry, geometry)", 1, 5, 4, "predicate"},
		{"null as value", "a = NULL", 1, 5, 4, "IS [NOT] NULL"},
		{"empty filter", "", 1, 1, 0, "expected a property"},
		{"between without and", "a BETWEEN 1 OR 2", 1, 13, 12, "expected AND"},
		{"malformed number", "a = 12abc", 1, 5, 4, "malformed number"},
		{"empty quoted property", `"" = 1`, 1, 1, 0, "empty property"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want a syntax error", tc.in)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("error %v does not wrap ErrSyntax", err)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			if se.Line != tc.line || se.Column != tc.col || se.Offset != tc.offset {
				t.Errorf("Parse(%q) error at line %d column %d offset %d, want %d:%d offset %d (%v)",
					tc.in, se.Line, se.Column, se.Offset, tc.line, tc.col, tc.offset, err)
			}
			if !strings.Contains(err.Error(), tc.msgContain) {
				t.Errorf("error %q does not mention %q", err, tc.msgContain)
			}
		})
	}
}

func TestParse_DepthLimit(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth+5) + "a = 1" + strings.Repeat(")", MaxDepth+5)
	if _, err := Parse(deep); !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "nested") {
		t.Errorf("Parse(deep) error = %v, want a nesting error", err)
	}
	nots := strings.Repeat("NOT ", MaxDepth+5) + "a = 1"
	if _, err := Parse(nots); !errors.Is(err, ErrSyntax) {
		t.Errorf("Parse(many NOT) error = %v, want a nesting error", err)
	}
	ok := strings.Repeat("(", 10) + "a = 1" + strings.Repeat(")", 10)
	if _, err := Parse(ok); err != nil {
		t.Errorf("Parse(10 levels) = %v, want success", err)
	}
}

func TestParse_InvalidUTF8(t *testing.T) {
	_, err := Parse("a = '\xff'")
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 5 {
		t.Errorf("Parse(invalid UTF-8) = %v, want a syntax error at offset 5", err)
	}
}
