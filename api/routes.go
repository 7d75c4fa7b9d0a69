package api

import (
	"github.com/gin-gonic/gin"
)

// scope is who may call a route, as its handler checks it.
type scope string

const (
	// scopeAnonymous: anyone, with or without a key.
	scopeAnonymous scope = "anonymous"
	// scopeRead: anyone who may read the layers the request names — public layers for everyone,
	// restricted layers with LAYER:read or LAYER:write (or admin). A layer the caller may not
	// read answers like one that does not exist.
	scopeRead scope = "read"
	// scopeWrite: a key with LAYER:write on the layer the request names (importing may also be
	// done by admin, and an import may be watched or undone by the key that started it).
	scopeWrite scope = "write"
	// scopePersonal: what scopeRead allows, and personal attributes (owners, ID numbers) with
	// LAYER:personal. Every answer that carries them is written to the audit log first.
	scopePersonal scope = "personal"
	// scopeAdmin: an admin key; the route table enforces it itself.
	scopeAdmin scope = "admin"
)

// route is one endpoint: the method and Gin path it is registered on, its handler, the scope it
// needs and the OpenAPI operations that document it (per-collection operations are named
// Operation_<collection> in the document). Routes without an operation are not part of the API:
// the HTML pages and their assets.
type route struct {
	Method     string
	Path       string
	Handler    func(*Server, *gin.Context)
	Scope      scope
	Operations []string
	// Guard, if set, runs before Handler and decides access where the scope depends on more
	// than the key (who started an import).
	Guard func(*Server, *gin.Context)
	// Tiles marks routes that exist only when the server has a tile service.
	Tiles bool
}

