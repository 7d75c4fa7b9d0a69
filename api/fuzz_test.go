package api

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dongnai-gis/gisd/store"
)

// The query parameter parsers take any text from the internet. They must never panic, must answer
// an error a client can read (never empty, never the whole input echoed back), and what they
// accept must mean what it says. Run long with
//
//	go test -run '^$' -fuzz FuzzParseDatetime ./api
//	go test -run '^$' -fuzz FuzzParseSortBy ./api
//
// Seeds: testdata/fuzz/FuzzParseDatetime, testdata/fuzz/FuzzParseSortBy (and the f.Add calls).

func FuzzParseDatetime(f *testing.F) {
	for _, s := range []string{"2025-07-01", "2025-06-30T23:59:59Z", "2025-07-01T00:00:00+07:00", "2024-01-01/2025-01-01",
		"../2025-07-01", "2025-07-01/..", "/", "..", "2025-13-01", "2025-07-01/2024-01-01", "a/b/c", "2025-07-01T00:00:00.123456789Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseDatetime(s)
		if err != nil {
			checkMessage(t, s, err)
			return
		}
		if !r.Start.IsZero() && !r.End.IsZero() && r.Start.After(r.End) {
			t.Fatalf("parseDatetime(%q) = %v..%v: starts after it ends", s, r.Start, r.End)
		}
		if !strings.Contains(s, "/") && (r.Start.IsZero() || !r.Start.Equal(r.End)) {
			t.Fatalf("parseDatetime(%q) = %v..%v, want one instant", s, r.Start, r.End)
		}
		// What was accepted reads back the same: each end, written as RFC 3339, parses to the
		// same instant.
		for _, end := range []time.Time{r.Start, r.End} {
			if end.IsZero() {
				continue
			}
			again, err := parseDatetime(end.Format(time.RFC3339Nano))
			if err != nil || !again.Start.Equal(end) {
				t.Fatalf("parseDatetime(%q): end %v written as %q reads back as %v, %v", s, end, end.Format(time.RFC3339Nano), again.Start, err)
			}
		}
	})
}

// fuzzLayer is a layer with one attribute of each sortable type, a personal one and a geometry.
var fuzzLayer = &store.Layer{ID: "parcels", Storage: store.StorageTable, TableName: "parcels", Access: "public", Attributes: []store.Attribute{
	{Name: "commune_code", Type: "string", Visibility: store.VisibilityPublic},
	{Name: "sheet_no", Type: "integer", Visibility: store.VisibilityPublic},
	{Name: "official_area_m2", Type: "number", Visibility: store.VisibilityPublic},
	{Name: "permit_date", Type: "date", Visibility: store.VisibilityPublic},
	{Name: "land_use", Type: "json", Visibility: store.VisibilityPublic},
	{Name: "owner_name", Type: "string", Visibility: store.VisibilityPersonal},
}}

func FuzzParseSortBy(f *testing.F) {
	for _, s := range []string{"sheet_no", "-official_area_m2,+commune_code", "id", "geometry", "owner_name", "land_use",
		"sheet_no,sheet_no", "a,b,c,d,e,f,g", "", ",", "-", "+", " -sheet_no "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := parseSortBy(fuzzLayer, nil, s)
		if err != nil {
			checkMessage(t, s, err)
			return
		}
		if len(keys) == 0 || len(keys) > maxSortKeys {
			t.Fatalf("parseSortBy(%q) = %d keys", s, len(keys))
		}
		seen := map[string]bool{}
		for _, k := range keys {
			q, ok := fuzzLayer.Queryable(k.Property, nil)
			if !ok || k.Property == store.GeometryProperty || q.Attribute != nil && q.Attribute.Visibility != store.VisibilityPublic {
				t.Fatalf("parseSortBy(%q) sorts by %q, which an anonymous caller may not sort by", s, k.Property)
			}
			if seen[k.Property] {
				t.Fatalf("parseSortBy(%q) sorts by %q twice", s, k.Property)
			}
			seen[k.Property] = true
		}
		// The keys written back as a sortby parse to the same keys.
		var parts []string
		for _, k := range keys {
			parts = append(parts, map[bool]string{true: "-", false: "+"}[k.Desc]+k.Property)
		}
		again, err := parseSortBy(fuzzLayer, nil, strings.Join(parts, ","))
		if err != nil || !slices.Equal(again, keys) {
			t.Fatalf("parseSortBy(%q) = %v; written back as %q it reads %v, %v", s, keys, strings.Join(parts, ","), again, err)
		}
	})
}

// checkMessage fails unless err is a message fit for a client: not empty, valid UTF-8, and short
// (an input is quoted at most 80 bytes long).
func checkMessage(t *testing.T, in string, err error) {
	t.Helper()
	msg := err.Error()
	if msg == "" || !utf8.ValidString(msg) || len(msg) > 1000 {
		t.Fatalf("input %q: error message %q (%d bytes) is empty, not UTF-8 or too long", in, msg, len(msg))
	}
}
