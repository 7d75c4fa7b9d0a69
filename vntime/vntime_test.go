package vntime

import (
	"testing"
	"time"
)

func TestDate(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		// 17:00 UTC is midnight in Vietnam: the next day begins.
		{time.Date(2025, 6, 30, 16, 59, 59, 0, time.UTC), "2025-06-30"},
		{time.Date(2025, 6, 30, 17, 0, 0, 0, time.UTC), "2025-07-01"},
		{time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("", -10*3600)), "2025-01-01"},
	} {
		if got := Date(tc.at); got != tc.want {
			t.Errorf("Date(%v) = %s, want %s", tc.at, got, tc.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	d, err := ParseDate("2025-07-01")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2025, 6, 30, 17, 0, 0, 0, time.UTC); !d.Equal(want) {
		t.Errorf("ParseDate(2025-07-01) = %v, want %v (midnight in Vietnam)", d.UTC(), want)
	}
	if got := Date(d.AddDate(0, 0, 1)); got != "2025-07-02" {
		t.Errorf("the day after: %s", got)
	}
	for _, bad := range []string{"", "2025-02-29", "2025-7-1", "2025-07-01T00:00:00Z", "yesterday", "20250701", " 2025-07-01", "2025-07-01 "} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	if _, err := ParseDate("2024-02-29"); err != nil {
		t.Errorf("leap day: %v", err)
	}
}
