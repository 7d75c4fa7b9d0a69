package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/dongnai-gis/gisd/synth"
)

// DemoVersion changes whenever the demo's content changes, so test templates built from an older
// demo are rebuilt.
const DemoVersion = "2"

// DemoOptions sizes the demo. Zero values take the defaults.
type DemoOptions struct {
	Parcels int   // default 50,000
	Seed    int64 // default 70, the province code
	Force   bool  // reload even if a demo is already loaded
}

// DemoResult says what LoadDemo did.
type DemoResult struct {
	ImportID      int64
	AdminUnits    int64
	Parcels       int64
	Constructions int64
	Changed       int64 // parcels given a later version, so the demo has history to show
	Skipped       bool  // a demo was already loaded and Force was not set
}

// System times the demo writes its versions at: the province was surveyed before 2020, some
// parcels changed hands in 2024, some were converted to residential use after the 2025 reform.
var (
	demoSurveyed  = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	demoReformLaw = time.Date(2025, 6, 16, 0, 0, 0, 0, time.UTC)
	demoSales     = time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)
	demoConverted = time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
)

// LoadDemo loads the deterministic demo province in one transaction: all of it or nothing.
func (s *Store) LoadDemo(ctx context.Context, opt DemoOptions) (DemoResult, error) {
	if opt.Parcels == 0 {
		opt.Parcels = 50000
	}
	if opt.Seed == 0 {
		opt.Seed = 70
	}
	if opt.Parcels < 1 {
		return DemoResult{}, fmt.Errorf("store: demo: %w", invalidf("parcels must be at least 1"))
	}
	var res DemoResult
	err := s.withActor(ctx, "demo", func(tx pgx.Tx) error {
		var loaded bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM imports WHERE mode = 'demo' AND state = 'committed')`).Scan(&loaded); err != nil {
			return err
		}
		if loaded && !opt.Force {
			res.Skipped = true
			return nil
		}
		if loaded {
			if err := removeDemo(ctx, tx); err != nil {
				return err
			}
		}
		opts, _ := json.Marshal(map[string]any{"parcels": opt.Parcels, "seed": opt.Seed, "version": DemoVersion})
		if err := tx.QueryRow(ctx, `INSERT INTO imports (layer_id, mode, source, srid, options, actor)
			VALUES ('*', 'demo', 'gisd demo', 4326, $1, 'demo') RETURNING id`, opts).Scan(&res.ImportID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT set_config('gisd.import_id', $1, true)`, strconv.FormatInt(res.ImportID, 10)); err != nil {
			return err
		}
		units := synth.AdminUnits(opt.Seed)
		if err := setAsOf(ctx, tx, demoSurveyed); err != nil {
			return err
		}
		n, err := copyAdminUnits(ctx, tx, res.ImportID, units, func(u synth.AdminUnit) bool { return u.ValidFrom < "2025-07-01" })
		if err != nil {
			return fmt.Errorf("admin units: %w", err)
		}
		res.AdminUnits += n
		if err := setAsOf(ctx, tx, demoReformLaw); err != nil {
			return err
		}
		if n, err = copyAdminUnits(ctx, tx, res.ImportID, units, func(u synth.AdminUnit) bool { return u.ValidFrom >= "2025-07-01" }); err != nil {
			return fmt.Errorf("admin units after the reform: %w", err)
		}
		res.AdminUnits += n
		if err := setAsOf(ctx, tx, demoSurveyed); err != nil {
			return err
		}
		if res.Parcels, res.Constructions, err = copyParcels(ctx, tx, res.ImportID, synth.Config{Seed: opt.Seed, Parcels: opt.Parcels}, units); err != nil {
			return fmt.Errorf("parcels: %w", err)
		}
		if res.Changed, err = demoHistory(ctx, tx); err != nil {
			return fmt.Errorf("history: %w", err)
		}
		if _, err := tx.Exec(ctx, `SELECT set_config('gisd.as_of', '', true)`); err != nil {
			return err
		}
		counts, _ := json.Marshal(map[string]int64{"admin_units": res.AdminUnits, "parcels": res.Parcels,
			"constructions": res.Constructions, "changed": res.Changed})
		_, err = tx.Exec(ctx, `UPDATE imports SET state = 'committed', counts = $2, finished_at = clock_timestamp() WHERE id = $1`, res.ImportID, counts)
		return err
	})
	if err != nil {
		return DemoResult{}, fmt.Errorf("store: demo: %w", Classify(err))
	}
	return res, nil
}

