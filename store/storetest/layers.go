package storetest

import (
	"testing"

	"github.com/dongnai-gis/gisd/store"
)

// Layers are catalog entries mirroring the rows migration 000003 inserts (admin_units, parcels,
// constructions), plus a public generic point layer "wells" and a restricted generic layer
// "secret", for tests that need a catalog without a database (store.NewCatalog(Layers()...)).
// Each call returns fresh copies, which a test may change.
func Layers() []*store.Layer {
	pub := func(name, typ string) store.Attribute {
		return store.Attribute{Name: name, Type: typ, Visibility: store.VisibilityPublic}
	}
	return []*store.Layer{
		{ID: "admin_units", Storage: store.StorageTable, TableName: "admin_units", GeometryType: "MultiPolygon",
			Access: "public", MinZoom: 0, MaxZoom: 22, Temporal: &store.Temporal{Start: "valid_from", End: "valid_to"},
			Attributes: []store.Attribute{pub("code", "string"), pub("level", "string"), pub("name", "string"),
				pub("valid_from", "date"), pub("valid_to", "date"), pub("area_m2", "number")}},
		{ID: "parcels", Storage: store.StorageTable, TableName: "parcels", GeometryType: "MultiPolygon",
			Access: "public", MinZoom: 13, MaxZoom: 22,
			Attributes: []store.Attribute{pub("commune_code", "string"), pub("sheet_no", "integer"), pub("parcel_no", "integer"),
				pub("main_use", "string"), pub("land_use", "json"), pub("official_area_m2", "number"),
				{Name: "owner_name", Type: "string", Visibility: store.VisibilityPersonal},
				{Name: "owner_id_number", Type: "string", Visibility: store.VisibilityPersonal},
				{Name: "certificate_no", Type: "string", Visibility: store.VisibilityPersonal}}},
		{ID: "constructions", Storage: store.StorageTable, TableName: "constructions", GeometryType: "MultiPolygon",
			Access: "public", MinZoom: 15, MaxZoom: 22,
			Attributes: []store.Attribute{pub("kind", "string"), pub("storeys", "integer"), pub("height_m", "number"),
				{Name: "permit_issuer", Type: "string", Visibility: store.VisibilityRestricted}}},
		{ID: "wells", Storage: store.StorageGeneric, GeometryType: "Point", Access: "public", MinZoom: 10, MaxZoom: 22,
			Attributes: []store.Attribute{pub("depth", "number"), pub("drilled", "datetime"), pub("active", "boolean"), pub("meta", "json")}},
		{ID: "secret", Storage: store.StorageGeneric, GeometryType: "Geometry", Access: "restricted", MinZoom: 0, MaxZoom: 22},
	}
}

// Layer is the entry of Layers with the given id.
func Layer(tb testing.TB, id string) *store.Layer {
	tb.Helper()
	for _, l := range Layers() {
		if l.ID == id {
			return l
		}
	}
	tb.Fatalf("storetest: no test layer %s", id)
	return nil
}
