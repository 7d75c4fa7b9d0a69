package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/store"
)

// The OpenAPI 3.0 document at /ogc/api. It is built from the live catalog, so every collection
// has its own paths declaring exactly the parameters its /items accepts: the standard ones, its
// queryable properties, and datetime only where the layer has time. (OGC API – Features allows
// the generic /collections/{collectionId}/items form, but then the per-collection queryables and
// the unknown-parameter rule could not be expressed.) Paths are relative to the landing page
// (/ogc) as clients such as GDAL expect; the domain queries under /api/v1 override the server.

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": name} }

func paramRef(name string) obj { return ref("#/components/parameters/" + name) }

func jsonContent(schema obj) obj {
	return obj{mediaJSON: obj{"schema": schema}}
}

// problemResponses are the error answers an operation may give, by status: each is a problem
// (see errorTable), described once in components.
var problemResponses = map[int]struct{ name, description string }{
	400: {"BadRequest", "The request is malformed: a parameter is invalid or unknown (invalid-params names it), or the body does not parse."},
	401: {"Unauthorized", "An API key is needed, or the one presented is not valid."},
	403: {"Forbidden", "The API key lacks the scope."},
	404: {"NotFound", "No such resource (or one the caller may not see)."},
	409: {"Conflict", "The change conflicts with data already there."},
	412: {"PreconditionFailed", "If-Match does not name the feature's current version."},
	413: {"TooLarge", "The body is larger than the limit."},
	415: {"UnsupportedMediaType", "The body's media type or encoding is not supported."},
	422: {"InvalidContent", "The body is well-formed but its content is refused (invalid geometry, unknown property, a value the data's rules refuse)."},
	428: {"PreconditionRequired", "A write to an existing feature must send If-Match."},
	500: {"ServerError", "The server failed; the request id is logged."},
	503: {"Unavailable", "The database is unavailable, the data is locked or the query took too long; retry after Retry-After seconds."},
}

// standardResponses are an operation's answers: 200 ok and the problems of codes (500 always).
func standardResponses(ok obj, codes ...int) obj { return responses("200", ok, codes...) }

// responses are an operation's answers: success with ok, and the problems of codes (500 always).
func responses(success string, ok obj, codes ...int) obj {
	r := obj{success: ok}
	for _, c := range append(codes, 500) {
		r[strconv.Itoa(c)] = ref("#/components/responses/" + problemResponses[c].name)
	}
	return r
}

func queryParam(name, description string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "description": description, "schema": schema}
}

func requiredQuery(name, description string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": true, "description": description, "schema": schema}
}

func pathParam(name, description string, schema obj) obj {
	return obj{"name": name, "in": "path", "required": true, "description": description, "schema": schema}
}

