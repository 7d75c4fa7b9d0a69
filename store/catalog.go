package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
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

// Relation is the sanitized name of the table holding the layer's current features.
func (l *Layer) Relation() string {
	if l.Storage == StorageGeneric {
		return pgx.Identifier{"layer_features"}.Sanitize()
	}
	return pgx.Identifier{l.TableName}.Sanitize()
}

// HistoryRelation is the sanitized name of the table holding the layer's past versions.
func (l *Layer) HistoryRelation() string {
	if l.Storage == StorageGeneric {
		return pgx.Identifier{"layer_features_history"}.Sanitize()
	}
	return pgx.Identifier{l.TableName + "_history"}.Sanitize()
}

// AttributeSQL is the SQL expression reading attribute a from the row alias alias, typed as the
// catalog says. Names come from the catalog only; for generic layers the jsonb key is a bind
// parameter-free literal built with quote-safe escaping of catalog names, which the catalog
// restricts to [a-z0-9_].
func (l *Layer) AttributeSQL(alias string, a Attribute) string {
	if l.Storage != StorageGeneric {
		return pgx.Identifier{alias, a.Name}.Sanitize()
	}
	key := quoteLiteral(a.Name)
	col := pgx.Identifier{alias, "properties"}.Sanitize()
	switch a.Type {
	case "integer":
		return fmt.Sprintf("(%s->>%s)::bigint", col, key)
	case "number":
		return fmt.Sprintf("(%s->>%s)::double precision", col, key)
	case "boolean":
		return fmt.Sprintf("(%s->>%s)::boolean", col, key)
	case "date":
		return fmt.Sprintf("(%s->>%s)::date", col, key)
	case "datetime":
		return fmt.Sprintf("(%s->>%s)::timestamptz", col, key)
	case "json":
		return fmt.Sprintf("(%s->%s)", col, key)
	default:
		return fmt.Sprintf("(%s->>%s)", col, key)
	}
}

// LayerFilterSQL is the predicate restricting the layer's relation to its own rows (generic layers
// share one table) with the layer id as bind parameter $n; empty for table layers.
func (l *Layer) LayerFilterSQL(alias string, n int) string {
	if l.Storage != StorageGeneric {
		return ""
	}
	return fmt.Sprintf("%s = $%d", pgx.Identifier{alias, "layer_id"}.Sanitize(), n)
}

// quoteLiteral quotes s as a SQL string literal. It is used only for attribute names that the
// catalog has already restricted to [a-z0-9_] (see validAttributeName); the doubling of quotes
// makes it safe even so.
func quoteLiteral(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}

// Catalog is an immutable snapshot of the layer catalog. Readers hold a snapshot for the length
// of a request; reloads swap in a new one atomically.
type Catalog struct {
	byID  map[string]*Layer
	order []*Layer
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
