package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// The write rule lives in store, so every surface that writes gets it: a writer that says nothing
// about who is writing (a nil filter) may write public attributes only — a value for an owner
// field is ErrForbidden, a replace keeps them as stored.
func TestWriteFeature_NilFilterWritesPublicAttributesOnly(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	ctx := context.Background()
	l, ok := s.Catalog().Layer("parcels")
	if !ok {
		t.Fatal("no parcels layer")
	}
	geom := json.RawMessage(`{"type":"MultiPolygon","coordinates":[[[[106.89,11.53],[106.8902,11.53],[106.8902,11.5302],[106.89,11.5302],[106.89,11.53]]]]}`)
	props := func(extra map[string]any) map[string]any {
		p := map[string]any{"commune_code": "25195", "sheet_no": json.Number("3"), "parcel_no": json.Number("4"),
			"land_use": []any{map[string]any{"code": "ONT", "area": json.Number("300")}}}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	_, err := s.WriteFeature(ctx, "test", l, store.WriteCreate, 0, 0, store.FeatureInput{Geometry: geom, Properties: props(map[string]any{"owner_name": "Nguyễn Văn An"})}, nil)
	if !errors.Is(err, store.ErrForbidden) {
		t.Fatalf("create with an owner and no filter: %v, want ErrForbidden", err)
	}
	// A filter that allows everything (the land office) writes the owner.
	all := func(store.Attribute) bool { return true }
	res, err := s.WriteFeature(ctx, "test", l, store.WriteCreate, 0, 0, store.FeatureInput{Geometry: geom, Properties: props(map[string]any{"owner_name": "Nguyễn Văn An", "certificate_no": "CS 1"})}, all)
	if err != nil {
		t.Fatal(err)
	}
	for _, change := range []map[string]any{{"owner_name": nil}, {"certificate_no": "CS 2"}} {
		if _, err := s.WriteFeature(ctx, "test", l, store.WritePatch, res.ID, 0, store.FeatureInput{Properties: change}, nil); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("patch %v with no filter: %v, want ErrForbidden", change, err)
		}
	}
	if _, err := s.WriteFeature(ctx, "test", l, store.WriteReplace, res.ID, 0, store.FeatureInput{Geometry: geom, Properties: props(map[string]any{"address": "Ấp 3"})}, nil); err != nil {
		t.Fatal(err)
	}
	var owner, cert, addr string
	if err := storetest.DB(t, s).QueryRow(ctx, `SELECT owner_name, certificate_no, address FROM parcels WHERE id = $1`, res.ID).Scan(&owner, &cert, &addr); err != nil {
		t.Fatal(err)
	}
	if owner != "Nguyễn Văn An" || cert != "CS 1" || addr != "Ấp 3" {
		t.Errorf("after a replace with no filter: owner %q, certificate %q, address %q", owner, cert, addr)
	}
}
