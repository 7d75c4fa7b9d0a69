package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
)

// This file is OGC API – Features Part 4 (create, replace, update, delete) for applications that
// own data, and each feature's history. Writes need the layer's write scope, carry the feature's
// version as ETag, and refuse a stale If-Match with 412 so no update is lost.

const maxFeatureBody = 16 << 20

// featureETag is the entity tag of one version of a feature.
func featureETag(version int) string { return `"v` + strconv.Itoa(version) + `"` }

// ifMatchVersion reads If-Match: 0 for "*", the version for one of our tags. Writes to an
// existing feature must say which version they change (428 otherwise), so two applications
// editing one parcel cannot silently overwrite each other.
func ifMatchVersion(c *gin.Context) (int, bool) {
	h := strings.TrimSpace(c.GetHeader("If-Match"))
	if h == "" {
		fail(c, errorf(errPreconditionRequired, "send If-Match with the ETag of the version you are changing (GET the feature first), or If-Match: * to overwrite whatever is there"))
		return 0, false
	}
	if h == "*" {
		return 0, true
	}
	tag := strings.TrimPrefix(h, "W/")
	tag = strings.Trim(tag, `"`)
	v, err := strconv.Atoi(strings.TrimPrefix(tag, "v"))
	if err != nil || v < 1 || !strings.HasPrefix(tag, "v") {
		fail(c, errorf(errPreconditionFailed, "If-Match %s is not an ETag of this feature", quoteForMessage(h)))
		return 0, false
	}
	return v, true
}

// writableLayer finds the layer and checks the write scope.
func (s *Server) writableLayer(c *gin.Context) (*store.Layer, bool) {
	l, ok := lookupReadable(c, s.store.Catalog(), c.Param("collection"))
	if !ok {
		return nil, false
	}
	if p := principal(c); !p.CanWrite(l) {
		deny(c, p, "write to "+l.ID)
		return nil, false
	}
	return l, true
}

func featureIDParam(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("feature"), 10, 64)
	if err != nil || id < 1 {
		fail(c, notFound("no feature %s", quoteForMessage(c.Param("feature"))))
		return 0, false
	}
	return id, true
}

type featureBody struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
	ID         any             `json:"id,omitempty"`
}

// readFeature decodes a GeoJSON Feature body in the CRS named by Content-Crs (CRS84 by default).
func readFeature(c *gin.Context, patch bool) (store.FeatureInput, bool) {
	in := store.FeatureInput{SRID: 4326}
	if h := c.GetHeader("Content-Crs"); h != "" {
		crs, err := geo.ParseCRS(strings.Trim(h, "<> "))
		if err != nil {
			badParam(c, "Content-Crs", "unknown CRS "+quoteForMessage(h))
			return in, false
		}
		in.SRID, in.LatLon = crs.SRID, geo.AxisOrderLatLon(crs)
	}
	ct := c.ContentType()
	if ct != "" && ct != "application/geo+json" && ct != "application/json" && ct != "application/merge-patch+json" {
		fail(c, errorf(errUnsupportedMedia, "send the feature as application/geo+json"))
		return in, false
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxFeatureBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(c, errorf(errTooLarge, "the feature is larger than 16 MiB"))
		} else {
			fail(c, errorf(errBadRequest, "the body cannot be read"))
		}
		return in, false
	}
	if perr := checkJSONText(raw); perr != nil {
		fail(c, perr)
		return in, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var f featureBody
	if err := dec.Decode(&f); err != nil {
		fail(c, errorf(errBadRequest, "the body is not a GeoJSON Feature: %s", jsonErrorText(err)))
		return in, false
	}
	if dec.More() {
		fail(c, errorf(errBadRequest, "the body has data after the feature"))
		return in, false
	}
	if f.Type != "Feature" && !(patch && f.Type == "") {
		fail(c, errorf(errBadRequest, `the body must be a GeoJSON object with "type": "Feature"`))
		return in, false
	}
	in.Geometry = f.Geometry
	if patch && bytes.Equal(bytes.TrimSpace(f.Geometry), []byte("null")) {
		fail(c, errorf(errContent, "a feature cannot lose its geometry; delete it instead"))
		return in, false
	}
	in.Properties = f.Properties
	if in.Properties == nil {
		in.Properties = map[string]any{}
	}
	return in, true
}

