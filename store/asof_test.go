package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/store/storetest"
)

// The demo's parcels changed owner on 2024-03-15 and some became residential on 2025-09-01:
// as of 2024-01-01 the layer shows the first versions, as of today the current ones, and the
// number of parcels is the same at both dates.
func TestAsOfRelation_Demo(t *testing.T) {
	s := storetest.Store(t, storetest.Demo(t))
	l, ok := s.Catalog().Layer("parcels")
	if !ok {
		t.Fatal("no parcels layer")
	}
	ctx := context.Background()
	count := func(at time.Time, where string) int {
		t.Helper()
		var n int
		if err := storetest.DB(t, s).QueryRow(ctx, `SELECT count(*) FROM `+l.AsOfRelationForTest("$1")+` p `+where, at).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	then := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Now()
	var current int
	storetest.DB(t, s).QueryRow(ctx, `SELECT count(*) FROM parcels`).Scan(&current)
	if got := count(then, ""); got != current {
		t.Errorf("parcels as of 2024-01-01: %d, want %d", got, current)
	}
	if got := count(then, "WHERE version > 1"); got != 0 {
		t.Errorf("%d parcels had a second version before any change was made", got)
	}
	if got := count(now, "WHERE version > 1"); got < 500 {
		t.Errorf("only %d changed parcels today", got)
	}
	if got := count(time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), ""); got != 0 {
		t.Errorf("%d parcels before the survey", got)
	}
}