// openAPIComponents are the shared parameters, schemas and responses.
func openAPIComponents() obj {
	crsEnum := crsURIs()
	csv := func(item obj, min, max int) obj {
		s := obj{"type": "array", "items": item}
		if min > 0 {
			s["minItems"] = min
		}
		if max > 0 {
			s["maxItems"] = max
		}
		return s
	}
	formParam := func(name, description string, schema obj) obj {
		p := queryParam(name, description, schema)
		p["style"], p["explode"] = "form", false
		return p
	}
	params := obj{
		"f":         queryParam("f", "The encoding of the answer; JSON is the only one (and the default).", obj{"type": "string", "enum": []string{"json"}, "default": "json"}),
		"fFeatures": queryParam("f", "The encoding of the answer: GeoJSON (the default).", obj{"type": "string", "enum": []string{"json", "geojson"}, "default": "json"}),
		"limit": formParam("limit", "The most features to return in one page. Larger values are refused (400).",
			obj{"type": "integer", "minimum": 1, "maximum": store.MaxFeatureLimit, "default": defaultItemsLimit}),
		"bbox": formParam("bbox", "Only features intersecting the box minx,miny,maxx,maxy (or with heights minx,miny,minz,maxx,maxy,maxz, heights ignored), "+
			"in bbox-crs (default CRS84, lon/lat; with EPSG:4326 the order is lat,lon).", csv(obj{"type": "number"}, 4, 6)),
		"bbox-crs": queryParam("bbox-crs", "The CRS of bbox (OGC API – Features Part 2).", obj{"type": "string", "format": "uri", "enum": crsEnum, "default": crsEnum[0]}),
		"crs":      queryParam("crs", "The CRS of the returned geometries (Part 2); echoed in the Content-Crs header. EPSG:4326 coordinates are lat,lon.", obj{"type": "string", "format": "uri", "enum": crsEnum, "default": crsEnum[0]}),
		"datetime": queryParam("datetime", "Only features whose valid time intersects this instant or interval: a date (2025-07-01, a day in Vietnam), "+
			"an RFC 3339 timestamp, or start/end with .. for an open end.", obj{"type": "string"}),
		"filter": queryParam("filter", "A CQL2 filter (Part 3) on the queryables of the collection: comparisons, LIKE, BETWEEN, IN, IS NULL, AND/OR/NOT, "+
			"CASEI, ACCENTI and S_INTERSECTS, S_WITHIN, S_CONTAINS, S_DWITHIN(geometry, g, metres) and the other spatial functions. "+
			"Syntax errors are answered 400 with their position.", obj{"type": "string", "maxLength": maxFilterBytes}),
		"filter-lang": queryParam("filter-lang", "The encoding of filter. cql-text, the name of the text encoding in drafts of CQL2 that GDAL up to 3.6 sends, is read as cql2-text.",
			obj{"type": "string", "enum": []string{"cql2-text", "cql2-json", "cql-text"}, "default": "cql2-text"}),
		"filter-crs": queryParam("filter-crs", "The CRS of geometry literals in filter.", obj{"type": "string", "format": "uri", "enum": crsEnum, "default": crsEnum[0]}),
		"sortby": formParam("sortby", "Sort by these queryables, each optionally prefixed with + (ascending, the default) or - (descending); ties are broken by id.",
			csv(obj{"type": "string", "pattern": `^[+-]?[A-Za-z_][A-Za-z0-9_]*$`}, 1, maxSortKeys)),
		"properties": formParam("properties", "Return only these properties (empty: none).", csv(obj{"type": "string"}, 0, 0)),
		"cursor":     queryParam("cursor", "An opaque page position; use the next and prev links rather than building it.", obj{"type": "string"}),
		"resultType": queryParam("resultType", "hits returns only numberMatched (as WFS did; GDAL asks for it).", obj{"type": "string", "enum": []string{"results", "hits"}, "default": "results"}),
		"featureId":  pathParam("featureId", "The id of a feature.", obj{"type": "integer", "format": "int64"}),
		"ifMatch": obj{"name": "If-Match", "in": "header", "required": true, "schema": obj{"type": "string"},
			"description": "The ETag of the version being changed (from GET), or * to change whatever is there."},
		"contentCrs": obj{"name": "Content-Crs", "in": "header", "required": false, "schema": obj{"type": "string"},
			"description": "The CRS of the body's geometry, as <URI> (default CRS84)."},
	}
	link := obj{"type": "object", "required": []string{"href", "rel"}, "properties": obj{
		"href": obj{"type": "string", "format": "uri"}, "rel": obj{"type": "string"},
		"type": obj{"type": "string"}, "title": obj{"type": "string"}}}
	links := obj{"type": "array", "items": ref("#/components/schemas/link")}
	geometry := obj{"type": "object", "required": []string{"type"}, "properties": obj{
		"type":        obj{"type": "string", "enum": []string{"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}},
		"coordinates": obj{"type": "array", "items": obj{}}, "geometries": obj{"type": "array", "items": ref("#/components/schemas/geometryGeoJSON")}}}
	feature := obj{"type": "object", "required": []string{"type", "geometry", "properties"}, "properties": obj{
		"type": obj{"type": "string", "enum": []string{"Feature"}}, "id": obj{"type": "integer", "format": "int64"},
		"geometry": ref("#/components/schemas/geometryGeoJSON"), "properties": obj{"type": "object", "nullable": true},
		"links": links}}
	schemas := obj{
		"link":            link,
		"geometryGeoJSON": geometry,
		"featureGeoJSON":  feature,
		"featureCollectionGeoJSON": obj{"type": "object", "required": []string{"type", "features"}, "properties": obj{
			"type": obj{"type": "string", "enum": []string{"FeatureCollection"}}, "features": obj{"type": "array", "items": ref("#/components/schemas/featureGeoJSON")},
			"links": links, "timeStamp": obj{"type": "string", "format": "date-time"},
			"numberMatched": obj{"type": "integer", "minimum": 0}, "numberReturned": obj{"type": "integer", "minimum": 0}}},
		"landingPage": obj{"type": "object", "required": []string{"links"}, "properties": obj{
			"title": obj{"type": "string"}, "description": obj{"type": "string"}, "links": links}},
		"confClasses": obj{"type": "object", "required": []string{"conformsTo"}, "properties": obj{
			"conformsTo": obj{"type": "array", "items": obj{"type": "string"}}}},
		"collection": obj{"type": "object", "required": []string{"id", "links"}, "properties": obj{
			"id": obj{"type": "string"}, "title": obj{"type": "string"}, "description": obj{"type": "string"},
			"itemType": obj{"type": "string"}, "links": links, "extent": obj{"type": "object"},
			"crs": obj{"type": "array", "items": obj{"type": "string"}}, "storageCrs": obj{"type": "string"}}},
		"collections": obj{"type": "object", "required": []string{"links", "collections"}, "properties": obj{
			"links": links, "collections": obj{"type": "array", "items": ref("#/components/schemas/collection")}}},
		"queryables": obj{"type": "object", "properties": obj{"properties": obj{"type": "object"}}},
		"problem": obj{"type": "object", "required": []string{"title", "status"}, "properties": obj{
			"type": obj{"type": "string"}, "title": obj{"type": "string"}, "status": obj{"type": "integer"},
			"detail": obj{"type": "string"}, "instance": obj{"type": "string"}, "request_id": obj{"type": "string"},
			"invalid-params": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
				"name": obj{"type": "string"}, "reason": obj{"type": "string"}}}}}},
		"anyJSON": obj{"type": "object"},
	}
	problemResponse := func(description string) obj {
		return obj{"description": description, "content": obj{problemContentType: obj{"schema": ref("#/components/schemas/problem")}}}
	}
	responses := obj{}
	for _, r := range problemResponses {
		responses[r.name] = problemResponse(r.description)
	}
	return obj{"parameters": params, "schemas": schemas, "responses": responses}
}

