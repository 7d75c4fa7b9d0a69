package cql2_test

import (
	"fmt"

	"github.com/dongnai-gis/gisd/cql2"
)

// columns is a minimal Resolver: in gisd the store builds one from a layer's queryable
// attributes.
type columns map[string]cql2.Column

func (c columns) Column(name string) (cql2.Column, error) {
	col, ok := c[name]
	if !ok {
		return cql2.Column{}, &cql2.Error{Kind: cql2.ErrProperty, Property: name, Msg: "unknown property " + name}
	}
	return col, nil
}

func Example() {
	e, err := cql2.Parse("main_use IN ('ONT', 'ODT') AND S_DWITHIN(geometry, POINT(106.89 11.535), 100)")
	if err != nil {
		fmt.Println(err)
		return
	}
	sql, args, err := cql2.Compile(e, columns{
		"main_use": {SQL: `p.main_use`, Type: cql2.TypeString},
		"geometry": {SQL: `p.geom`, Type: cql2.TypeGeometry, SRID: 4326},
	}, cql2.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e)
	fmt.Println(sql)
	fmt.Println(len(args), "bind parameters")
	// Output:
	// (main_use IN ('ONT', 'ODT') AND S_DWITHIN(geometry, POINT(106.89 11.535), 100, meters))
	// ((p.main_use IN ($1::text, $2::text)) AND (ST_DWithin(p.geom::geography, (SELECT ST_GeomFromWKB($3::bytea, $4::integer))::geography, $5::double precision) AND p.geom && ST_Expand((SELECT ST_GeomFromWKB($3::bytea, $4::integer)), $6::double precision, $7::double precision)))
	// 7 bind parameters
}

func ExampleParse_syntaxError() {
	_, err := cql2.Parse("main_use = 'CLN' AND area >")
	fmt.Println(err)
	// Output:
	// cql2: line 1, column 28: expected a property, a value or a function but found the end of the filter
}
