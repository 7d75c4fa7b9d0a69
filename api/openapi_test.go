package api_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dongnai-gis/gisd/store/storetest"
	"github.com/getkin/kin-openapi/openapi3"
)

// resolve follows a local $ref ("#/components/parameters/limit") in doc.
func resolve(doc map[string]any, ref string) (any, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}
	var cur any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// walkRefs calls fn for every $ref anywhere in v, with the JSON path where it was found.
func walkRefs(v any, path string, fn func(path, ref string)) {
	switch v := v.(type) {
	case map[string]any:
		if r, ok := v["$ref"].(string); ok {
			fn(path, r)
		}
		for k, x := range v {
			walkRefs(x, path+"/"+k, fn)
		}
	case []any:
		for i, x := range v {
			walkRefs(x, path+"/"+itoa64(int64(i)), fn)
		}
	}
}

var pathTemplate = regexp.MustCompile(`\{([^}]+)\}`)

// The OpenAPI document is valid OpenAPI 3.0 as far as its structure goes, every reference
// resolves, every path parameter is declared, and the server accepts exactly the query
// parameters the document declares for items.
func TestOpenAPI_Document(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := newServer(t, s)
	res, body := get(t, h, "GET", "/ogc/api")
	if res.StatusCode != 200 {
		t.Fatalf("GET /ogc/api: %d %s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/vnd.oai.openapi+json;version=3.0" {
		t.Errorf("Content-Type %q", ct)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		t.Errorf("openapi = %q, want 3.0.x", v)
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == nil || info["version"] == nil {
		t.Errorf("info %v lacks title or version", info)
	}
	walkRefs(doc, "", func(path, ref string) {
		if _, ok := resolve(doc, ref); !ok {
			t.Errorf("%s: $ref %q does not resolve", path, ref)
		}
	})
	paths, _ := doc["paths"].(map[string]any)
	opIDs := map[string]string{}
	methods := []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	for p, item := range paths {
		if !strings.HasPrefix(p, "/") {
			t.Errorf("path %q does not start with /", p)
		}
		pi := item.(map[string]any)
		for m, opv := range pi {
			if m == "servers" || m == "parameters" || m == "summary" || m == "description" {
				continue
			}
			if !slices.Contains(methods, m) {
				t.Errorf("%s: unknown member %q", p, m)
				continue
			}
			op := opv.(map[string]any)
			id, _ := op["operationId"].(string)
			if id == "" {
				t.Errorf("%s %s: no operationId", m, p)
			} else if other, dup := opIDs[id]; dup {
				t.Errorf("operationId %s on %s and %s", id, other, p)
			}
			opIDs[id] = p
			responses, _ := op["responses"].(map[string]any)
			if !slices.ContainsFunc(slices.Collect(maps.Keys(responses)), func(code string) bool { return strings.HasPrefix(code, "2") }) {
				t.Errorf("%s %s: no 2xx response", m, p)
			}
			declared := map[string]bool{}
			params, _ := op["parameters"].([]any)
			for _, pv := range params {
				pm := pv.(map[string]any)
				if r, ok := pm["$ref"].(string); ok {
					x, ok := resolve(doc, r)
					if !ok {
						continue // reported above
					}
					pm = x.(map[string]any)
				}
				name, _ := pm["name"].(string)
				in, _ := pm["in"].(string)
				if name == "" || !slices.Contains([]string{"query", "path", "header", "cookie"}, in) {
					t.Errorf("%s %s: parameter %v lacks name or in", m, p, pm)
				}
				if _, ok := pm["schema"]; !ok {
					t.Errorf("%s %s: parameter %s has no schema", m, p, name)
				}
				key := in + ":" + name
				if declared[key] {
					t.Errorf("%s %s: parameter %s declared twice", m, p, key)
				}
				declared[key] = true
				if in == "path" && pm["required"] != true {
					t.Errorf("%s %s: path parameter %s is not required", m, p, name)
				}
			}
			for _, match := range pathTemplate.FindAllStringSubmatch(p, -1) {
				if !declared["path:"+match[1]] {
					t.Errorf("%s %s: path parameter {%s} is not declared", m, p, match[1])
				}
			}
		}
	}

	// Every collection has its own items path; each declared query parameter is accepted by the
	// server, and a name not declared is refused.
	for _, l := range s.Catalog().Layers() {
		p := "/collections/" + l.ID + "/items"
		item, ok := paths[p].(map[string]any)
		if !ok {
			t.Errorf("no path %s", p)
			continue
		}
		params := item["get"].(map[string]any)["parameters"].([]any)
		var names []string
		for _, pv := range params {
			pm := pv.(map[string]any)
			if r, ok := pm["$ref"].(string); ok {
				x, _ := resolve(doc, r)
				pm = x.(map[string]any)
			}
			if pm["in"] == "query" {
				names = append(names, pm["name"].(string))
			}
		}
		for _, q := range l.Queryables() {
			if q.Name != "geometry" && !slices.Contains(names, q.Name) && !slices.Contains([]string{"limit", "bbox", "crs"}, q.Name) {
				t.Errorf("%s: queryable %s is not declared as a parameter", p, q.Name)
			}
		}
		if (l.Temporal != nil) != slices.Contains(names, "datetime") {
			t.Errorf("%s: datetime declared %v, layer temporal %v", p, slices.Contains(names, "datetime"), l.Temporal != nil)
		}
		for _, n := range names {
			res, body := get(t, h, "GET", "/ogc"+p+"?"+url.QueryEscape(n)+"=x")
			if res.StatusCode == http.StatusBadRequest && strings.Contains(string(body), "unknown parameter") {
				t.Errorf("%s: declared parameter %s is refused as unknown", p, n)
			}
		}
		if res, _ := get(t, h, "GET", "/ogc"+p+"?undeclared=1"); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: an undeclared parameter gives %d, want 400", p, res.StatusCode)
		}
	}
	for _, want := range []string{"/", "/conformance", "/api", "/collections", "/api/v1/parcels/at", "/api/v1/admin-units/at",
		"/api/v1/layers/{layer}/nearby", "/api/v1/layers/{layer}/nearest", "/api/v1/query/intersects",
		"/api/v1/parcels/{commune}/{sheet}/{parcel}", "/api/v1/constructions/{id}/parcels", "/api/v1/stats/land-use"} {
		if _, ok := paths[want]; !ok {
			t.Errorf("no path %s", want)
		}
	}
}

// TestOpenAPI_Validates checks the document with kin-openapi's OpenAPI 3.0 validator (the schema
// and its semantic rules: every $ref resolves, parameters are complete, schemas are well formed,
// examples match their schemas), as a client generator would read it. It needs only the database,
// so under GISD_REQUIRE_DB=1 it always runs.
func TestOpenAPI_Validates(t *testing.T) {
	h := newServer(t, storetest.Store(t, storetest.Migrated(t)))
	res, body := get(t, h, "GET", "/ogc/api")
	if res.StatusCode != 200 {
		t.Fatalf("GET /ogc/api: %d %s", res.StatusCode, body)
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false // every reference must be inside the document
	doc, err := loader.LoadFromData(body)
	if err != nil {
		t.Fatalf("kin-openapi cannot load the document: %v", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3.0: %v", err)
	}
	if doc.Paths.Len() == 0 {
		t.Fatal("the document has no paths")
	}
}
