package store

import (
	"slices"
	"testing"
	"unicode/utf8"
)

// Page cursors come back from clients: the OGC items cursor (base64 JSON of a position in a sort
// order) and the change feed's commit.sequence cursor. Decoding must never panic, must refuse
// anything this store did not write for the same sort order, and every cursor the store writes
// must read back as the same position. Run long with
//
//	go test -run '^$' -fuzz FuzzPageCursor ./store
//	go test -run '^$' -fuzz FuzzChangeCursor ./store
//
// Seeds: testdata/fuzz/FuzzPageCursor, testdata/fuzz/FuzzChangeCursor (and the f.Add calls).

func FuzzPageCursor(f *testing.F) {
	v := "25195"
	f.Add(pageCursor{Keys: []*string{&v}, ID: 12, Sort: "commune_code"}.encode(), "commune_code", false, "25195", int64(12))
	f.Add(pageCursor{Before: true, Keys: []*string{nil}, ID: 3, Sort: "-official_area_m2"}.encode(), "official_area_m2", true, "", int64(3))
	f.Add("eyJpIjoxfQ", "", false, "x", int64(1)) // {"i":1}
	f.Add("not base64!", "sheet_no", false, "1", int64(-1))
	f.Add("", "", false, "", int64(0))
	f.Fuzz(func(t *testing.T, s, prop string, desc bool, key string, id int64) {
		sort := []SortKey{}
		if prop != "" {
			sort = append(sort, SortKey{Property: prop, Desc: desc})
		}
		// Whatever a client sends: no panic, and an accepted cursor is for this sort order.
		if c, err := decodeCursor(s, sort); err == nil {
			if c.Sort != sortSpec(sort) || len(c.Keys) != len(sort) {
				t.Fatalf("decodeCursor(%q, %v) accepted a cursor of sort %q with %d keys", s, sort, c.Sort, len(c.Keys))
			}
			again, err := decodeCursor(c.encode(), sort)
			if err != nil || !sameCursor(again, c) {
				t.Fatalf("decodeCursor(%q) = %+v; encoded again it reads %+v, %v", s, c, again, err)
			}
		} else if !isCursorError(err) {
			t.Fatalf("decodeCursor(%q): %v is not ErrCursor", s, err)
		}
		// What the store writes reads back as the same position, and only for its own order.
		// (Its key values are PostgreSQL text and its properties catalog names: valid UTF-8.)
		if !utf8.ValidString(key) || !utf8.ValidString(prop) {
			return
		}
		keys := make([]*string, len(sort))
		if len(sort) > 0 && key != "" {
			keys[0] = &key
		}
		c := pageCursor{Before: desc, Keys: keys, ID: id, Sort: sortSpec(sort)}
		got, err := decodeCursor(c.encode(), sort)
		if len(c.encode()) <= 4*8192/3 && (err != nil || !sameCursor(got, c)) {
			t.Fatalf("cursor %+v reads back as %+v, %v", c, got, err)
		}
		other := append(slices.Clone(sort), SortKey{Property: prop + "_other"})
		if _, err := decodeCursor(c.encode(), other); err == nil {
			t.Fatalf("a cursor for sort %v is accepted for sort %v", sort, other)
		}
	})
}

func sameCursor(a, b pageCursor) bool {
	return a.Before == b.Before && a.ID == b.ID && a.Sort == b.Sort &&
		slices.EqualFunc(a.Keys, b.Keys, func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) })
}

func isCursorError(err error) bool {
	for e := err; e != nil; {
		if e == ErrCursor {
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

func FuzzChangeCursor(f *testing.F) {
	for _, s := range []string{"0", "", "1.1", "12.345", "2.60521", "0.1", "1.0", "-1.5", "1.2.3", "9223372036854775807.1",
		"9223372036854775808.1", "1e3.1", " 1.1", "1.1 ", "+1.1", "0x10.1", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseChangeCursor(s)
		if err != nil {
			if c != (ChangeCursor{}) {
				t.Fatalf("ParseChangeCursor(%q) failed but returned %+v", s, c)
			}
			return
		}
		if s == "" || s == "0" {
			if c != (ChangeCursor{}) {
				t.Fatalf("ParseChangeCursor(%q) = %+v, want the start of the feed", s, c)
			}
			return
		}
		if c.Commit < 1 || c.Seq < 1 {
			t.Fatalf("ParseChangeCursor(%q) = %+v: not a position the feed can have", s, c)
		}
		again, err := ParseChangeCursor(c.String())
		if err != nil || again != c {
			t.Fatalf("ParseChangeCursor(%q) = %+v; written as %q it reads %+v, %v", s, c, c.String(), again, err)
		}
	})
}
