package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Attribute visibilities. Personal attributes (owner names, ID numbers) are never public; a
// restricted attribute needs a key with read access to its layer.
const (
	VisibilityPublic     = "public"
	VisibilityRestricted = "restricted"
	VisibilityPersonal   = "personal"
)

// Layer storages.
const (
	StorageTable   = "table"   // a built-in layer with its own typed table
	StorageGeneric = "generic" // rows of layer_features, attributes in jsonb
)

// Attribute is one field of a layer as the catalog describes it.
type Attribute struct {
	Name       string `json:"name"`
	Type       string `json:"type"` // string|integer|number|boolean|date|datetime|json
	Title      string `json:"title,omitempty"`
	Visibility string `json:"visibility"`
	Required   bool   `json:"required,omitempty"`
	Computed   bool   `json:"computed,omitempty"` // written by the database, never by clients
}

// Temporal names the attributes that hold a layer's valid time.
type Temporal struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Layer is one entry of the catalog.
type Layer struct {
	ID           string
	Title        string
	Description  string
	Storage      string
	TableName    string
	GeometryType string
	Attributes   []Attribute
	Access       string // public|restricted
	MinZoom      int
	MaxZoom      int
	Temporal     *Temporal
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Attribute returns the attribute called name.
func (l *Layer) Attribute(name string) (Attribute, bool) {
	for _, a := range l.Attributes {
		if a.Name == name {
			return a, true
		}
	}
	return Attribute{}, false
}

// PublicAttributes lists the attributes anyone may see, in catalog order.
func (l *Layer) PublicAttributes() []Attribute {
	var out []Attribute
	for _, a := range l.Attributes {
		if a.Visibility == VisibilityPublic {
			out = append(out, a)
		}
	}
	return out
}

// Catalog is an immutable snapshot of the layer catalog. Readers hold a snapshot for the length
// of a request; reloads swap in a new one atomically.
type Catalog struct {
	byID  map[string]*Layer
	order []*Layer
}

// NewCatalog makes a catalog snapshot from layers, for tests and tools that need one without a
// database; the layers are ordered by id as LoadCatalog orders them.
func NewCatalog(layers ...*Layer) *Catalog {
	c := &Catalog{byID: make(map[string]*Layer, len(layers)), order: slices.Clone(layers)}
	slices.SortFunc(c.order, func(a, b *Layer) int { return strings.Compare(a.ID, b.ID) })
	for _, l := range layers {
		c.byID[l.ID] = l
	}
	return c
}

// Layer returns the layer with the given id.
func (c *Catalog) Layer(id string) (*Layer, bool) {
	l, ok := c.byID[id]
	return l, ok
}

// Layers lists every layer ordered by id.
func (c *Catalog) Layers() []*Layer { return c.order }

// Catalog returns the current catalog snapshot.
func (s *Store) Catalog() *Catalog { return s.catalog.Load() }

// LoadCatalog reads the catalog from the database and makes it current.
func (s *Store) LoadCatalog(ctx context.Context) (*Catalog, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, title, description, storage, coalesce(table_name, ''), geometry_type, attributes,
		       access, min_zoom, max_zoom, temporal, created_at, updated_at
		FROM layers ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: load catalog: %w", err)
	}
	layers, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*Layer, error) {
		var l Layer
		var attrs, temporal []byte
		var minZ, maxZ int16
		if err := row.Scan(&l.ID, &l.Title, &l.Description, &l.Storage, &l.TableName, &l.GeometryType,
			&attrs, &l.Access, &minZ, &maxZ, &temporal, &l.CreatedAt, &l.UpdatedAt); err != nil {
			return nil, err
		}
		l.MinZoom, l.MaxZoom = int(minZ), int(maxZ)
		if err := json.Unmarshal(attrs, &l.Attributes); err != nil {
			return nil, fmt.Errorf("layer %s: attributes: %w", l.ID, err)
		}
		l.Attributes = slices.DeleteFunc(l.Attributes, func(a Attribute) bool { return !validAttributeName(a.Name) })
		if len(temporal) > 0 && string(temporal) != "null" {
			l.Temporal = new(Temporal)
			if err := json.Unmarshal(temporal, l.Temporal); err != nil {
				return nil, fmt.Errorf("layer %s: temporal: %w", l.ID, err)
			}
		}
		return &l, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: load catalog: %w", err)
	}
	c := &Catalog{byID: make(map[string]*Layer, len(layers)), order: layers}
	for _, l := range layers {
		c.byID[l.ID] = l
	}
	s.catalog.Store(c)
	return c, nil
}

// validAttributeName keeps attribute names to what a SQL identifier, a jsonb key, an MVT field
// and a CQL2 property name can all carry without quoting surprises.
func validAttributeName(name string) bool {
	if name == "" || len(name) > 63 {
		return false
	}
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r == '_':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
