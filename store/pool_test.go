package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// A database without PostGIS is refused at Open, with an error that says so, instead of failing
// later on the first spatial query; once PostGIS is there, the same database opens.
func TestOpen_RefusesDatabaseWithoutPostGIS(t *testing.T) {
	ctx := context.Background()
	u := storetest.Empty(t)
	st, err := store.Open(ctx, store.Config{URL: u, MaxConns: 1})
	if err == nil {
		st.Close()
		t.Fatal("Open on a database without PostGIS succeeded")
	}
	if !errors.Is(err, store.ErrNoPostGIS) || !strings.Contains(err.Error(), "PostGIS") {
		t.Errorf("err = %v, want ErrNoPostGIS naming PostGIS", err)
	}
	if _, err := storetest.Pool(t, u).Exec(ctx, `CREATE EXTENSION postgis`); err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(ctx, store.Config{URL: u, MaxConns: 1})
	if err != nil {
		t.Fatalf("Open after CREATE EXTENSION postgis: %v", err)
	}
	st.Close()
}
