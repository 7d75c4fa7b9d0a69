package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/store"
)

// layerDoc is a catalog entry as /api/v1/layers shows it.
type layerDoc struct {
	ID           string            `json:"id"`
	Title        string            `json:"title"`
	Description  string            `json:"description"`
	GeometryType string            `json:"geometry_type"`
	Access       string            `json:"access"`
	MinZoom      int               `json:"min_zoom"`
	MaxZoom      int               `json:"max_zoom"`
	Attributes   []store.Attribute `json:"attributes"`
	Count        int64             `json:"count"`
	Extent       []float64         `json:"extent"` // [minlon, minlat, maxlon, maxlat], null when empty
	Links        []link            `json:"links"`
}

type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

func (s *Server) layerDocs(c *gin.Context, only string) ([]layerDoc, error) {
	cat := s.store.Catalog()
	p := principal(c)
	stats, err := s.store.LayerStats(c.Request.Context(), cat)
	if err != nil {
		return nil, err
	}
	base := baseURL(c, s.cfg.PublicURL)
	docs := make([]layerDoc, 0, len(stats))
	for _, st := range stats {
		if only != "" && st.Layer != only {
			continue
		}
		l, ok := cat.Layer(st.Layer)
		if !ok || !p.CanRead(l) {
			continue
		}
		d := layerDoc{
			ID: l.ID, Title: l.Title, Description: l.Description, GeometryType: l.GeometryType,
			Access: l.Access, MinZoom: l.MinZoom, MaxZoom: l.MaxZoom, Attributes: p.Attributes(l),
			Count: st.Count,
			Links: []link{
				{Href: base + "/api/v1/layers/" + l.ID, Rel: "self", Type: "application/json"},
				{Href: base + "/ogc/collections/" + l.ID, Rel: "collection", Type: "application/json"},
				{Href: base + "/tiles/" + l.ID + ".json", Rel: "tilejson", Type: "application/json"},
			},
		}
		if !st.Empty {
			d.Extent = []float64{st.Extent.Min[0], st.Extent.Min[1], st.Extent.Max[0], st.Extent.Max[1]}
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// listLayers answers GET /api/v1/layers: the catalog with live feature counts and extents.
func (s *Server) listLayers(c *gin.Context) {
	docs, err := s.layerDocs(c, "")
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"layers": docs})
}

// getLayer answers GET /api/v1/layers/{layer}.
func (s *Server) getLayer(c *gin.Context) {
	id := c.Param("layer")
	if _, ok := lookupReadable(c, s.store.Catalog(), id); !ok {
		return
	}
	docs, err := s.layerDocs(c, id)
	if err != nil {
		fail(c, err)
		return
	}
	if len(docs) == 0 {
		fail(c, notFound("no layer called %s", quoteForMessage(id)))
		return
	}
	c.JSON(http.StatusOK, docs[0])
}
