package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// This file writes single features for applications that own data (OGC API – Features Part 4).
// Every write runs as the caller (gisd.actor), so history, the change feed and tile invalidation
// follow from the schema's triggers; optimistic concurrency uses the feature's version.

// FeatureInput is a feature sent by a client: a GeoJSON geometry in SRID (4326 when zero; the
// longitude comes first) and properties as decoded with json.Decoder.UseNumber.
type FeatureInput struct {
	Geometry   json.RawMessage
	Properties map[string]any
	SRID       int
	// LatLon says the coordinates come latitude first (EPSG:4326 as the EPSG defines it).
	LatLon bool
}

// WriteMode says how properties combine with a feature's current ones.
type WriteMode int

const (
	WriteCreate  WriteMode = iota // a new feature
	WriteReplace                  // every writable property is set; those absent get their default (null where none)
	WritePatch                    // only the given properties change; null clears one
)

// WriteResult is the feature's id and new version.
type WriteResult struct {
	ID      int64
	Version int
}

// typedValue converts a decoded JSON value to the Go value bound for attribute a, with the SQL
// cast that goes with it.
func typedValue(a Attribute, v any) (any, string, error) {
	if v == nil {
		return nil, sqlCast(a.Type), nil
	}
	bad := func(want string) error {
		return invalidf("property %s: want %s", a.Name, want)
	}
	switch a.Type {
	case "string":
		s, ok := v.(string)
		if !ok {
			return nil, "", bad("a string")
		}
		if len(s) > 10000 {
			return nil, "", bad("at most 10,000 bytes")
		}
		return s, "::text", nil
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return nil, "", bad("an integer")
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil {
			return nil, "", bad("an integer")
		}
		return i, "::bigint", nil
	case "number":
		n, ok := v.(json.Number)
		if !ok {
			return nil, "", bad("a number")
		}
		f, err := n.Float64()
		if err != nil {
			return nil, "", bad("a finite number")
		}
		return f, "::float8", nil
	case "boolean":
		b, ok := v.(bool)
		if !ok {
			return nil, "", bad("true or false")
		}
		return b, "::boolean", nil
	case "date":
		s, ok := v.(string)
		if _, err := time.Parse(time.DateOnly, s); !ok || err != nil {
			return nil, "", bad("a date YYYY-MM-DD")
		}
		return s, "::date", nil
	case "datetime":
		s, ok := v.(string)
		if _, err := time.Parse(time.RFC3339, s); !ok || err != nil {
			return nil, "", bad("an RFC 3339 date-time")
		}
		return s, "::timestamptz", nil
	case "json":
		b, err := json.Marshal(v)
		if err != nil {
			return nil, "", bad("JSON")
		}
		return string(b), "::jsonb", nil
	}
	return nil, "", bad("a value of type " + a.Type)
}

func sqlCast(t string) string {
	switch t {
	case "integer":
		return "::bigint"
	case "number":
		return "::float8"
	case "boolean":
		return "::boolean"
	case "date":
		return "::date"
	case "datetime":
		return "::timestamptz"
	case "json":
		return "::jsonb"
	}
	return "::text"
}

// AttributeFilter says whether the caller may write an attribute of a layer. Writing an
// attribute needs the right to read it: api passes its Principal's MaySee, so a personal
// attribute (owner name, ID and certificate numbers) needs LAYER:personal to be written exactly
// as to be read. A nil filter allows public attributes only, so a writer that forgets to say who
// is writing can never touch personal data.
type AttributeFilter func(Attribute) bool

func (f AttributeFilter) allows(a Attribute) bool {
	if f == nil {
		return a.Visibility == VisibilityPublic
	}
	return f(a)
}

// checkProperties rejects properties the layer does not have and computed ones (ErrInvalid), and
// properties the caller may not write (ErrForbidden, naming them): a value, null included, for
// an attribute the caller cannot see is refused rather than ignored, so the client learns that
// its change did not happen. Names are checked in order, so the error is the same every time.
func checkProperties(l *Layer, props map[string]any, mayWrite AttributeFilter) error {
	names := make([]string, 0, len(props))
	for name := range props {
		names = append(names, name)
	}
	slices.Sort(names)
	var hidden []string
	for _, name := range names {
		a, ok := l.Attribute(name)
		if !ok {
			return invalidf("%s has no property %q", l.ID, name)
		}
		if a.Computed {
			return invalidf("property %s is computed by the database and cannot be written", name)
		}
		if !mayWrite.allows(a) {
			hidden = append(hidden, name)
		}
	}
	if len(hidden) > 0 {
		return forbiddenWrite(l, hidden)
	}
	return nil
}