// queryableSchema is the OpenAPI schema of a queryable given as a query parameter.
func queryableSchema(q store.Queryable) obj {
	switch q.Type {
	case cql2.TypeInteger:
		return obj{"type": "integer", "format": "int64"}
	case cql2.TypeNumber:
		return obj{"type": "number"}
	case cql2.TypeBoolean:
		return obj{"type": "boolean"}
	case cql2.TypeDate:
		return obj{"type": "string", "format": "date"}
	case cql2.TypeTimestamp:
		return obj{"type": "string", "format": "date-time"}
	}
	return obj{"type": "string"}
}

// withBody adds a request body to an operation.
func withBody(o obj, body obj) obj {
	o["requestBody"] = body
	return o
}

func op(summary, opID string, tags []string, params []any, responses obj) obj {
	o := obj{"summary": summary, "operationId": opID, "tags": tags, "responses": responses}
	if len(params) > 0 {
		o["parameters"] = params
	}
	return o
}

// openAPIDocument builds the document for the current catalog with links under base, as the
// caller who sees it: the collections it may read and the queryables it may name.
func (s *Server) openAPIDocument(base string, who *Principal) obj {
	ogcTag := []string{"OGC API – Features"}
	okJSON := func(description, schema string) obj {
		return obj{"description": description, "content": jsonContent(ref("#/components/schemas/" + schema))}
	}
	okGeoJSON := func(description, schema string) obj {
		return obj{"description": description, "content": obj{mediaGeoJSON: obj{"schema": ref("#/components/schemas/" + schema)}},
			"headers": obj{"Content-Crs": obj{"description": "The CRS of the geometries, as <URI>.", "schema": obj{"type": "string"}}}}
	}
	okAny := func(description string) obj {
		return obj{"description": description, "content": jsonContent(ref("#/components/schemas/anyJSON"))}
	}
	created := obj{"description": "Created: Location names the new feature, ETag its version.",
		"headers": obj{"Location": obj{"schema": obj{"type": "string"}}, "ETag": obj{"schema": obj{"type": "string"}}},
		"content": jsonContent(ref("#/components/schemas/anyJSON"))}
	noContent := obj{"description": "Done."}
	writeResponses := responses("204", obj{"description": "Written; ETag is the new version.",
		"headers": obj{"ETag": obj{"schema": obj{"type": "string"}}}}, 400, 401, 403, 404, 412, 413, 415, 422, 428, 503)
	featureBody := obj{"required": true, "content": obj{mediaGeoJSON: obj{"schema": ref("#/components/schemas/featureGeoJSON")},
		"application/merge-patch+json": obj{"schema": ref("#/components/schemas/featureGeoJSON")}}}
	paths := obj{
		"/": obj{"get": op("Landing page", "getLandingPage", ogcTag, []any{paramRef("f")},
			standardResponses(okJSON("Links to the API definition, the conformance classes and the collections.", "landingPage"), 400))},
		"/conformance": obj{"get": op("Conformance classes", "getConformance", ogcTag, []any{paramRef("f")},
			standardResponses(okJSON("The conformance classes implemented.", "confClasses"), 400))},
		"/api": obj{"get": op("This API definition", "getAPI", ogcTag, []any{paramRef("f")},
			standardResponses(obj{"description": "The OpenAPI 3.0 document.", "content": obj{mediaOpenAPI: obj{"schema": ref("#/components/schemas/anyJSON")}}}))},
		"/collections": obj{"get": op("The feature collections", "getCollections", ogcTag, []any{paramRef("f")},
			standardResponses(okJSON("Every public layer as a collection.", "collections"), 400))},
	}
	for _, l := range who.ReadableLayers(s.store.Catalog()) {
		p := "/collections/" + l.ID
		tags := []string{"Collection " + l.ID}
		paths[p] = obj{"get": op("The collection "+l.ID+": "+l.Title, "describeCollection_"+l.ID, tags, []any{paramRef("f")},
			standardResponses(okJSON("Extent, CRSs and links of "+l.ID+".", "collection"), 400, 404))}
		paths[p+"/queryables"] = obj{"get": op("Queryable properties of "+l.ID, "getQueryables_"+l.ID, tags, []any{paramRef("f")},
			standardResponses(obj{"description": "A JSON Schema of the properties filter and sortby may name.",
				"content": obj{mediaJSONSchema: obj{"schema": ref("#/components/schemas/queryables")}}}, 400, 404))}
		params := []any{paramRef("fFeatures"), paramRef("limit"), paramRef("bbox"), paramRef("bbox-crs"), paramRef("crs")}
		if l.Temporal != nil {
			params = append(params, paramRef("datetime"))
		}
		params = append(params, paramRef("filter"), paramRef("filter-lang"), paramRef("filter-crs"), paramRef("sortby"),
			paramRef("properties"), paramRef("cursor"), paramRef("resultType"))
		for _, q := range queryParamQueryables(l, who.Attributes(l)) {
			params = append(params, queryParam(q.Name, "Only features whose "+q.Name+" equals this value ("+q.Title+").", queryableSchema(q)))
		}
		paths[p+"/items"] = obj{
			"get": op("Features of "+l.ID, "getFeatures_"+l.ID, tags, params,
				standardResponses(okGeoJSON("A page of features, with next and prev links.", "featureCollectionGeoJSON"), 400, 404, 503)),
			"post": withBody(op("Create a feature of "+l.ID+" (write scope)", "createFeature_"+l.ID, tags, []any{paramRef("contentCrs")},
				responses("201", created, 400, 401, 403, 404, 413, 415, 422, 503)), featureBody),
		}
		paths[p+"/items/{featureId}"] = obj{
			"get": op("One feature of "+l.ID, "getFeature_"+l.ID, tags,
				[]any{paramRef("featureId"), paramRef("fFeatures"), paramRef("crs"), paramRef("properties")},
				standardResponses(okGeoJSON("The feature.", "featureGeoJSON"), 400, 404, 503)),
			"put": withBody(op("Replace a feature of "+l.ID+" (write scope)", "replaceFeature_"+l.ID, tags,
				[]any{paramRef("featureId"), paramRef("ifMatch"), paramRef("contentCrs")}, writeResponses), featureBody),
			"patch": withBody(op("Change some properties or the geometry of a feature of "+l.ID+" (write scope)", "updateFeature_"+l.ID, tags,
				[]any{paramRef("featureId"), paramRef("ifMatch"), paramRef("contentCrs")}, writeResponses), featureBody),
			"delete": op("Delete a feature of "+l.ID+" (write scope)", "deleteFeature_"+l.ID, tags,
				[]any{paramRef("featureId"), paramRef("ifMatch")}, responses("204", noContent, 400, 401, 403, 404, 412, 428, 503)),
		}
		paths[p+"/items/{featureId}/history"] = obj{"get": op("Every version of a feature of "+l.ID+", oldest first", "getFeatureHistory_"+l.ID, tags,
			[]any{paramRef("featureId"), paramRef("f")}, standardResponses(okAny("The versions, with who wrote each and when."), 400, 404, 503))}
	}
	for k, v := range domainPaths(base) {
		paths[k] = v
	}
	for k, v := range servicePaths(base) {
		paths[k] = v
	}
	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "gisd — shared GIS of the province",
			"version":     "1.0.0",
			"description": "OGC API – Features Parts 1, 2 and 3 over the shared layers, and the domain queries land and construction offices ask.",
			"license":     obj{"name": "Open data of the provincial GIS"},
		},
		"servers": []obj{{"url": base + "/ogc", "description": "OGC API – Features"}},
		"tags": []obj{{"name": "OGC API – Features"}, {"name": "Domain queries"}, {"name": "Vector tiles"}, {"name": "Catalog"},
			{"name": "Imports"}, {"name": "Change feed, keys and audit"}, {"name": "Web map"}, {"name": "Operations"}},
		"paths":      paths,
		"components": withSecuritySchemes(openAPIComponents()),
		// Every operation may be called anonymously (an empty requirement) or with a credential;
		// which scope an operation needs is in its description and its 401/403 answers.
		"security": []obj{{}, {"bearer": []string{}}, {"basic": []string{}}, {"apiKey": []string{}}},
	}
}