// routeTable is every route gisd serves. New registers exactly these; TestRoutes_OpenAPI* checks
// that the OpenAPI document lists every route with an operation and nothing else.
var routeTable = []route{
	// Operations.
	{Method: "GET", Path: "/healthz", Handler: (*Server).healthz, Scope: scopeAnonymous, Operations: ops("getHealth")},
	{Method: "GET", Path: "/readyz", Handler: (*Server).readyz, Scope: scopeAnonymous, Operations: ops("getReadiness")},
	{Method: "GET", Path: "/metrics", Handler: (*Server).serveMetrics, Scope: scopeAnonymous, Operations: ops("getMetrics")},

	// The catalog.
	{Method: "GET", Path: "/api/v1/layers", Handler: (*Server).listLayers, Scope: scopeRead, Operations: ops("listLayers")},
	{Method: "GET", Path: "/api/v1/layers/:layer", Handler: (*Server).getLayer, Scope: scopeRead, Operations: ops("getLayer")},

	// OGC API – Features, Parts 1–3 (reads) and 4 (writes), and each feature's history.
	{Method: "GET", Path: "/ogc", Handler: (*Server).ogcLanding, Scope: scopeAnonymous, Operations: ops("getLandingPage")},
	{Method: "GET", Path: "/ogc/", Handler: (*Server).ogcLanding, Scope: scopeAnonymous, Operations: ops("getLandingPage")},
	{Method: "GET", Path: "/ogc/conformance", Handler: (*Server).ogcConformance, Scope: scopeAnonymous, Operations: ops("getConformance")},
	{Method: "GET", Path: "/ogc/api", Handler: (*Server).ogcAPI, Scope: scopeRead, Operations: ops("getAPI")},
	{Method: "GET", Path: "/ogc/collections", Handler: (*Server).ogcCollections, Scope: scopeRead, Operations: ops("getCollections")},
	{Method: "GET", Path: "/ogc/collections/:collection", Handler: (*Server).ogcCollection, Scope: scopeRead, Operations: ops("describeCollection")},
	{Method: "GET", Path: "/ogc/collections/:collection/queryables", Handler: (*Server).ogcQueryables, Scope: scopeRead, Operations: ops("getQueryables")},
	{Method: "GET", Path: "/ogc/collections/:collection/items", Handler: (*Server).ogcItems, Scope: scopePersonal, Operations: ops("getFeatures")},
	{Method: "POST", Path: "/ogc/collections/:collection/items", Handler: (*Server).createItem, Scope: scopeWrite, Operations: ops("createFeature")},
	{Method: "GET", Path: "/ogc/collections/:collection/items/:feature", Handler: (*Server).ogcItem, Scope: scopePersonal, Operations: ops("getFeature")},
	{Method: "PUT", Path: "/ogc/collections/:collection/items/:feature", Handler: (*Server).replaceItem, Scope: scopeWrite, Operations: ops("replaceFeature")},
	{Method: "PATCH", Path: "/ogc/collections/:collection/items/:feature", Handler: (*Server).patchItem, Scope: scopeWrite, Operations: ops("updateFeature")},
	{Method: "DELETE", Path: "/ogc/collections/:collection/items/:feature", Handler: (*Server).deleteItem, Scope: scopeWrite, Operations: ops("deleteFeature")},
	{Method: "GET", Path: "/ogc/collections/:collection/items/:feature/history", Handler: (*Server).itemHistory, Scope: scopePersonal, Operations: ops("getFeatureHistory")},

	// Vector tiles. Gin's router cannot hold /tiles/{layers}.json beside
	// /tiles/{layers}/{z}/{x}/{y}.mvt, so one catch-all parses both shapes (see tiles); the
	// OpenAPI document describes each shape.
	{Method: "GET", Path: "/tiles/*path", Handler: (*Server).tiles, Scope: scopeRead, Operations: ops("getTile", "getTileJSON"), Tiles: true},
	{Method: "HEAD", Path: "/tiles/*path", Handler: (*Server).tiles, Scope: scopeRead, Operations: ops("headTile", "headTileJSON"), Tiles: true},

	// The domain queries.
	{Method: "GET", Path: "/api/v1/parcels/at", Handler: (*Server).parcelsAt, Scope: scopePersonal, Operations: ops("parcelsAt")},
	{Method: "GET", Path: "/api/v1/parcels/:commune/:sheet/:parcel", Handler: (*Server).parcelByKey, Scope: scopePersonal, Operations: ops("parcelByKey")},
	{Method: "GET", Path: "/api/v1/parcels/:commune/:sheet/:parcel/extract.pdf", Handler: (*Server).parcelExtract, Scope: scopePersonal, Operations: ops("parcelExtract")},
	{Method: "GET", Path: "/api/v1/admin-units/at", Handler: (*Server).adminUnitsAt, Scope: scopeAnonymous, Operations: ops("adminUnitsAt")},
	{Method: "GET", Path: "/api/v1/layers/:layer/nearby", Handler: (*Server).nearby, Scope: scopeRead, Operations: ops("nearby")},
	{Method: "GET", Path: "/api/v1/layers/:layer/nearest", Handler: (*Server).nearest, Scope: scopeRead, Operations: ops("nearest")},
	{Method: "POST", Path: "/api/v1/query/intersects", Handler: (*Server).intersects, Scope: scopeRead, Operations: ops("intersects")},
	{Method: "GET", Path: "/api/v1/constructions/:id/parcels", Handler: (*Server).constructionParcels, Scope: scopeAnonymous, Operations: ops("constructionParcels")},
	{Method: "GET", Path: "/api/v1/stats/land-use", Handler: (*Server).landUseStats, Scope: scopeAnonymous, Operations: ops("landUseStats")},
	{Method: "GET", Path: "/api/v1/search", Handler: (*Server).search, Scope: scopeAnonymous, Operations: ops("search")},

	// Imports.
	{Method: "POST", Path: "/api/v1/layers/:layer/imports", Handler: (*Server).startImport, Scope: scopeWrite, Guard: (*Server).mayImport, Operations: ops("startImport")},
	{Method: "GET", Path: "/api/v1/imports", Handler: (*Server).listImports, Scope: scopeAdmin, Operations: ops("listImports")},
	{Method: "GET", Path: "/api/v1/imports/:id", Handler: (*Server).getImport, Scope: scopeWrite, Guard: (*Server).mayManageImport, Operations: ops("getImport")},
	{Method: "DELETE", Path: "/api/v1/imports/:id", Handler: (*Server).deleteImport, Scope: scopeWrite, Guard: (*Server).mayManageImport, Operations: ops("cancelImport")},

	// The change feed, keys and the audit log.
	{Method: "GET", Path: "/api/v1/changes", Handler: (*Server).listChanges, Scope: scopePersonal, Operations: ops("listChanges")},
	{Method: "GET", Path: "/api/v1/changes/stream", Handler: (*Server).streamChanges, Scope: scopePersonal, Operations: ops("streamChanges")},
	{Method: "GET", Path: "/api/v1/audit", Handler: (*Server).listAudit, Scope: scopeAdmin, Operations: ops("listAudit")},
	{Method: "GET", Path: "/api/v1/keys", Handler: (*Server).listKeys, Scope: scopeAdmin, Operations: ops("listKeys")},
	{Method: "POST", Path: "/api/v1/keys", Handler: (*Server).createKey, Scope: scopeAdmin, Operations: ops("createKey")},
	{Method: "DELETE", Path: "/api/v1/keys/:key", Handler: (*Server).revokeKey, Scope: scopeAdmin, Operations: ops("revokeKey")},

	// What the web pages need.
	{Method: "GET", Path: "/api/v1/map-config", Handler: (*Server).mapConfig, Scope: scopeAnonymous, Operations: ops("getMapConfig")},
	{Method: "GET", Path: "/api/v1/land-use-codes", Handler: (*Server).landUseCodes, Scope: scopeAnonymous, Operations: ops("listLandUseCodes")},
	{Method: "GET", Path: "/api/v1/admin-units/labels", Handler: (*Server).adminUnitLabels, Scope: scopeAnonymous, Operations: ops("adminUnitLabels")},

	// The web pages and their assets (HTML for people, not part of the API).
	{Method: "GET", Path: "/", Handler: (*Server).indexPage, Scope: scopeAnonymous},
	{Method: "HEAD", Path: "/", Handler: (*Server).indexPage, Scope: scopeAnonymous},
	{Method: "GET", Path: "/import", Handler: (*Server).importPage, Scope: scopeAnonymous},
	{Method: "HEAD", Path: "/import", Handler: (*Server).importPage, Scope: scopeAnonymous},
	{Method: "GET", Path: "/assets/*file", Handler: (*Server).asset, Scope: scopeAnonymous},
	{Method: "HEAD", Path: "/assets/*file", Handler: (*Server).asset, Scope: scopeAnonymous},
}