// forbiddenWrite is the refusal of attributes the caller may not write, naming them.
func forbiddenWrite(l *Layer, names []string) error {
	what := "property"
	if len(names) > 1 {
		what = "properties"
	}
	return clientError(ErrForbidden, "%s %s of %s may not be written with this key: writing personal or restricted data needs the same scope as reading it (%s:personal for personal data)",
		what, strings.Join(names, ", "), l.ID, l.ID)
}

// keptAttributes are the attributes of l a replace by this caller leaves as they are: those it
// may not write. It cannot see them, so it cannot mean to clear them.
func keptAttributes(l *Layer, mayWrite AttributeFilter) []Attribute {
	var out []Attribute
	for _, a := range l.Attributes {
		if !a.Computed && !mayWrite.allows(a) {
			out = append(out, a)
		}
	}
	return out
}

// geometrySQL turns the client's GeoJSON geometry into the layer's storage form, refusing what
// the layer cannot hold. $n is the GeoJSON text, $n+1 its SRID.
func geometrySQL(l *Layer, a *args, in FeatureInput) string {
	srid := in.SRID
	if srid == 0 {
		srid = 4326
	}
	g := `ST_GeomFromGeoJSON(` + a.add(string(in.Geometry)) + `::text)`
	if in.LatLon {
		g = `ST_FlipCoordinates(` + g + `)`
	}
	g = `ST_Transform(ST_SetSRID(` + g + `, ` + a.add(srid) + `::int), 4326)`
	if strings.HasPrefix(l.GeometryType, "Multi") {
		g = "ST_Multi(" + g + ")"
	}
	return g
}

// validateGeometry checks the client's geometry in the database: parseable, of the layer's type,
// valid. Its messages name the problem for people.
func (s *Store) validateGeometry(ctx context.Context, tx pgx.Tx, l *Layer, in FeatureInput) error {
	if len(bytes.TrimSpace(in.Geometry)) == 0 || bytes.Equal(bytes.TrimSpace(in.Geometry), []byte("null")) {
		return invalidf("the feature has no geometry")
	}
	var a args
	g := geometrySQL(l, &a, in)
	var typ, reason string
	var empty bool
	err := tx.QueryRow(ctx, `SELECT replace(GeometryType(g), 'MULTI', 'Multi'), ST_IsEmpty(g), coalesce(ST_IsValidReason(g), '')
		FROM (SELECT `+g+` AS g) x`, a...).Scan(&typ, &empty, &reason)
	if err != nil {
		// PostGIS refusing the GeoJSON is the client's mistake; a database that went away is not.
		if err := Classify(err); !errors.Is(err, ErrInvalid) {
			return err
		}
		return invalidf("the geometry is not valid GeoJSON in EPSG:%d", max(in.SRID, 4326))
	}
	if empty {
		return invalidf("the geometry is empty")
	}
	want := strings.ToUpper(l.GeometryType)
	if got := strings.ToUpper(typ); want != "GEOMETRY" && got != want {
		return invalidf("the geometry is a %s; layer %s holds %s", typ, l.ID, l.GeometryType)
	}
	if reason != "Valid Geometry" {
		return invalidf("the geometry is invalid: %s", reason)
	}
	return nil
}

// WriteFeature creates, replaces or patches one feature of l as actor. ifVersion > 0 makes the
// write conditional on the feature's current version (If-Match); it returns ErrPrecondition when
// another write came first and ErrNotFound when there is no such feature.
//
// mayWrite says which attributes the caller may write (see AttributeFilter). A property it may
// not write is ErrForbidden, naming it; a replace leaves those attributes as they are stored.
func (s *Store) WriteFeature(ctx context.Context, actor string, l *Layer, mode WriteMode, id int64, ifVersion int,
	in FeatureInput, mayWrite AttributeFilter) (WriteResult, error) {
	var res WriteResult
	err := s.withActor(ctx, actor, func(tx pgx.Tx) error {
		var err error
		res, err = s.writeFeature(ctx, tx, l, mode, id, ifVersion, in, mayWrite)
		return err
	})
	if err != nil {
		return WriteResult{}, fmt.Errorf("store: %s feature: %w", l.ID, Classify(err))
	}
	return res, nil
}