// actorOf is how the caller's writes and imports are recorded: "key:12", "lgsp:so-xay-dung".
func actorOf(p *Principal) string { return p.Caller() }

func (s *Server) createItem(c *gin.Context) {
	l, ok := s.writableLayer(c)
	if !ok {
		return
	}
	in, ok := readFeature(c, false)
	if !ok {
		return
	}
	p := principal(c)
	res, err := s.store.WriteFeature(c.Request.Context(), actorOf(p), l, store.WriteCreate, 0, 0, in, func(a store.Attribute) bool { return p.MaySee(l, a) })
	if err != nil {
		s.failWrite(c, l.ID, nil, gin.H{"op": "create"}, content(err))
		return
	}
	s.auditWrite(c, l.ID, []int64{res.ID}, http.StatusCreated, gin.H{"op": "create", "version": res.Version})
	loc := baseURL(c, s.cfg.PublicURL) + "/ogc/collections/" + l.ID + "/items/" + strconv.FormatInt(res.ID, 10)
	c.Header("Location", loc)
	c.Header("ETag", featureETag(res.Version))
	c.JSON(http.StatusCreated, gin.H{"id": res.ID, "version": res.Version, "links": []link{{Href: loc, Rel: "self", Type: "application/geo+json"}}})
}

func (s *Server) replaceItem(c *gin.Context) { s.updateItem(c, store.WriteReplace) }
func (s *Server) patchItem(c *gin.Context)   { s.updateItem(c, store.WritePatch) }

func (s *Server) updateItem(c *gin.Context, mode store.WriteMode) {
	l, ok := s.writableLayer(c)
	if !ok {
		return
	}
	id, ok := featureIDParam(c)
	if !ok {
		return
	}
	ifVersion, ok := ifMatchVersion(c)
	if !ok {
		return
	}
	in, ok := readFeature(c, mode == store.WritePatch)
	if !ok {
		return
	}
	p := principal(c)
	op := map[store.WriteMode]string{store.WriteReplace: "replace", store.WritePatch: "update"}[mode]
	res, err := s.store.WriteFeature(c.Request.Context(), actorOf(p), l, mode, id, ifVersion, in, func(a store.Attribute) bool { return p.MaySee(l, a) })
	if err != nil {
		s.failWrite(c, l.ID, []int64{id}, gin.H{"op": op}, content(err))
		return
	}
	s.auditWrite(c, l.ID, []int64{id}, http.StatusNoContent, gin.H{"op": op, "version": res.Version})
	c.Header("ETag", featureETag(res.Version))
	c.Status(http.StatusNoContent)
}

func (s *Server) deleteItem(c *gin.Context) {
	l, ok := s.writableLayer(c)
	if !ok {
		return
	}
	id, ok := featureIDParam(c)
	if !ok {
		return
	}
	ifVersion, ok := ifMatchVersion(c)
	if !ok {
		return
	}
	if err := s.store.DeleteFeature(c.Request.Context(), actorOf(principal(c)), l, id, ifVersion); err != nil {
		s.failWrite(c, l.ID, []int64{id}, gin.H{"op": "delete"}, err)
		return
	}
	s.auditWrite(c, l.ID, []int64{id}, http.StatusNoContent, gin.H{"op": "delete"})
	c.Status(http.StatusNoContent)
}

// itemHistory answers GET /ogc/collections/{id}/items/{fid}/history: every version of the
// feature, oldest first, with who wrote it and when.
func (s *Server) itemHistory(c *gin.Context) {
	l, ok := lookupReadable(c, s.store.Catalog(), c.Param("collection"))
	if !ok {
		return
	}
	id, ok := featureIDParam(c)
	if !ok {
		return
	}
	for k := range c.Request.URL.Query() {
		if k != "f" {
			badParam(c, k, "unknown parameter; history takes only f=json")
			return
		}
	}
	p := principal(c)
	versions, err := s.store.FeatureHistory(c.Request.Context(), l, id, p.Attributes(l))
	if err != nil {
		fail(c, err)
		return
	}
	if p.CanSeePersonal(l) && !s.auditPersonal(c, l.ID, []int64{id}, "history") {
		return
	}
	c.JSON(http.StatusOK, gin.H{"collection": l.ID, "id": id, "versions": versions})
}
