package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/dongnai-gis/gisd/geo"
)

// This file loads what a parcel extract (trích lục thửa đất) shows: the parcel as it was on a
// date, its outline in the province's VN-2000 TM-3 zone, its neighbours as of the same date, the
// administrative units of that date and the land-use names. Drawing it is package extract's job.

// Neighbours of an extract.
const (
	// DefaultNeighbourDistance is how far from the parcel (m, in the zone) a parcel still counts
	// as its neighbour: touching ones, and those across a narrow lane or a digitising gap.
	DefaultNeighbourDistance = 3.0
	MaxNeighbourDistance     = 100.0
	// MaxExtractNeighbours bounds the parcels drawn around one (a parcel in a dense quarter has
	// a few dozen).
	MaxExtractNeighbours = 500
)

// ExtractRequest names the parcel of an extract and what the extract may show.
type ExtractRequest struct {
	Commune       string
	Sheet, Parcel int
	// Date is the extract's calendar day: the administrative units valid on it name the
	// parcel's place.
	Date time.Time
	// Options.AsOf is the instant the parcels are read as of (nil: as they are now);
	// Options.Personal includes the owner (the caller's key has the personal scope).
	Options ParcelOptions
	// SRID is the VN-2000 TM-3 zone the outlines are returned in; 0 means geo.ProvinceZone.
	SRID int
	// NeighbourDistance in metres; 0 means DefaultNeighbourDistance.
	NeighbourDistance float64
}

// ParcelExtract is what an extract shows, loaded in one consistent state.
type ParcelExtract struct {
	// Parcel is the record as it was (Version and UpdatedAt identify the data; Owner only when
	// asked for).
	Parcel Parcel
	SRID   int
	// Geometry is the parcel's outline in SRID (x easting, y northing), as PostGIS transforms
	// it: the official area is the planar area of this geometry.
	Geometry orb.MultiPolygon
	// Commune is the commune of the cadastral key: its version valid on Date, or, for a
	// commune that no longer existed then (merged in the 2025 reform), its last version.
	Commune *AdminUnitRef
	// Units are the administrative units containing the parcel on Date, province first.
	Units []AdminUnitRef
	// LandUseNames maps the parcel's land-use codes to their Vietnamese names.
	LandUseNames map[string]string
	Neighbours   []ExtractNeighbour
}

// ExtractNeighbour is a parcel near the extract's, as of the same date.
type ExtractNeighbour struct {
	ID          int64
	CommuneCode string
	SheetNo     int
	ParcelNo    int
	Geometry    orb.MultiPolygon // in the request's SRID
}

// extraScan scans a row whose last columns go beyond what the wrapped scan reads: the parcel
// lookup's scanner is reused and this file's own columns follow its own.
type extraScan struct {
	pgx.Row
	extra []any
}

func (r extraScan) Scan(dest ...any) error { return r.Row.Scan(append(dest, r.extra...)...) }

