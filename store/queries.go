package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/dongnai-gis/gisd/geo"
)

// This file answers the questions a land or construction office asks of the shared database
// (/api/v1 domain queries). Distances are measured on the WGS 84 ellipsoid (geography); areas are
// planar in the province's VN-2000 TM-3 zone (EPSG:9212), the way official parcel areas are
// defined — never in degrees.

// Limits of the domain queries.
const (
	MaxNearbyRadius  = 10_000 // metres
	MaxNearbyLimit   = 1000
	MaxNearestK      = 100
	MaxBuffer        = 10_000 // metres
	MaxIntersectRows = 5000   // features per layer
)

// Point is a query point: lon/lat in WGS 84 when SRID is 4326, else easting/northing in SRID.
type Point struct {
	X, Y float64
	SRID int
}

// pointSQL binds p and returns SQL yielding it in WGS 84 (PostGIS does the VN-2000 transform).
func pointSQL(p Point, a *args) string {
	g := "ST_SetSRID(ST_MakePoint(" + a.add(p.X) + "::float8, " + a.add(p.Y) + "::float8), " + a.add(p.SRID) + "::integer)"
	if p.SRID != geo.SRIDWGS84 {
		g = "ST_Transform(" + g + ", 4326)"
	}
	return g
}

// AdminUnitRef is one version of an administrative unit.
type AdminUnitRef struct {
	Code       string     `json:"code"`
	Level      string     `json:"level"`
	Kind       string     `json:"kind"`
	Name       string     `json:"name"`
	ParentCode *string    `json:"parent_code"`
	ValidFrom  *time.Time `json:"-"`
	ValidTo    *time.Time `json:"-"`
	AreaM2     float64    `json:"area_m2"`
}

const adminUnitColumns = `a.code, a.level, a.kind, a.name, a.parent_code, a.valid_from::timestamp, a.valid_to::timestamp, a.area_m2::float8`

func scanAdminUnit(row pgx.Row) (AdminUnitRef, error) {
	var u AdminUnitRef
	err := row.Scan(&u.Code, &u.Level, &u.Kind, &u.Name, &u.ParentCode, &u.ValidFrom, &u.ValidTo, &u.AreaM2)
	return u, err
}

// adminUnitsAtSQL selects the units containing the point pt (SQL over a's parameters) on date.
func adminUnitsAtSQL(pt string, a *args, date time.Time) string {
	return `SELECT ` + adminUnitColumns + ` FROM admin_units a
		WHERE a.validity @> ` + a.add(date.Format(time.DateOnly)) + `::text::date
		  AND ST_Intersects(a.geom, (SELECT ` + pt + `))
		ORDER BY ` + levelOrder + `, a.code`
}

// levelOrder sorts province, district, commune.
const levelOrder = `array_position(ARRAY['province', 'district', 'commune'], a.level)`

// AdminUnitsAt returns the administrative units containing p on date, province first. Before
// the 2025 reform that is a province, a district and a commune; after it, a province and a
// commune.
func (s *Store) AdminUnitsAt(ctx context.Context, p Point, date time.Time) ([]AdminUnitRef, error) {
	var a args
	pt := pointSQL(p, &a)
	rows, err := s.pool.Query(ctx, adminUnitsAtSQL(pt, &a, date), a...)
	if err != nil {
		return nil, fmt.Errorf("store: admin units at point: %w", Classify(err))
	}
	units, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AdminUnitRef, error) { return scanAdminUnit(r) })
	if err != nil {
		return nil, fmt.Errorf("store: admin units at point: %w", Classify(err))
	}
	return units, nil
}

// Parcel is a land parcel's public record.
type Parcel struct {
	ID             int64           `json:"id"`
	CommuneCode    string          `json:"commune_code"`
	SheetNo        int             `json:"sheet_no"`
	ParcelNo       int             `json:"parcel_no"`
	OldSheetNo     *int            `json:"old_sheet_no"`
	OldParcelNo    *int            `json:"old_parcel_no"`
	MainUse        string          `json:"main_use"`
	LandUse        json.RawMessage `json:"land_use"`
	OfficialAreaM2 float64         `json:"official_area_m2"`
	LegalAreaM2    *float64        `json:"legal_area_m2"`
	Address        string          `json:"address"`
	Version        int             `json:"version"`
	UpdatedAt      time.Time       `json:"updated_at"`
	Geometry       json.RawMessage `json:"geometry"`
	// Owner holds the personal fields; nil unless the caller may read them.
	Owner *ParcelOwner `json:"owner,omitempty"`
}