func ops(ids ...string) []string { return ids }

// routes registers routeTable on r, with requireAdmin in front of admin routes and each route's
// guard.
func (s *Server) routes(r *gin.Engine) {
	for _, rt := range routeTable {
		if rt.Tiles && s.cfg.Tiles == nil {
			continue
		}
		var chain []gin.HandlerFunc
		if rt.Scope != scopeAnonymous {
			chain = append(chain, keyDependent)
		}
		if rt.Scope == scopeAdmin {
			chain = append(chain, requireAdmin)
		}
		if g := rt.Guard; g != nil {
			chain = append(chain, func(c *gin.Context) { g(s, c) })
		}
		h := rt.Handler
		chain = append(chain, func(c *gin.Context) { h(s, c) })
		r.Handle(rt.Method, rt.Path, chain...)
	}
	r.NoRoute(func(c *gin.Context) {
		fail(c, notFound("no resource at %s", quoteForMessage(c.Request.URL.Path)))
	})
	r.NoMethod(func(c *gin.Context) {
		fail(c, errorf(errMethodNotAllowed, "%s is not allowed on %s", c.Request.Method, quoteForMessage(c.Request.URL.Path)))
	})
}

// serveMetrics answers GET /metrics in the Prometheus exposition format.
func (s *Server) serveMetrics(c *gin.Context) { s.metrics.serve(c) }