// ParcelExtract loads the parcel with the cadastral key and what its extract shows, as of the
// request's date. It answers ErrNotFound when no parcel had that key then.
func (s *Store) ParcelExtract(ctx context.Context, req ExtractRequest) (ParcelExtract, error) {
	if req.SRID == 0 {
		req.SRID = geo.ProvinceZone
	}
	if crs, ok := geo.LookupCRS(req.SRID); !ok || !crs.Projected || crs.CentralMeridian == 0 {
		return ParcelExtract{}, fmt.Errorf("store: extract: %w: SRID %d is not a VN-2000 transverse Mercator zone", ErrInvalid, req.SRID)
	}
	if req.NeighbourDistance == 0 {
		req.NeighbourDistance = DefaultNeighbourDistance
	}
	if !(req.NeighbourDistance > 0 && req.NeighbourDistance <= MaxNeighbourDistance) {
		return ParcelExtract{}, fmt.Errorf("store: extract: %w: neighbour distance out of range", ErrInvalid)
	}
	key := fmt.Sprintf("%s/%d/%d", req.Commune, req.Sheet, req.Parcel)
	out := ParcelExtract{SRID: req.SRID}

	// The parcel, with its outline in the zone, a point inside it and how far north or south
	// it lies (to size the neighbours' index search in degrees).
	var g []byte
	var px, py, maxLat float64
	a := args{req.Commune, req.Sheet, req.Parcel}
	srid := a.add(req.SRID)
	row := s.pool.QueryRow(ctx, `SELECT `+parcelSelect(req.Options)+`,
			ST_AsBinary(ST_Transform(p.geom, `+srid+`::integer)), ST_X(q.pt), ST_Y(q.pt),
			greatest(abs(ST_YMin(p.geom)), abs(ST_YMax(p.geom)))
		FROM `+parcelSource(req.Options, &a)+` p, LATERAL (SELECT ST_PointOnSurface(p.geom) AS pt) q
		WHERE p.commune_code = $1 AND p.sheet_no = $2 AND p.parcel_no = $3`, a...)
	p, err := scanParcelWith(extraScan{row, []any{&g, &px, &py, &maxLat}}, req.Options)
	if errors.Is(err, pgx.ErrNoRows) {
		return out, fmt.Errorf("store: parcel %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return out, fmt.Errorf("store: extract of parcel %s: %w", key, Classify(err))
	}
	out.Parcel = p
	if out.Geometry, err = multiPolygonOf(g); err != nil {
		return out, fmt.Errorf("store: extract of parcel %s: %w", key, err)
	}
	codes, err := parcelLandUseCodes(p.LandUse)
	if err != nil {
		return out, fmt.Errorf("store: extract of parcel %s: land use: %w", key, err)
	}

	// The rest in one round trip, read as of the same instant.
	b := &pgx.Batch{}
	var na args
	nsrid := na.add(req.SRID)
	dx, dy := degreesAround(maxLat, req.NeighbourDistance)
	b.Queue(`WITH t AS (SELECT p.geom, ST_Transform(p.geom, `+nsrid+`::integer) AS tm FROM `+parcelSource(req.Options, &na)+` p
			WHERE p.id = `+na.add(p.ID)+`)
		SELECT n.id, n.commune_code, n.sheet_no, n.parcel_no, ST_AsBinary(ST_Transform(n.geom, `+nsrid+`::integer))
		FROM t, `+parcelSource(req.Options, &na)+` n
		WHERE n.geom && ST_Expand(t.geom, `+na.add(dx)+`::float8, `+na.add(dy)+`::float8)
		  AND n.id <> `+na.add(p.ID)+`
		  AND ST_DWithin(ST_Transform(n.geom, `+nsrid+`::integer), t.tm, `+na.add(req.NeighbourDistance)+`::float8)
		ORDER BY n.id LIMIT `+na.add(MaxExtractNeighbours), na...).Query(func(rows pgx.Rows) error {
		var err error
		out.Neighbours, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExtractNeighbour, error) {
			var n ExtractNeighbour
			var g []byte
			if err := r.Scan(&n.ID, &n.CommuneCode, &n.SheetNo, &n.ParcelNo, &g); err != nil {
				return n, err
			}
			n.Geometry, err = multiPolygonOf(g)
			return n, err
		})
		return err
	})
	var ua args
	b.Queue(adminUnitsAtSQL(pointSQL(Point{X: px, Y: py, SRID: geo.SRIDWGS84}, &ua), &ua, req.Date), ua...).Query(func(rows pgx.Rows) error {
		var err error
		out.Units, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (AdminUnitRef, error) { return scanAdminUnit(r) })
		return err
	})
	// The key's commune: the version valid on the date; failing that the last one that began
	// before it; failing that (a commune younger than the date) its first.
	b.Queue(`SELECT `+adminUnitColumns+` FROM admin_units a WHERE a.code = $1
		ORDER BY a.validity @> $2::text::date DESC, coalesce(a.valid_from, '-infinity') <= $2::text::date DESC,
		         a.valid_from DESC NULLS LAST
		LIMIT 1`, req.Commune, req.Date.Format(time.DateOnly)).Query(func(rows pgx.Rows) error {
		us, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AdminUnitRef, error) { return scanAdminUnit(r) })
		if len(us) > 0 {
			out.Commune = &us[0]
		}
		return err
	})
	b.Queue(`SELECT code, name_vi FROM land_use_codes WHERE code = ANY($1) ORDER BY code`, codes).Query(func(rows pgx.Rows) error {
		out.LandUseNames = make(map[string]string, len(codes))
		var code, name string
		_, err := pgx.ForEachRow(rows, []any{&code, &name}, func() error {
			out.LandUseNames[code] = name
			return nil
		})
		return err
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return out, fmt.Errorf("store: extract of parcel %s: %w", key, Classify(err))
	}
	return out, nil
}

// multiPolygonOf decodes a (multi)polygon's WKB as a MultiPolygon.
func multiPolygonOf(b []byte) (orb.MultiPolygon, error) {
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decode geometry: %w", err)
	}
	switch g := g.(type) {
	case orb.MultiPolygon:
		return g, nil
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	}
	return nil, fmt.Errorf("decode geometry: a %s, not a polygon", g.GeoJSONType())
}

// LandUse is one purpose of a parcel as stored in land_use: a code and the area it covers.
type LandUse struct {
	Code   string  `json:"code"`
	AreaM2 float64 `json:"area"`
}

// LandUses decodes a parcel's land_use array, main use first.
func (p Parcel) LandUses() ([]LandUse, error) {
	var out []LandUse
	if err := json.Unmarshal(p.LandUse, &out); err != nil {
		return nil, err
	}
	for _, u := range out {
		if math.IsNaN(u.AreaM2) || u.Code == "" {
			return nil, fmt.Errorf("land use %q: no code or area", u.Code)
		}
	}
	return out, nil
}

func parcelLandUseCodes(raw []byte) ([]string, error) {
	uses, err := Parcel{LandUse: raw}.LandUses()
	if err != nil {
		return nil, err
	}
	codes := make([]string, len(uses))
	for i, u := range uses {
		codes[i] = u.Code
	}
	return codes, nil
}