// ParcelOwner is a parcel's personal data: owner name, ID number and certificate number.
type ParcelOwner struct {
	Name          *string `json:"owner_name"`
	IDNumber      *string `json:"owner_id_number"`
	CertificateNo *string `json:"certificate_no"`
}

// ParcelOptions says what a parcel lookup returns.
type ParcelOptions struct {
	Personal bool       // include the owner (the caller's key has the personal scope)
	AsOf     *time.Time // the parcels as they were recorded at that instant; nil: now
}

// parcelSource is the parcels relation, or its state at opt.AsOf.
func parcelSource(opt ParcelOptions, a *args) string {
	if opt.AsOf == nil {
		return "parcels"
	}
	l := &Layer{ID: "parcels", Storage: StorageTable, TableName: "parcels", Attributes: parcelAttributes}
	return l.asOfRelation(a.add(*opt.AsOf) + "::timestamptz")
}

// parcelAttributes are the parcel columns the lookups read.
var parcelAttributes = []Attribute{{Name: "commune_code"}, {Name: "sheet_no"}, {Name: "parcel_no"}, {Name: "old_sheet_no"},
	{Name: "old_parcel_no"}, {Name: "main_use"}, {Name: "land_use"}, {Name: "official_area_m2"}, {Name: "legal_area_m2"},
	{Name: "address"}, {Name: "owner_name"}, {Name: "owner_id_number"}, {Name: "certificate_no"}}

func parcelSelect(opt ParcelOptions) string {
	if opt.Personal {
		return parcelColumns + `, p.owner_name, p.owner_id_number, p.certificate_no`
	}
	return parcelColumns
}

func scanParcelWith(row pgx.Row, opt ParcelOptions) (Parcel, error) {
	if !opt.Personal {
		return scanParcel(row)
	}
	var o ParcelOwner
	p, err := scanParcel(row, &o.Name, &o.IDNumber, &o.CertificateNo)
	p.Owner = &o
	return p, err
}

// parcelColumns are the public columns of parcels p; personal ones (owner, ID number,
// certificate) are never read here.
const parcelColumns = `p.id, p.commune_code, p.sheet_no, p.parcel_no, p.old_sheet_no, p.old_parcel_no, p.main_use,
	p.land_use, p.official_area_m2::float8, p.legal_area_m2::float8, p.address, p.version, p.sys_from,
	ST_AsGeoJSON(p.geom, 9, 0)`

func scanParcel(row pgx.Row, extra ...any) (Parcel, error) {
	var p Parcel
	var lu, g []byte
	dest := append([]any{&p.ID, &p.CommuneCode, &p.SheetNo, &p.ParcelNo, &p.OldSheetNo, &p.OldParcelNo, &p.MainUse,
		&lu, &p.OfficialAreaM2, &p.LegalAreaM2, &p.Address, &p.Version, &p.UpdatedAt, &g}, extra...)
	if err := row.Scan(dest...); err != nil {
		return p, err
	}
	p.LandUse, p.Geometry = lu, g
	return p, nil
}

// ParcelsAt returns the parcels containing p (more than one only on a shared boundary) and the
// administrative units containing p on date. Both statements go to the database in one round
// trip.
func (s *Store) ParcelsAt(ctx context.Context, p Point, date time.Time, opt ParcelOptions) ([]Parcel, []AdminUnitRef, error) {
	var pa, ua args
	pt := pointSQL(p, &pa)
	upt := pointSQL(p, &ua)
	var parcels []Parcel
	var units []AdminUnitRef
	b := &pgx.Batch{}
	b.Queue(`SELECT `+parcelSelect(opt)+` FROM `+parcelSource(opt, &pa)+` p
		WHERE ST_Intersects(p.geom, (SELECT `+pt+`)) ORDER BY p.id LIMIT 20`, pa...).Query(func(rows pgx.Rows) error {
		var err error
		parcels, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Parcel, error) { return scanParcelWith(r, opt) })
		return err
	})
	b.Queue(adminUnitsAtSQL(upt, &ua, date), ua...).Query(func(rows pgx.Rows) error {
		var err error
		units, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (AdminUnitRef, error) { return scanAdminUnit(r) })
		return err
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, nil, fmt.Errorf("store: parcels at point: %w", Classify(err))
	}
	return parcels, units, nil
}

