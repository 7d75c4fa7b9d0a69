// Package cql2test gives packages that produce cql2 trees (the FES parser, the OGC services)
// a resolver for their tests, shaped like the parcels layer of the catalog: the public
// attributes are queryable, the personal ones and the json land_use are refused the way the
// store refuses them, and geometry is stored in EPSG:4326.
//
// It is for tests only and imports nothing but cql2.
package cql2test

import "github.com/dongnai-gis/gisd/cql2"

// Resolver maps property names to columns of a table aliased "t".
type Resolver struct {
	Columns map[string]cql2.Column
	// Personal names attributes that exist but that the caller may not filter on.
	Personal map[string]bool
}

// Column implements cql2.Resolver.
func (r Resolver) Column(name string) (cql2.Column, error) {
	if c, ok := r.Columns[name]; ok {
		return c, nil
	}
	if r.Personal[name] {
		return cql2.Column{}, &cql2.Error{Kind: cql2.ErrProperty, Property: name,
			Msg: name + " is personal data; filtering on it needs a key with the parcels:personal scope"}
	}
	return cql2.Column{}, &cql2.Error{Kind: cql2.ErrProperty, Property: name, Msg: "unknown property " + name}
}

// Parcels resolves the parcels layer: id, commune_code, sheet_no, parcel_no, main_use,
// official_area_m2, legal_area_m2, address, valid_from (date), updated_at (timestamp), active
// (boolean) and geometry; owner_name, owner_id_number and certificate_no are personal.
func Parcels() Resolver {
	col := func(name string, t cql2.Type) cql2.Column {
		return cql2.Column{SQL: `"t"."` + name + `"`, Type: t}
	}
	return Resolver{
		Columns: map[string]cql2.Column{
			"id":               col("id", cql2.TypeInteger),
			"commune_code":     col("commune_code", cql2.TypeString),
			"sheet_no":         col("sheet_no", cql2.TypeInteger),
			"parcel_no":        col("parcel_no", cql2.TypeInteger),
			"main_use":         col("main_use", cql2.TypeString),
			"official_area_m2": col("official_area_m2", cql2.TypeNumber),
			"legal_area_m2":    col("legal_area_m2", cql2.TypeNumber),
			"address":          col("address", cql2.TypeString),
			"valid_from":       col("valid_from", cql2.TypeDate),
			"updated_at":       col("updated_at", cql2.TypeTimestamp),
			"active":           col("active", cql2.TypeBoolean),
			"geometry":         {SQL: `"t"."geom"`, Type: cql2.TypeGeometry, SRID: 4326},
		},
		Personal: map[string]bool{"owner_name": true, "owner_id_number": true, "certificate_no": true},
	}
}