func setAsOf(ctx context.Context, tx pgx.Tx, t time.Time) error {
	_, err := tx.Exec(ctx, `SELECT set_config('gisd.as_of', $1, true)`, t.Format(time.RFC3339))
	return err
}

// removeDemo deletes the rows an earlier demo load wrote (their history stays, as for any delete).
func removeDemo(ctx context.Context, tx pgx.Tx) error {
	for _, t := range []string{"constructions", "parcels", "admin_units"} {
		if _, err := tx.Exec(ctx, `DELETE FROM `+pgx.Identifier{t}.Sanitize()+`
			WHERE import_id IN (SELECT id FROM imports WHERE mode = 'demo')`); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `UPDATE imports SET state = 'reverted' WHERE mode = 'demo' AND state = 'committed'`)
	return err
}

func nullableDate(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func multiPolygonWKB(mp orb.MultiPolygon) ([]byte, error) { return wkb.Marshal(mp) }

func copyAdminUnits(ctx context.Context, tx pgx.Tx, importID int64, units []synth.AdminUnit, keep func(synth.AdminUnit) bool) (int64, error) {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS demo_admin (code text, level text, kind text, name text,
		parent_code text, valid_from date, valid_to date, wkb bytea) ON COMMIT DROP`); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM demo_admin`); err != nil {
		return 0, err
	}
	var rows [][]any
	for _, u := range units {
		if !keep(u) {
			continue
		}
		b, err := multiPolygonWKB(u.Geometry)
		if err != nil {
			return 0, err
		}
		var parent any
		if u.ParentCode != "" {
			parent = u.ParentCode
		}
		rows = append(rows, []any{u.Code, u.Level, u.Kind, u.Name, parent, nullableDate(u.ValidFrom), nullableDate(u.ValidTo), b})
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"demo_admin"},
		[]string{"code", "level", "kind", "name", "parent_code", "valid_from", "valid_to", "wkb"}, pgx.CopyFromRows(rows)); err != nil {
		return 0, err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO admin_units (code, level, kind, name, parent_code, valid_from, valid_to, geom, import_id)
		SELECT code, level, kind, name, parent_code, valid_from, valid_to, ST_Multi(ST_GeomFromWKB(wkb, 4326)), $1
		FROM demo_admin ORDER BY length(code), code, valid_from NULLS FIRST`, importID)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// copyParcels streams the generator's parcels and constructions through COPY into staging tables,
// then moves them into the layers with one set-based statement each.
func copyParcels(ctx context.Context, tx pgx.Tx, importID int64, cfg synth.Config, units []synth.AdminUnit) (parcels, constructions int64, err error) {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE demo_parcels (commune_code text, sheet_no int, parcel_no int,
		land_use jsonb, legal_area_m2 numeric, address text, owner_name text, owner_id_number text,
		certificate_no text, wkb bytea) ON COMMIT DROP`); err != nil {
		return 0, 0, err
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE demo_constructions (permit_no text, permit_date date, permit_issuer text,
		kind text, grade text, storeys int, basements int, height_m numeric, total_floor_area_m2 numeric, status text,
		wkb bytea) ON COMMIT DROP`); err != nil {
		return 0, 0, err
	}
	// The generator pushes; COPY pulls. A goroutine bridges them through a small channel so
	// memory stays flat for parcels however many are asked for. Constructions (about one per
	// three parcels) are collected and copied afterwards.
	parcelRows := make(chan []any, 1024)
	var houses [][]any
	genErr := make(chan error, 1)
	genCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(parcelRows)
		genErr <- synth.Generate(cfg, units, synth.Emitter{
			Parcel: func(p synth.Parcel) error {
				b, err := multiPolygonWKB(p.Geometry)
				if err != nil {
					return err
				}
				lu, err := json.Marshal(landUseJSON(p.LandUse))
				if err != nil {
					return err
				}
				r := []any{p.CommuneCode, int32(p.Sheet), int32(p.Number), lu, p.LegalArea, p.Address,
					emptyNil(p.OwnerName), emptyNil(p.OwnerIDNumber), emptyNil(p.CertificateNo), b}
				select {
				case parcelRows <- r:
					return nil
				case <-genCtx.Done():
					return genCtx.Err()
				}
			},
			Construction: func(c synth.Construction) error {
				b, err := multiPolygonWKB(c.Geometry)
				if err != nil {
					return err
				}
				houses = append(houses, []any{emptyNil(c.PermitNo), nullableDate(c.PermitDate), emptyNil(c.PermitIssuer),
					c.Kind, emptyNil(c.Grade), int32(c.Storeys), int32(c.Basements), c.HeightM, c.TotalFloorArea, c.Status, b})
				return nil
			},
		})
	}()
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"demo_parcels"},
		[]string{"commune_code", "sheet_no", "parcel_no", "land_use", "legal_area_m2", "address", "owner_name",
			"owner_id_number", "certificate_no", "wkb"}, &chanSource{ch: parcelRows})
	if err != nil {
		cancel()
		for range parcelRows {
		}
		<-genErr
		return 0, 0, err
	}
	if err := <-genErr; err != nil {
		return 0, 0, err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, legal_area_m2, address,
			owner_name, owner_id_number, certificate_no, geom, import_id)
		SELECT commune_code, sheet_no, parcel_no, land_use, legal_area_m2, address, owner_name, owner_id_number,
			certificate_no, ST_Multi(ST_GeomFromWKB(wkb, 4326)), $1
		FROM demo_parcels`, importID)
	if err != nil {
		return 0, 0, err
	}
	parcels = tag.RowsAffected()
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"demo_constructions"},
		[]string{"permit_no", "permit_date", "permit_issuer", "kind", "grade", "storeys", "basements", "height_m",
			"total_floor_area_m2", "status", "wkb"}, pgx.CopyFromRows(houses)); err != nil {
		return 0, 0, err
	}
	tag, err = tx.Exec(ctx, `INSERT INTO constructions (permit_no, permit_date, permit_issuer, kind, grade, storeys,
			basements, height_m, total_floor_area_m2, status, geom, import_id)
		SELECT permit_no, permit_date, permit_issuer, kind, grade, storeys, basements, height_m, total_floor_area_m2,
			status, ST_Multi(ST_GeomFromWKB(wkb, 4326)), $1
		FROM demo_constructions`, importID)
	if err != nil {
		return 0, 0, err
	}
	return parcels, tag.RowsAffected(), nil
}