// ParcelByKey returns the parcel with the cadastral key (commune code, map sheet, parcel number)
// and the latest version of its commune.
func (s *Store) ParcelByKey(ctx context.Context, commune string, sheet, number int, opt ParcelOptions) (Parcel, *AdminUnitRef, error) {
	a := args{commune, sheet, number}
	p, err := scanParcelWith(s.pool.QueryRow(ctx, `SELECT `+parcelSelect(opt)+` FROM `+parcelSource(opt, &a)+` p
		WHERE p.commune_code = $1 AND p.sheet_no = $2 AND p.parcel_no = $3`, a...), opt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Parcel{}, nil, fmt.Errorf("store: %w", clientError(ErrNotFound, "no parcel %d on sheet %d of commune %s", number, sheet, commune))
	}
	if err != nil {
		return Parcel{}, nil, fmt.Errorf("store: parcel %s/%d/%d: %w", commune, sheet, number, Classify(err))
	}
	u, err := scanAdminUnit(s.pool.QueryRow(ctx, `SELECT `+adminUnitColumns+` FROM admin_units a
		WHERE a.code = $1 ORDER BY a.valid_from DESC NULLS LAST LIMIT 1`, commune))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, nil, nil
	}
	if err != nil {
		return Parcel{}, nil, fmt.Errorf("store: commune %s: %w", commune, Classify(err))
	}
	return p, &u, nil
}

// NearFeature is a feature with its distance from a query point.
type NearFeature struct {
	DistanceM float64
	Feature   json.RawMessage // GeoJSON Feature with the layer's public attributes
}

// degreesAround returns how many degrees of longitude and latitude certainly hold d metres
// around latitude lat (see cql2's S_DWITHIN prefilter for the reasoning).
func degreesAround(lat, d float64) (dx, dy float64) {
	dy = d * 1.01 / 110574
	l := math.Abs(lat) + dy
	if l >= 89 {
		return 360, dy
	}
	return min(d*1.01/(111319*math.Cos(l*math.Pi/180)), 360), dy
}

func nearFeatureSQL(l *Layer, alias string) string {
	a := pgx.Identifier{alias}.Sanitize()
	return `json_build_object('type', 'Feature', 'id', ` + a + `.id, 'geometry', ST_AsGeoJSON(` + a + `.geom, 9, 0)::json,
		'properties', ` + propertiesSQL(l, alias, l.PublicAttributes()) + `)::text`
}