// writeFeature is WriteFeature inside tx, which has its actor set. Every write of one feature
// goes through it, so the rule on attributes the caller may not write holds for every surface.
func (s *Store) writeFeature(ctx context.Context, tx pgx.Tx, l *Layer, mode WriteMode, id int64, ifVersion int,
	in FeatureInput, mayWrite AttributeFilter) (WriteResult, error) {
	if err := checkProperties(l, in.Properties, mayWrite); err != nil {
		return WriteResult{}, err
	}
	if mode != WritePatch {
		for _, a := range l.Attributes {
			if v, ok := in.Properties[a.Name]; a.Required && !a.Computed && (!ok || v == nil) {
				if !mayWrite.allows(a) {
					if mode == WriteReplace {
						continue // kept as stored
					}
					return WriteResult{}, forbiddenWrite(l, []string{a.Name})
				}
				return WriteResult{}, invalidf("property %s is required", a.Name)
			}
		}
	}
	hasGeom := len(in.Geometry) > 0
	if hasGeom || mode != WritePatch {
		if err := s.validateGeometry(ctx, tx, l, in); err != nil {
			return WriteResult{}, err
		}
	}
	if mode != WriteCreate {
		if err := s.lockVersion(ctx, tx, l, id, ifVersion); err != nil {
			return WriteResult{}, err
		}
	}
	var a args
	var sql string
	kept := keptAttributes(l, mayWrite)
	if l.Storage == StorageGeneric {
		sql = genericWriteSQL(l, mode, id, hasGeom, in, kept, &a)
	} else {
		var err error
		if sql, err = tableWriteSQL(l, mode, id, hasGeom, in, kept, &a); err != nil {
			return WriteResult{}, err
		}
	}
	var res WriteResult
	var v int32
	if err := tx.QueryRow(ctx, sql, a...).Scan(&res.ID, &v); err != nil {
		return WriteResult{}, err
	}
	res.Version = int(v)
	return res, nil
}

// lockVersion locks the feature's row and checks its version.
func (s *Store) lockVersion(ctx context.Context, tx pgx.Tx, l *Layer, id int64, ifVersion int) error {
	where, a := featureWhere(l, id)
	var v int32
	err := tx.QueryRow(ctx, `SELECT version FROM `+l.relation()+` AS t WHERE `+where+` FOR UPDATE`, a...).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return clientError(ErrNotFound, "no feature %d in %s", id, l.ID)
	}
	if err != nil {
		return err
	}
	if ifVersion > 0 && int(v) != ifVersion {
		return fmt.Errorf("feature %d is at version %d, not %d: %w", id, v, ifVersion, ErrPrecondition)
	}
	return nil
}

// tableWriteSQL writes a feature of a layer with a table of its own. A replace sets every
// attribute but the kept ones (those the caller may not write) and the computed ones.
func tableWriteSQL(l *Layer, mode WriteMode, id int64, hasGeom bool, in FeatureInput, kept []Attribute, a *args) (string, error) {
	var cols, vals []string
	for _, attr := range l.Attributes {
		if attr.Computed || slices.ContainsFunc(kept, func(k Attribute) bool { return k.Name == attr.Name }) {
			continue
		}
		v, ok := in.Properties[attr.Name]
		if !ok {
			if mode == WriteReplace {
				// A replaced feature is as a new one would be: what it leaves out gets the
				// column's default (NULL where there is none, 0 basements say).
				cols = append(cols, pgx.Identifier{attr.Name}.Sanitize())
				vals = append(vals, "DEFAULT")
			}
			continue
		}
		val, cast, err := typedValue(attr, v)
		if err != nil {
			return "", err
		}
		cols = append(cols, pgx.Identifier{attr.Name}.Sanitize())
		vals = append(vals, a.add(val)+cast)
	}
	if hasGeom {
		cols = append(cols, "geom")
		vals = append(vals, geometrySQL(l, a, in))
	}
	rel := l.relation()
	if mode == WriteCreate {
		return `INSERT INTO ` + rel + ` (` + strings.Join(cols, ", ") + `) VALUES (` + strings.Join(vals, ", ") +
			`) RETURNING id, version`, nil
	}
	if len(cols) == 0 {
		// A patch that changes nothing still makes a version, so the client's ETag moves on.
		cols, vals = []string{"id"}, []string{"id"}
	}
	set := make([]string, len(cols))
	for i := range cols {
		set[i] = cols[i] + " = " + vals[i]
	}
	return `UPDATE ` + rel + ` SET ` + strings.Join(set, ", ") + ` WHERE id = ` + a.add(id) + ` RETURNING id, version`, nil
}