type landUseItem struct {
	Code string  `json:"code"`
	Area float64 `json:"area"`
}

func landUseJSON(lu []synth.LandUse) []landUseItem {
	out := make([]landUseItem, len(lu))
	for i, u := range lu {
		out[i] = landUseItem{Code: u.Code, Area: u.Area}
	}
	return out
}

func emptyNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// chanSource adapts a channel of rows to pgx.CopyFromSource.
type chanSource struct {
	ch  <-chan []any
	cur []any
}

func (c *chanSource) Next() bool {
	r, ok := <-c.ch
	c.cur = r
	return ok
}
func (c *chanSource) Values() ([]any, error) { return c.cur, nil }
func (c *chanSource) Err() error             { return nil }

// demoHistory gives the demo a past worth looking at: in March 2024 one parcel in fifty changed
// owner; after the 2025 reform one in a hundred perennial-crop parcels near a road got a
// residential purpose.
func demoHistory(ctx context.Context, tx pgx.Tx) (int64, error) {
	if err := setAsOf(ctx, tx, demoSales); err != nil {
		return 0, err
	}
	a, err := tx.Exec(ctx, `UPDATE parcels SET owner_name = 'Nguyễn Văn ' || (ARRAY['An','Bình','Cường','Dũng','Hải','Hùng','Long','Minh','Phúc','Tài'])[1 + id % 10],
			certificate_no = 'DA ' || lpad((id * 7919 % 1000000)::text, 6, '0')
		WHERE id % 50 = 7 AND owner_name IS NOT NULL`)
	if err != nil {
		return 0, err
	}
	if err := setAsOf(ctx, tx, demoConverted); err != nil {
		return 0, err
	}
	b, err := tx.Exec(ctx, `UPDATE parcels
		SET land_use = jsonb_build_array(
			jsonb_build_object('code', 'ONT', 'area', 200.0),
			jsonb_build_object('code', 'CLN', 'area', greatest(official_area_m2 - 200.0, 0)))
		WHERE id % 100 = 13 AND main_use = 'CLN' AND official_area_m2 > 400`)
	if err != nil {
		return 0, err
	}
	return a.RowsAffected() + b.RowsAffected(), nil
}