func (s *Store) collectNear(ctx context.Context, what, sql string, a args) ([]NearFeature, error) {
	rows, err := s.pool.Query(ctx, sql, a...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, Classify(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (NearFeature, error) {
		var f NearFeature
		var b []byte
		err := r.Scan(&f.DistanceM, &b)
		f.Feature = b
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, Classify(err))
	}
	return out, nil
}

// Nearby returns l's features within radius metres of (lon, lat), nearest first, at most limit.
// The distance is the true distance on the ellipsoid; the spatial index narrows the search to a
// box that certainly holds the circle.
func (s *Store) Nearby(ctx context.Context, l *Layer, lon, lat, radius float64, limit int) ([]NearFeature, error) {
	if !(radius > 0 && radius <= MaxNearbyRadius) || limit < 1 || limit > MaxNearbyLimit {
		return nil, fmt.Errorf("store: nearby: %w", invalidf("radius or limit out of range"))
	}
	var a args
	pt := "ST_SetSRID(ST_MakePoint(" + a.add(lon) + "::float8, " + a.add(lat) + "::float8), 4326)"
	dx, dy := degreesAround(lat, radius)
	where := []string{
		`t.geom && ST_Expand(` + pt + `, ` + a.add(dx) + `::float8, ` + a.add(dy) + `::float8)`,
		`ST_DWithin(t.geom::geography, ` + pt + `::geography, ` + a.add(radius) + `::float8)`,
	}
	if f := l.ownRows("t", &a); f != "" {
		where = append(where, f)
	}
	sql := `SELECT ST_Distance(t.geom::geography, ` + pt + `::geography), ` + nearFeatureSQL(l, "t") +
		` FROM ` + l.relation() + ` AS t WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY 1, t.id LIMIT ` + a.add(limit)
	return s.collectNear(ctx, "nearby "+l.ID, sql, a)
}

// Nearest returns the k features of l nearest to (lon, lat) by true distance. The index's KNN
// order (<->, in degrees) finds k candidates; the farthest of them bounds the true distance of
// the answer, and a second index search within that distance makes the result exact even where
// degrees of longitude and latitude differ in length.
func (s *Store) Nearest(ctx context.Context, l *Layer, lon, lat float64, k int) ([]NearFeature, error) {
	if k < 1 || k > MaxNearestK {
		return nil, fmt.Errorf("store: nearest: %w", invalidf("k out of range"))
	}
	var a args
	pt := "ST_SetSRID(ST_MakePoint(" + a.add(lon) + "::float8, " + a.add(lat) + "::float8), 4326)"
	layerWhere := ""
	if f := l.ownRows("c", &a); f != "" {
		layerWhere = " WHERE " + f
	}
	kp := a.add(k)
	layerWhere2 := ""
	if f := l.ownRows("t", &a); f != "" {
		layerWhere2 = " AND " + f
	}
	// r.d is the farthest true distance among the KNN candidates; lat and dy size the box.
	// ST_DWithin and ST_Distance on geography may disagree in the last bits, so the second search
	// reaches a millimetre further; LIMIT keeps the answer at k.
	sql := `WITH knn AS (
			SELECT ST_Distance(c.geom::geography, ` + pt + `::geography) AS d
			FROM ` + l.relation() + ` AS c` + layerWhere + `
			ORDER BY c.geom <-> ` + pt + ` LIMIT ` + kp + `),
		r AS (SELECT max(d) AS d, (max(d) + 0.001) * 1.01 / 110574 AS dy FROM knn)
		SELECT ST_Distance(t.geom::geography, ` + pt + `::geography), ` + nearFeatureSQL(l, "t") + `
		FROM r, ` + l.relation() + ` AS t
		WHERE t.geom && ST_Expand(` + pt + `,
				least(360, (r.d + 0.001) * 1.01 / (111319 * cos(radians(least(89, abs(` + a.add(lat) + `::float8) + r.dy))))), r.dy)
		  AND ST_DWithin(t.geom::geography, ` + pt + `::geography, r.d + 0.001)` + layerWhere2 + `
		ORDER BY 1, t.id LIMIT ` + kp
	return s.collectNear(ctx, "nearest "+l.ID, sql, a)
}

// IntersectRequest is a geometry and the layers to test it against.
type IntersectRequest struct {
	Geometry orb.Geometry // in CRS, axis order x/y (easting, or longitude)
	CRS      geo.CRS      // zero: CRS84
	BufferM  float64      // grows the geometry by this many metres first (in EPSG:9212)
	Layers   []*Layer
	Limit    int // features per layer; 0 means MaxIntersectRows
}

// IntersectHit is a feature touched by the request geometry.
type IntersectHit struct {
	ID                 int64
	IntersectionAreaM2 float64 // area of the overlap in m² (EPSG:9212); 0 for points and lines
	Feature            json.RawMessage
}

// LayerHits is what one layer answered.
type LayerHits struct {
	Layer     string
	Features  []IntersectHit
	Truncated bool // more features touch than Limit
}

// Intersect returns, for each requested layer, the features the (buffered) geometry touches
// with the area of each overlap in m².
func (s *Store) Intersect(ctx context.Context, req IntersectRequest) ([]LayerHits, error) {
	if req.CRS.SRID == 0 {
		req.CRS = geo.CRS84
	}
	if req.Limit <= 0 || req.Limit > MaxIntersectRows {
		req.Limit = MaxIntersectRows
	}
	if !(req.BufferM >= 0 && req.BufferM <= MaxBuffer) {
		return nil, fmt.Errorf("store: intersect: %w", invalidf("buffer out of range"))
	}
	data, err := wkb.Marshal(req.Geometry)
	if err != nil {
		return nil, fmt.Errorf("store: intersect: %w", invalidf("geometry: %s", ClientMessage(err)))
	}
	out := make([]LayerHits, 0, len(req.Layers))
	for _, l := range req.Layers {
		var a args
		q := "ST_GeomFromWKB(" + a.add(data) + "::bytea, " + a.add(req.CRS.SRID) + "::integer)"
		if req.BufferM > 0 {
			q = "ST_Transform(ST_Buffer(ST_Transform(" + q + ", 9212), " + a.add(req.BufferM) + "::float8), 4326)"
		} else if req.CRS.SRID != geo.SRIDWGS84 {
			q = "ST_Transform(" + q + ", 4326)"
		}
		where := "ST_Intersects(c.geom, (SELECT q.g FROM q))"
		if f := l.ownRows("c", &a); f != "" {
			where += " AND " + f
		}
		// The overlap is measured only for the features returned, after the limit.
		sql := `WITH q AS MATERIALIZED (SELECT ST_MakeValid(` + q + `) AS g)
			SELECT t.id,
			       CASE WHEN ST_Dimension(t.geom) = 2 AND ST_Dimension(q.g) = 2
			            THEN ST_Area(ST_Transform(ST_Intersection(t.geom, q.g), 9212)) ELSE 0 END,
			       ` + nearFeatureSQL(l, "t") + `
			FROM q, (SELECT c.* FROM ` + l.relation() + ` AS c WHERE ` + where + ` ORDER BY c.id LIMIT ` + a.add(req.Limit+1) + `) AS t
			ORDER BY t.id`
		rows, err := s.pool.Query(ctx, sql, a...)
		if err != nil {
			return nil, fmt.Errorf("store: intersect %s: %w", l.ID, Classify(err))
		}
		hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (IntersectHit, error) {
			var h IntersectHit
			var b []byte
			err := r.Scan(&h.ID, &h.IntersectionAreaM2, &b)
			h.Feature = b
			return h, err
		})
		if err != nil {
			return nil, fmt.Errorf("store: intersect %s: %w", l.ID, Classify(err))
		}
		lh := LayerHits{Layer: l.ID, Features: hits}
		if len(hits) > req.Limit {
			lh.Features, lh.Truncated = hits[:req.Limit], true
		}
		out = append(out, lh)
	}
	return out, nil
}

