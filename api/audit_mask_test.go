package api

import (
	"testing"

	"github.com/dongnai-gis/gisd/cql2"
)

// Every predicate that names a personal attribute loses its values, wherever it stands in the
// filter; the rest of the filter is kept as it was.
func TestAudit_MaskPredicates(t *testing.T) {
	personal := map[string]bool{"owner_name": true, "owner_id_number": true}
	for _, tc := range []struct{ in, want string }{
		{"owner_id_number = '079080001234'", "owner_id_number = '***'"},
		{"address = 'Ấp 1'", "address = 'Ấp 1'"},
		{"NOT (owner_name LIKE 'Nguy%') OR sheet_no > 3", "(NOT (owner_name LIKE '***') OR sheet_no > 3)"},
		{"owner_id_number IN ('1', '2') AND parcel_no BETWEEN 1 AND 9", "(owner_id_number IN ('***', '***') AND parcel_no BETWEEN 1 AND 9)"},
		{"owner_name BETWEEN 'A' AND 'B'", "owner_name BETWEEN '***' AND '***'"},
		{"CASEI(owner_name) = CASEI('nguyễn văn an')", "CASEI(owner_name) = CASEI('***')"},
		{"'079080001234' = owner_id_number", "'***' = owner_id_number"},
		{"owner_name IS NOT NULL", "owner_name IS NOT NULL"},
		{"S_INTERSECTS(geom, POINT(106.9 11.5)) AND owner_name = 'x'", "(S_INTERSECTS(geom, POINT(106.9 11.5)) AND owner_name = '***')"},
	} {
		e, err := cql2.Parse(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		got, ok := maskPredicates(e, personal)
		if !ok || got.String() != tc.want {
			t.Errorf("%s: %v %v, want %s", tc.in, got, ok, tc.want)
		}
	}
}