// domainPaths declares the /api/v1 domain queries (served at the site root, not under /ogc).
func domainPaths(base string) obj {
	root := []obj{{"url": base}}
	tag := []string{"Domain queries"}
	ok := obj{"description": "The answer.", "content": jsonContent(ref("#/components/schemas/anyJSON"))}
	lon := queryParam("lon", "Longitude, WGS 84 (-180..180).", obj{"type": "number", "minimum": -180, "maximum": 180})
	lat := queryParam("lat", "Latitude, WGS 84 (-90..90).", obj{"type": "number", "minimum": -90, "maximum": 90})
	reqLon := requiredQuery("lon", "Longitude, WGS 84 (-180..180).", obj{"type": "number", "minimum": -180, "maximum": 180})
	reqLat := requiredQuery("lat", "Latitude, WGS 84 (-90..90).", obj{"type": "number", "minimum": -90, "maximum": 90})
	date := queryParam("date", "The date (YYYY-MM-DD) whose administrative units apply; default today.", obj{"type": "string", "format": "date"})
	layer := pathParam("layer", "A layer id from /api/v1/layers.", obj{"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"})
	with := func(method string, o obj) obj {
		return obj{"servers": root, method: o}
	}
	return obj{
		"/api/v1/parcels/at": with("get", op("Parcels containing a point, with their commune, district and province",
			"parcelsAt", tag, []any{lon, lat,
				queryParam("x", "Easting in srid (instead of lon).", obj{"type": "number"}),
				queryParam("y", "Northing in srid (instead of lat).", obj{"type": "number"}),
				queryParam("srid", "EPSG code of x,y, e.g. 9212 (VN-2000 / TM-3 106-15) or 5899.", obj{"type": "integer"}),
				date}, standardResponses(ok, 400))),
		"/api/v1/parcels/{commune}/{sheet}/{parcel}": with("get", op("A parcel by its cadastral key", "parcelByKey", tag, []any{
			pathParam("commune", "Commune code (5 digits).", obj{"type": "string", "pattern": "^[0-9]{5}$"}),
			pathParam("sheet", "Map sheet number.", obj{"type": "integer", "minimum": 1}),
			pathParam("parcel", "Parcel number on the sheet.", obj{"type": "integer", "minimum": 1})},
			standardResponses(ok, 400, 404))),
		"/api/v1/parcels/{commune}/{sheet}/{parcel}/extract.pdf": with("get", op("The parcel extract (trích lục thửa đất): an A4 PDF with the parcel, its neighbours, a VN-2000 corner table; the owner only with the personal scope",
			"parcelExtract", tag, []any{
				pathParam("commune", "Commune code (5 digits).", obj{"type": "string", "pattern": "^[0-9]{5}$"}),
				pathParam("sheet", "Map sheet number.", obj{"type": "integer", "minimum": 1}),
				pathParam("parcel", "Parcel number on the sheet.", obj{"type": "integer", "minimum": 1}),
				queryParam("date", "The parcel as recorded at the end of this day (YYYY-MM-DD, not in the future); default today.", obj{"type": "string", "format": "date"})},
			standardResponses(obj{"description": "The extract.", "content": obj{"application/pdf": obj{"schema": obj{"type": "string", "format": "binary"}}}}, 400, 404))),
		"/api/v1/admin-units/at": with("get", op("Administrative units containing a point on a date", "adminUnitsAt", tag,
			[]any{reqLon, reqLat, date}, standardResponses(ok, 400))),
		"/api/v1/layers/{layer}/nearby": with("get", op("Features within a distance (metres, on the ellipsoid), nearest first", "nearby", tag,
			[]any{layer, reqLon, reqLat,
				requiredQuery("radius_m", "Radius in metres (0 < radius ≤ "+strconv.Itoa(store.MaxNearbyRadius)+").",
					obj{"type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": store.MaxNearbyRadius}),
				queryParam("limit", "At most this many features.", obj{"type": "integer", "minimum": 1, "maximum": store.MaxNearbyLimit, "default": defaultNearbyLimit})},
			standardResponses(ok, 400, 404))),
		"/api/v1/layers/{layer}/nearest": with("get", op("The k nearest features (index KNN, exact distance)", "nearest", tag,
			[]any{layer, reqLon, reqLat,
				queryParam("k", "How many.", obj{"type": "integer", "minimum": 1, "maximum": store.MaxNearestK, "default": defaultNearestK})},
			standardResponses(ok, 400, 404))),
		"/api/v1/query/intersects": with("post", obj{"summary": "Features of each layer a geometry touches, with the overlap area in m²",
			"operationId": "intersects", "tags": tag,
			"requestBody": obj{"required": true, "content": jsonContent(obj{"type": "object", "required": []string{"geometry"}, "properties": obj{
				"geometry": ref("#/components/schemas/geometryGeoJSON"),
				"crs":      obj{"type": "string", "description": "CRS of the geometry (default CRS84), e.g. EPSG:9212."},
				"buffer_m": obj{"type": "number", "minimum": 0, "maximum": store.MaxBuffer},
				"layers":   obj{"type": "array", "items": obj{"type": "string"}},
				"limit":    obj{"type": "integer", "minimum": 1, "maximum": store.MaxIntersectRows}}})},
			"responses": standardResponses(ok, 400)}),
		"/api/v1/constructions/{id}/parcels": with("get", op("Parcels under a construction's footprint, with the overlap in m² and as a share", "constructionParcels", tag,
			[]any{pathParam("id", "Construction id.", obj{"type": "integer", "format": "int64"})}, standardResponses(ok, 400, 404))),
		"/api/v1/stats/land-use": with("get", op("Count and official area by land-use code within an administrative unit", "landUseStats", tag,
			[]any{requiredQuery("admin", "Administrative unit code (2, 3 or 5 digits).", obj{"type": "string", "pattern": "^[0-9]{2}([0-9]|[0-9]{3})?$"}), date},
			standardResponses(ok, 400, 404))),
	}
}

func (s *Server) ogcAPI(c *gin.Context) {
	q, ok := onlyParams(c, oneOf("f"))
	if !ok || !checkFormat(c, q, false) {
		return
	}
	c.Header("Content-Type", mediaOpenAPI)
	c.PureJSON(http.StatusOK, s.openAPIDocument(baseURL(c, s.cfg.PublicURL), principal(c)))
}