// genericWriteSQL writes a feature of an imported layer (its properties in one jsonb column). A
// replace keeps the stored values of the kept attributes.
func genericWriteSQL(l *Layer, mode WriteMode, id int64, hasGeom bool, in FeatureInput, kept []Attribute, a *args) string {
	props := map[string]any{}
	for k, v := range in.Properties {
		props[k] = v
	}
	b, _ := json.Marshal(props)
	rel := l.relation()
	if mode == WriteCreate {
		return `INSERT INTO ` + rel + ` (layer_id, properties, geom) VALUES (` + a.add(l.ID) + `, jsonb_strip_nulls(` +
			a.add(string(b)) + `::jsonb), ` + geometrySQL(l, a, in) + `) RETURNING id, version`
	}
	var set string
	switch {
	case mode == WritePatch:
		set = "properties = jsonb_strip_nulls(properties || " + a.add(string(b)) + "::jsonb)"
	case len(kept) > 0:
		names := make([]string, len(kept))
		for i, k := range kept {
			names[i] = k.Name
		}
		// The client's properties cannot name a kept attribute (checkProperties), so the two
		// objects have no key in common.
		set = "properties = jsonb_strip_nulls(" + a.add(string(b)) + "::jsonb) || coalesce((SELECT jsonb_object_agg(k, v) FROM jsonb_each(t.properties) AS p(k, v) WHERE k = ANY(" +
			a.add(names) + "::text[])), '{}'::jsonb)"
	default:
		set = "properties = jsonb_strip_nulls(" + a.add(string(b)) + "::jsonb)"
	}
	if hasGeom {
		set += ", geom = " + geometrySQL(l, a, in)
	}
	return `UPDATE ` + rel + ` AS t SET ` + set + ` WHERE t.id = ` + a.add(id) + ` AND ` + l.ownRows("t", a) + ` RETURNING id, version`
}

// DeleteFeature deletes one feature of l as actor, conditional on ifVersion when > 0.
func (s *Store) DeleteFeature(ctx context.Context, actor string, l *Layer, id int64, ifVersion int) error {
	err := s.withActor(ctx, actor, func(tx pgx.Tx) error {
		if err := s.lockVersion(ctx, tx, l, id, ifVersion); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM `+l.relation()+` WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: %s feature: %w", l.ID, Classify(err))
	}
	return nil
}

// FeatureVersion returns the current version of a feature (its ETag).
func (s *Store) FeatureVersion(ctx context.Context, l *Layer, id int64) (int, error) {
	where, a := featureWhere(l, id)
	var v int32
	err := s.pool.QueryRow(ctx, `SELECT version FROM `+l.relation()+` AS t WHERE `+where, a...).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("store: %w", clientError(ErrNotFound, "no feature %d in %s", id, l.ID))
	}
	if err != nil {
		return 0, fmt.Errorf("store: %s feature %d: %w", l.ID, id, Classify(err))
	}
	return int(v), nil
}

// featureWhere selects feature id of l in a relation aliased t.
func featureWhere(l *Layer, id int64) (string, args) {
	var a args
	where := "t.id = " + a.add(id)
	if f := l.ownRows("t", &a); f != "" {
		where += " AND " + f
	}
	return where, a
}

// FeatureVersionInfo is one version of a feature in its history.
type FeatureVersionInfo struct {
	Version   int             `json:"version"`
	ValidFrom time.Time       `json:"valid_from"` // when this version was written
	ValidTo   *time.Time      `json:"valid_to"`   // when the next one replaced it; nil for the current
	ChangedBy string          `json:"changed_by"` // "key:12", "import:7", "sql:role", "demo"
	ImportID  *int64          `json:"import_id,omitempty"`
	Deleted   bool            `json:"deleted,omitempty"` // the feature was deleted at ValidTo
	Feature   json.RawMessage `json:"feature"`
}

// FeatureHistory lists every version of feature id of l, oldest first, each as a GeoJSON feature
// with the given attributes. A deleted feature still has its history.
func (s *Store) FeatureHistory(ctx context.Context, l *Layer, id int64, attrs []Attribute) ([]FeatureVersionInfo, error) {
	where, a := featureWhere(l, id)
	sql := `SELECT version, sys_from, NULL::timestamptz AS sys_to, changed_by, import_id, false AS deleted, ` + featureSQL(l, "t", attrs) + `::text
		FROM ` + l.relation() + ` AS t WHERE ` + where + `
		UNION ALL
		SELECT version, sys_from, sys_to, changed_by, import_id,
		       NOT EXISTS (SELECT 1 FROM ` + l.relation() + ` c WHERE c.id = t.id)
		         AND version = (SELECT max(version) FROM ` + l.historyRelation() + ` h WHERE h.id = t.id),
		       ` + featureSQL(l, "t", attrs) + `::text
		FROM ` + l.historyRelation() + ` AS t WHERE ` + where + `
		ORDER BY version`
	rows, err := s.pool.Query(ctx, sql, a...)
	if err != nil {
		return nil, fmt.Errorf("store: %s feature %d history: %w", l.ID, id, Classify(err))
	}
	versions, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (FeatureVersionInfo, error) {
		var v FeatureVersionInfo
		var ver int32
		var doc string
		err := r.Scan(&ver, &v.ValidFrom, &v.ValidTo, &v.ChangedBy, &v.ImportID, &v.Deleted, &doc)
		v.Version, v.Feature = int(ver), json.RawMessage(doc)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: %s feature %d history: %w", l.ID, id, Classify(err))
	}
	if len(versions) == 0 {
		return nil, fmt.Errorf("store: %w", clientError(ErrNotFound, "no feature %d in %s", id, l.ID))
	}
	return versions, nil
}
