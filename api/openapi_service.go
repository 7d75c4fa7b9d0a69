package api

import (
	"strconv"

	"github.com/dongnai-gis/gisd/geo"
)

// servicePaths declares the routes outside OGC API – Features and the domain queries: operations,
// the catalog, vector tiles, imports, the change feed, keys and the audit log, and what the web
// pages read. Like the domain queries they are served at the site root, not under /ogc.
func servicePaths(base string) obj {
	root := []obj{{"url": base}}
	at := func(ops obj) obj {
		ops["servers"] = root
		return ops
	}
	okJSON := func(description string) obj {
		return obj{"description": description, "content": jsonContent(ref("#/components/schemas/anyJSON"))}
	}
	okAs := func(description, media string, schema obj) obj {
		return obj{"description": description, "content": obj{media: obj{"schema": schema}}}
	}
	ops := []string{"Operations"}
	catalog := []string{"Catalog"}
	tilesTag := []string{"Vector tiles"}
	imports := []string{"Imports"}
	sharing := []string{"Change feed, keys and audit"}
	pages := []string{"Web map"}

	layer := pathParam("layer", "A layer id from /api/v1/layers.", obj{"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"})
	id := func(what string) obj {
		return pathParam("id", what, obj{"type": "integer", "format": "int64", "minimum": 1})
	}
	boolean := func(name, description string) obj { return queryParam(name, description, obj{"type": "boolean"}) }
	limit := func(max, def int) obj {
		return queryParam("limit", "At most this many.", obj{"type": "integer", "minimum": 1, "maximum": max, "default": def})
	}
	date := queryParam("date", "A date, YYYY-MM-DD; default today (in Vietnam).", obj{"type": "string", "format": "date"})

	tileParams := func(withTile bool) []any {
		p := []any{pathParam("layers", "Comma-separated layer ids; each becomes one MVT layer.", obj{"type": "string"})}
		if withTile {
			p = append(p,
				pathParam("z", "Zoom, 0–22.", obj{"type": "integer", "minimum": 0, "maximum": 22}),
				pathParam("x", "Column.", obj{"type": "integer", "minimum": 0}),
				pathParam("y", "Row.", obj{"type": "integer", "minimum": 0}))
		}
		return append(p, date,
			paramRef("filter"), paramRef("filter-lang"), paramRef("filter-crs"))
	}
	mvt := obj{"description": "The tile, gzip-compressed when accepted; ETag for If-None-Match.",
		"content": obj{mvtContentType: obj{"schema": obj{"type": "string", "format": "binary"}}}}
	tile := func(id string) obj {
		r := responses("200", mvt, 400, 404, 503)
		r["204"] = obj{"description": "No feature in the tile (or no requested layer at this zoom)."}
		r["304"] = obj{"description": "Not modified (If-None-Match)."}
		return op("A Mapbox Vector Tile with one layer per requested layer", id, tilesTag, tileParams(true), r)
	}
	tileJSON := func(id string) obj {
		return op("TileJSON 3.0.0 for the layers", id, tilesTag, tileParams(false), standardResponses(okJSON("TileJSON."), 400, 404, 503))
	}
	importParams := []any{layer,
		queryParam("mode", "append (default), upsert or replace.", obj{"type": "string", "enum": []string{"append", "upsert", "replace"}}),
		queryParam("srid", "EPSG code of the file's coordinates when it does not say (e.g. 9212).", obj{"type": "string"}),
		queryParam("key", "Attributes that identify a feature (upsert), comma-separated.", obj{"type": "string"}),
		queryParam("map", "SourceField=attribute pairs, comma-separated.", obj{"type": "string"}),
		boolean("dry_run", "Validate and report, write nothing."),
		boolean("strict", "Refuse the whole file at the first rejected feature."),
		boolean("create", "Create the layer (admin)."),
		queryParam("title", "The title of a created layer.", obj{"type": "string"}),
		queryParam("max_rejected", "Commit even with up to this many rejected features (-1: any).", obj{"type": "integer", "minimum": -1}),
		boolean("offline", "Lock the layer and rebuild its indexes once at the end."),
	}
	keyBody := obj{"required": true, "content": jsonContent(obj{"type": "object", "required": []string{"name", "scopes"}, "properties": obj{
		"name":       obj{"type": "string", "maxLength": 200},
		"scopes":     obj{"type": "array", "items": obj{"type": "string"}, "description": "LAYER:read, LAYER:write, LAYER:personal (LAYER may be *) or admin."},
		"personal":   obj{"type": "boolean", "description": "Add LAYER:personal for every layer read or written."},
		"expires_at": obj{"type": "string", "description": "A date (the end of that day in Vietnam) or an RFC 3339 time."},
		"rate_limit": obj{"type": "integer", "minimum": 1, "description": "Requests per minute; default the server's."},
	}})}
	changeParams := []any{
		queryParam("since", "A cursor: 0 for the start, or next of a previous page.", obj{"type": "string"}),
		queryParam("layers", "Comma-separated layer ids (default every layer the caller may read).", obj{"type": "string"}),
		limit(maxChangeLimit, 1000),
	}

	return obj{
		"/healthz": at(obj{"get": op("The process is alive", "getHealth", ops, nil, standardResponses(okJSON("{\"status\": \"ok\"}")))}),
		"/readyz": at(obj{"get": op("The database answers and its schema is this gisd's", "getReadiness", ops, nil,
			standardResponses(okJSON("Ready, with the schema version."), 503))}),
		"/metrics": at(obj{"get": op("Prometheus metrics", "getMetrics", ops, nil,
			standardResponses(okAs("The Prometheus text exposition format.", "text/plain", obj{"type": "string"})))}),

		"/api/v1/layers": at(obj{"get": op("The catalog, with feature counts and extents", "listLayers", catalog, nil,
			standardResponses(okJSON("The layers the caller may read."), 503))}),
		"/api/v1/layers/{layer}": at(obj{"get": op("One layer of the catalog", "getLayer", catalog, []any{layer},
			standardResponses(okJSON("The layer."), 404, 503))}),

		"/tiles/{layers}/{z}/{x}/{y}.mvt": at(obj{"get": tile("getTile"), "head": tile("headTile")}),
		"/tiles/{layers}.json":            at(obj{"get": tileJSON("getTileJSON"), "head": tileJSON("headTileJSON")}),

		"/api/v1/layers/{layer}/imports": at(obj{"post": withBody(op("Import a GeoJSON file into a layer (write scope; creating a layer needs admin)",
			"startImport", imports, importParams, responses("202", okJSON("The import's id and state; follow Location."),
				400, 401, 403, 413, 415, 422, 503)),
			obj{"required": true, "content": obj{mediaGeoJSON: obj{"schema": obj{"type": "object"}}, mediaJSON: obj{"schema": obj{"type": "object"}}}})}),
		"/api/v1/imports": at(obj{"get": op("Recent imports, newest first (admin)", "listImports", imports, []any{
			queryParam("layer", "Only imports into this layer.", obj{"type": "string"}),
			queryParam("state", "Only imports in this state.", obj{"type": "string"}),
			limit(1000, 50),
			queryParam("before", "Only imports with a smaller id (paging).", obj{"type": "integer", "format": "int64", "minimum": 1}),
		}, standardResponses(okJSON("The imports, without their reports."), 400, 401, 403, 503))}),
		"/api/v1/imports/{id}": at(obj{
			"get": op("An import: state, progress, counts and report (admin or the key that started it)", "getImport", imports,
				[]any{id("The import's id."), boolean("report", "false leaves the report out.")},
				standardResponses(okJSON("The import."), 400, 401, 403, 404, 503)),
			"delete": op("Cancel a running import, or revert a committed one (admin or the key that started it)", "cancelImport", imports,
				[]any{id("The import's id.")}, standardResponses(okJSON("The import after cancelling or reverting."), 401, 403, 404, 409, 503)),
		}),

		"/api/v1/changes": at(obj{"get": op("Committed changes after a cursor, in commit order", "listChanges", sharing, changeParams,
			standardResponses(okJSON("A page of changes and the next cursor."), 400, 503))}),
		"/api/v1/changes/stream": at(obj{"get": op("The change feed as Server-Sent Events", "streamChanges", sharing,
			append(changeParams, obj{"name": "Last-Event-ID", "in": "header", "required": false, "schema": obj{"type": "string"},
				"description": "The cursor to resume from (sent by EventSource on reconnection)."}),
			standardResponses(okAs("Events, one per change; a comment every 15 s keeps the stream alive.", "text/event-stream", obj{"type": "string"}), 400, 503))}),
		"/api/v1/audit": at(obj{"get": op("The audit log, newest first (admin)", "listAudit", sharing, []any{
			queryParam("key_id", "Only entries of this key.", obj{"type": "integer", "format": "int64", "minimum": 1}),
			queryParam("layer", "Only entries about this layer.", obj{"type": "string"}),
			queryParam("since", "Only entries from this date or time on.", obj{"type": "string"}),
			queryParam("until", "Only entries before this date or time.", obj{"type": "string"}),
			boolean("personal", "Only reads of personal data."),
			limit(1000, 100),
			queryParam("before", "Only entries with a smaller id (paging).", obj{"type": "integer", "format": "int64", "minimum": 1}),
		}, standardResponses(okJSON("Audit entries."), 400, 401, 403, 503))}),
		"/api/v1/keys": at(obj{
			"get": op("Every API key, without secrets (admin)", "listKeys", sharing, nil, standardResponses(okJSON("The keys."), 401, 403, 503)),
			"post": withBody(op("Create an API key (admin); the secret is in this answer only", "createKey", sharing, nil,
				responses("201", okJSON("The key and its secret."), 400, 401, 403, 413, 422, 503)), keyBody),
		}),
		"/api/v1/keys/{key}": at(obj{"delete": op("Revoke a key, by id or prefix (admin)", "revokeKey", sharing,
			[]any{pathParam("key", "The key's id or prefix.", obj{"type": "string"})},
			standardResponses(okJSON("The revoked key."), 401, 403, 404, 503))}),

		"/api/v1/search": at(obj{"get": op("The map's search box: unit names, cadastral keys, coordinates", "search", pages, []any{
			requiredQuery("q", "What to look for (at most 120 characters).", obj{"type": "string", "maxLength": maxSearchRunes}),
			queryParam("date", "Units valid on this date (YYYY-MM-DD, 1900–2200); default today.", obj{"type": "string", "format": "date"}),
			queryParam("srid", "The VN-2000 zone of projected coordinates (default "+strconv.Itoa(geo.ProvinceZone)+").", obj{"type": "string"}),
			limit(50, 10),
		}, standardResponses(okJSON("How q was understood, and the hits."), 400, 503))}),
		"/api/v1/map-config": at(obj{"get": op("What the web pages need: extent, VN-2000 zones, basemap", "getMapConfig", pages, nil,
			standardResponses(okJSON("The configuration.")))}),
		"/api/v1/land-use-codes": at(obj{"get": op("The land-use codes with their Vietnamese names and groups", "listLandUseCodes", pages, nil,
			standardResponses(okJSON("Groups and codes."), 503))}),
		"/api/v1/admin-units/labels": at(obj{"get": op("A label point per administrative unit valid on a date", "adminUnitLabels", pages,
			[]any{queryParam("date", "YYYY-MM-DD (1900–2200); default today.", obj{"type": "string", "format": "date"})},
			standardResponses(okAs("A FeatureCollection of points.", mediaGeoJSON, ref("#/components/schemas/featureCollectionGeoJSON")), 400, 503))}),
	}
}