// ConstructionOverlap is a construction's footprint and the parcels under it.
type ConstructionOverlap struct {
	ID          int64
	PermitNo    *string
	Status      string
	FootprintM2 float64 // planar area in EPSG:9212, unrounded
	Parcels     []ParcelOverlap
}

// ParcelOverlap is one parcel under a footprint.
type ParcelOverlap struct {
	Parcel    Parcel
	OverlapM2 float64
	// Share is OverlapM2 / FootprintM2: the part of the footprint standing on this parcel.
	Share float64
}

// ConstructionParcels returns the parcels whose interior the construction's footprint overlaps,
// largest overlap first: the check a permit officer makes that a building stands on the parcels
// its permit names.
func (s *Store) ConstructionParcels(ctx context.Context, id int64) (ConstructionOverlap, error) {
	var c ConstructionOverlap
	err := s.pool.QueryRow(ctx, `SELECT id, permit_no, status, ST_Area(ST_Transform(geom, 9212))
		FROM constructions WHERE id = $1`, id).Scan(&c.ID, &c.PermitNo, &c.Status, &c.FootprintM2)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("store: %w", clientError(ErrNotFound, "no construction %d", id))
	}
	if err != nil {
		return c, fmt.Errorf("store: construction %d: %w", id, Classify(err))
	}
	rows, err := s.pool.Query(ctx, `SELECT `+parcelColumns+`, ST_Area(ST_Transform(ST_Intersection(p.geom, k.geom), 9212))
		FROM constructions k JOIN parcels p ON ST_Intersects(p.geom, k.geom) AND NOT ST_Touches(p.geom, k.geom)
		WHERE k.id = $1
		ORDER BY 15 DESC, p.id`, id)
	if err != nil {
		return c, fmt.Errorf("store: parcels under construction %d: %w", id, Classify(err))
	}
	c.Parcels, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ParcelOverlap, error) {
		var o ParcelOverlap
		var err error
		o.Parcel, err = scanParcel(r, &o.OverlapM2)
		if c.FootprintM2 > 0 {
			o.Share = o.OverlapM2 / c.FootprintM2
		}
		return o, err
	})
	if err != nil {
		return c, fmt.Errorf("store: parcels under construction %d: %w", id, Classify(err))
	}
	return c, nil
}

