package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// This file answers what the web map asks while a land officer looks for something: the search box
// (administrative units by name or code, parcels and map sheets by cadastral key), the land-use
// legend and the labels of administrative units.

// Place is where a search result lies: its extent and a point inside it (for a marker or a label),
// both in WGS 84 lon/lat.
type Place struct {
	Bound orb.Bound
	Point orb.Point
}

// AdminUnitMatch is one version of an administrative unit found by a search.
type AdminUnitMatch struct {
	Code       string
	Level      string // province | district | commune
	Kind       string // "Xã", "Phường", "Thành phố"...
	Name       string
	ParentCode string // "" for a province
	ParentName string // the parent's name in a version overlapping this one, "" if none
	ValidFrom  *time.Time
	ValidTo    *time.Time // exclusive; nil while current
	Place
}

// AdminUnitQuery says what SearchAdminUnits looks for. Folded is matched against the folded name
// (see geo.Fold); it must already be folded and have the LIKE wildcards %, _ and \ escaped with a
// backslash. Code, if set, also matches a unit by its statistics-office code.
type AdminUnitQuery struct {
	Folded string
	Code   string
	// At ranks units valid on that date first; it does not filter (an officer searching for a
	// district abolished in 2025 should still find it). Zero means today.
	At    time.Time
	Limit int
}

// SearchAdminUnits finds administrative units whose folded name contains q.Folded, or whose code
// is q.Code. Units valid at q.At come first, then the best matches (the whole name or the name
// without its kind, "đồng xoài" for "Thành phố Đồng Xoài"; then a name starting with the text; then
// a word starting with it; then anything containing it), then higher levels, then by name.
func (s *Store) SearchAdminUnits(ctx context.Context, q AdminUnitQuery) ([]AdminUnitMatch, error) {
	if q.Folded == "" && q.Code == "" {
		return nil, fmt.Errorf("store: search admin units: %w", invalidf("nothing to search for"))
	}
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 20
	}
	// Admin units are a few hundred rows; the contains-match scans them, which is cheaper than an
	// index would be worth. The prefix match can use admin_units_name.
	rows, err := s.pool.Query(ctx, `
		WITH m AS (
			SELECT a.*,
			       CASE WHEN $1 = '' THEN 0
			            WHEN a.name_folded = gisd_fold($1) OR a.name_folded LIKE '% ' || gisd_fold($1) THEN 0
			            WHEN a.name_folded LIKE gisd_fold($1) || '%' THEN 1
			            WHEN a.name_folded LIKE '% ' || gisd_fold($1) || '%' THEN 2
			            ELSE 3 END AS quality
			FROM admin_units a
			WHERE ($1 <> '' AND a.name_folded LIKE '%' || gisd_fold($1) || '%')
			   OR ($2 <> '' AND a.code = $2)
		)
		SELECT m.code, m.level, m.kind, m.name, coalesce(m.parent_code, ''), coalesce(p.name, ''),
		       m.valid_from, m.valid_to,
		       ST_XMin(m.geom), ST_YMin(m.geom), ST_XMax(m.geom), ST_YMax(m.geom),
		       ST_X(ST_PointOnSurface(m.geom)), ST_Y(ST_PointOnSurface(m.geom))
		FROM m
		LEFT JOIN LATERAL (
			SELECT p.name FROM admin_units p
			WHERE p.code = m.parent_code AND p.validity && m.validity
			ORDER BY p.valid_from DESC NULLS LAST LIMIT 1
		) p ON true
		ORDER BY m.validity @> $3::date DESC, m.quality,
		         CASE m.level WHEN 'province' THEN 0 WHEN 'district' THEN 1 ELSE 2 END,
		         m.name, m.code, m.valid_from DESC NULLS LAST
		LIMIT $4`, q.Folded, q.Code, dateOrToday(q.At), q.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: search admin units: %w", Classify(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AdminUnitMatch, error) {
		var m AdminUnitMatch
		var b orb.Bound
		var p orb.Point
		err := row.Scan(&m.Code, &m.Level, &m.Kind, &m.Name, &m.ParentCode, &m.ParentName,
			&m.ValidFrom, &m.ValidTo, &b.Min[0], &b.Min[1], &b.Max[0], &b.Max[1], &p[0], &p[1])
		m.Place = Place{Bound: b, Point: p}
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: search admin units: %w", Classify(err))
	}
	return out, nil
}

// ParcelPlace is a parcel or a map sheet found by its cadastral key, with the name of its commune.
type ParcelPlace struct {
	CommuneCode string
	CommuneName string // "" if the commune is not among the admin units
	SheetNo     int
	ParcelNo    int   // 0 for a whole map sheet
	Parcels     int64 // how many parcels the result covers (1 for a parcel)
	Place
}

// communeNameSQL names commune $1 by its latest version.
const communeNameSQL = `coalesce((SELECT a.name FROM admin_units a WHERE a.code = $1
	ORDER BY a.valid_to DESC NULLS FIRST LIMIT 1), '')`