// LandUseRow is one land-use code's totals within an administrative unit.
type LandUseRow struct {
	Code string
	Name string
	// Parcels and OfficialAreaM2 count the parcels whose main use is Code and sum their official
	// areas (VN-2000 TM-3, m²).
	Parcels        int64
	OfficialAreaM2 float64
	// PurposeParcels and PurposeAreaM2 count every parcel with Code among its purposes and sum
	// the area recorded for that purpose.
	PurposeParcels int64
	PurposeAreaM2  float64
}

// LandUseStats is the land-use table of one administrative unit on one date.
type LandUseStats struct {
	Unit           AdminUnitRef
	Date           time.Time
	Parcels        int64
	OfficialAreaM2 float64
	Rows           []LandUseRow
}

// LandUseStatistics counts parcels and sums official areas by land-use code within the unit
// with the given code as it was on date. A parcel belongs to the unit when a point inside it
// (ST_PointOnSurface) does, so a parcel straddling a boundary is counted once.
func (s *Store) LandUseStatistics(ctx context.Context, code string, date time.Time) (LandUseStats, error) {
	st := LandUseStats{Date: date}
	d := date.Format(time.DateOnly)
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT `+adminUnitColumns+`, a.id FROM admin_units a
		WHERE a.code = $1 AND a.validity @> $2::text::date`, code, d).Scan(&st.Unit.Code, &st.Unit.Level, &st.Unit.Kind,
		&st.Unit.Name, &st.Unit.ParentCode, &st.Unit.ValidFrom, &st.Unit.ValidTo, &st.Unit.AreaM2, &id)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, fmt.Errorf("store: %w", clientError(ErrNotFound, "no administrative unit %s on %s", code, d))
	}
	if err != nil {
		return st, fmt.Errorf("store: administrative unit %s: %w", code, Classify(err))
	}
	rows, err := s.pool.Query(ctx, `
		WITH inside AS MATERIALIZED (
			SELECT p.main_use, p.official_area_m2, p.land_use
			FROM admin_units a JOIN parcels p ON p.geom && a.geom AND ST_Intersects(a.geom, ST_PointOnSurface(p.geom))
			WHERE a.id = $1),
		main AS (SELECT main_use AS code, count(*) AS n, sum(official_area_m2) AS area FROM inside GROUP BY 1),
		purpose AS (SELECT e ->> 'code' AS code, count(*) AS n, sum((e ->> 'area')::numeric) AS area
		            FROM inside, jsonb_array_elements(inside.land_use) e GROUP BY 1)
		SELECT coalesce(m.code, u.code), coalesce(c.name_vi, ''), coalesce(m.n, 0), coalesce(m.area, 0)::float8,
		       coalesce(u.n, 0), coalesce(u.area, 0)::float8
		FROM main m FULL JOIN purpose u ON u.code = m.code
		LEFT JOIN land_use_codes c ON c.code = coalesce(m.code, u.code)
		ORDER BY 4 DESC, 1`, id)
	if err != nil {
		return st, fmt.Errorf("store: land use of %s: %w", code, Classify(err))
	}
	st.Rows, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (LandUseRow, error) {
		var x LandUseRow
		err := r.Scan(&x.Code, &x.Name, &x.Parcels, &x.OfficialAreaM2, &x.PurposeParcels, &x.PurposeAreaM2)
		return x, err
	})
	if err != nil {
		return st, fmt.Errorf("store: land use of %s: %w", code, Classify(err))
	}
	for _, r := range st.Rows {
		st.Parcels += r.Parcels
		st.OfficialAreaM2 += r.OfficialAreaM2
	}
	// Sums of numeric(…,1) values: keep them at the 0.1 m² of the official areas.
	st.OfficialAreaM2 = math.Round(st.OfficialAreaM2*10) / 10
	return st, nil
}