// FindParcel locates the parcel (commune, sheet, parcel). It wraps ErrNotFound when there is none.
func (s *Store) FindParcel(ctx context.Context, commune string, sheet, parcel int) (ParcelPlace, error) {
	r := ParcelPlace{CommuneCode: commune, SheetNo: sheet, ParcelNo: parcel, Parcels: 1}
	err := s.pool.QueryRow(ctx, `
		SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom),
		       ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), `+communeNameSQL+`
		FROM parcels WHERE commune_code = $1 AND sheet_no = $2 AND parcel_no = $3`,
		commune, sheet, parcel).Scan(&r.Bound.Min[0], &r.Bound.Min[1], &r.Bound.Max[0], &r.Bound.Max[1],
		&r.Point[0], &r.Point[1], &r.CommuneName)
	if errors.Is(err, errNoRows) {
		return ParcelPlace{}, fmt.Errorf("store: parcel %s/%d/%d: %w", commune, sheet, parcel, ErrNotFound)
	}
	if err != nil {
		return ParcelPlace{}, fmt.Errorf("store: find parcel %s/%d/%d: %w", commune, sheet, parcel, Classify(err))
	}
	return r, nil
}

// FindSheet locates map sheet (commune, sheet): the extent of its parcels. It wraps ErrNotFound
// when the sheet has no parcel.
func (s *Store) FindSheet(ctx context.Context, commune string, sheet int) (ParcelPlace, error) {
	r := ParcelPlace{CommuneCode: commune, SheetNo: sheet}
	var minx, miny, maxx, maxy *float64
	err := s.pool.QueryRow(ctx, `
		SELECT n, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), `+communeNameSQL+`
		FROM (SELECT ST_Extent(geom) AS e, count(*) AS n FROM parcels WHERE commune_code = $1 AND sheet_no = $2) x`, commune, sheet).Scan(&r.Parcels, &minx, &miny, &maxx, &maxy, &r.CommuneName)
	if err != nil {
		return ParcelPlace{}, fmt.Errorf("store: find sheet %s/%d: %w", commune, sheet, Classify(err))
	}
	if minx == nil {
		return ParcelPlace{}, fmt.Errorf("store: sheet %s/%d: %w", commune, sheet, ErrNotFound)
	}
	r.Bound = orb.Bound{Min: orb.Point{*minx, *miny}, Max: orb.Point{*maxx, *maxy}}
	r.Point = r.Bound.Center()
	return r, nil
}

// LandUseCode is one entry of the land-use code list (TT 08/2024 and the legacy codes).
type LandUseCode struct {
	Code       string `json:"code"`
	Name       string `json:"name"`  // Vietnamese
	Group      string `json:"group"` // nong_nghiep | phi_nong_nghiep | chua_su_dung
	Legacy     bool   `json:"legacy"`
	ReplacedBy string `json:"replaced_by,omitempty"`
}

// LandUseCodes lists the land-use codes: current ones first, grouped, then the legacy ones.
func (s *Store) LandUseCodes(ctx context.Context) ([]LandUseCode, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT code, name_vi, group_code, legacy, coalesce(replaced_by, '')
		FROM land_use_codes
		ORDER BY legacy, CASE group_code WHEN 'nong_nghiep' THEN 0 WHEN 'phi_nong_nghiep' THEN 1 ELSE 2 END, code`)
	if err != nil {
		return nil, fmt.Errorf("store: land-use codes: %w", Classify(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (LandUseCode, error) {
		var c LandUseCode
		err := row.Scan(&c.Code, &c.Name, &c.Group, &c.Legacy, &c.ReplacedBy)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: land-use codes: %w", Classify(err))
	}
	return out, nil
}

// AdminUnitLabel is where the map writes an administrative unit's name.
type AdminUnitLabel struct {
	Code  string
	Level string
	Kind  string
	Name  string
	Point orb.Point // a point inside the unit
}

// AdminUnitLabels returns a label point for every administrative unit valid at the date (zero:
// today): the centre of the largest circle inside the unit, where a name sits best. The map draws
// these as HTML labels, which need no glyph server.
func (s *Store) AdminUnitLabels(ctx context.Context, at time.Time) ([]AdminUnitLabel, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT code, level, kind, name, ST_X(p), ST_Y(p)
		FROM (SELECT code, level, kind, name, (ST_MaximumInscribedCircle(geom)).center AS p
		      FROM admin_units WHERE validity @> $1::date) x
		ORDER BY length(code), code`, dateOrToday(at))
	if err != nil {
		return nil, fmt.Errorf("store: admin unit labels: %w", Classify(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AdminUnitLabel, error) {
		var l AdminUnitLabel
		err := row.Scan(&l.Code, &l.Level, &l.Kind, &l.Name, &l.Point[0], &l.Point[1])
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: admin unit labels: %w", Classify(err))
	}
	return out, nil
}

// dateOrToday is the calendar date of t, or today's (in the server's local zone, which for a
// Vietnamese province's server is Vietnam's) when t is zero, as a date string PostgreSQL reads.
func dateOrToday(t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	return t.Format(time.DateOnly)
}
