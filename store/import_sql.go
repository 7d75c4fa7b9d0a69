package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/importer"
)

// The import's temporary tables live only in its transaction (ON COMMIT DROP; a rollback drops
// them too), and hold one chunk at a time:
//
//	imp_stage   what COPY delivers: feature index, id, key, converted attributes, geometry (in
//	            EPSG:4326: the decoder converted it), whether the decoder proved it valid
//	            (geo.ProvablySimple), so that PostGIS checks only the others, and whether it is
//	            simple enough to repair if it is not valid (geo.Tangled)
//	imp_repair  the invalid geometries, why, and what ST_MakeValid made of them (NULL for
//	            those too tangled to repair)
//	imp_find    findings of the set-based checks: (idx, level, code, field, reason)
//
// Duplicate keys within the file are found while decoding (importRun.keys).

// ident sanitizes one identifier.
func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// colList is the sanitized, comma-separated list of the target's columns, each prefixed by
// alias ("p.") if given.
func (t *importTarget) colList(alias string) string {
	var b strings.Builder
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(alias)
		b.WriteString(ident(c.Name))
	}
	return b.String()
}

// createStage creates the staging tables once the input's CRS is known.
func (run *importRun) createStage(ctx context.Context, tx pgx.Tx) error {
	t := run.t
	var ddl []string
	if t.Generic {
		ddl = append(ddl, `CREATE TEMP TABLE imp_stage (idx integer, fid text, key text, props jsonb, lu_fill boolean, proven boolean, repairable boolean, geom geometry) ON COMMIT DROP`)
	} else {
		// The attribute columns are copied from the layer's table, so their types are exactly the
		// table's; the generated and bookkeeping columns are left out.
		ddl = append(ddl, `CREATE TEMP TABLE imp_stage ON COMMIT DROP AS SELECT NULL::integer AS idx, NULL::text AS fid, NULL::text AS key, `+
			t.colList("t.")+`, NULL::boolean AS lu_fill, NULL::boolean AS proven, NULL::boolean AS repairable, NULL::geometry AS geom FROM `+ident(t.Table)+` t WITH NO DATA`)
	}
	ddl = append(ddl,
		`CREATE TEMP TABLE imp_find (idx integer NOT NULL, level text NOT NULL, code text NOT NULL,
			field text, reason text NOT NULL) ON COMMIT DROP`,
		`CREATE TEMP TABLE imp_repair (idx integer PRIMARY KEY, reason text, repairable boolean, geom geometry) ON COMMIT DROP`)
	for _, q := range ddl {
		if _, err := tx.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// clearChunk empties the per-chunk tables for the next chunk.
func (run *importRun) clearChunk(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `TRUNCATE imp_stage, imp_find, imp_repair`)
	return err
}

// repairExpr is what ST_MakeValid's output is reduced to for the layer's type: polygons stay
// polygons (a self-intersecting ring becomes a valid MultiPolygon; stray lines are dropped).
//
// The structure method (GEOS 3.10+) unions the shells and subtracts the holes. It makes the same
// polygons of a bow tie or a ring with a loop as the default linework method, keeps the overlap
// of two overlapping parts (linework drops it), and costs far less on large or tangled rings:
// measured with GEOS 3.11, a ring of 200,000 positions with one spike took 0.09 s against 4.7 s,
// with 25,000 small loops 2.5 s against 28 s, a scribble of 300 positions 0.3 s against 39 s.
func (run *importRun) repairExpr() string {
	const g = `ST_MakeValid(geom, 'method=structure')`
	switch run.layerType {
	case "MultiPolygon":
		return `ST_Multi(ST_CollectionExtract(` + g + `, 3))`
	case "Polygon":
		return `(SELECT CASE WHEN ST_NumGeometries(x) = 1 THEN ST_GeometryN(x, 1) ELSE x END FROM ST_CollectionExtract(` + g + `, 3) x)`
	case "MultiLineString":
		return `ST_Multi(ST_CollectionExtract(` + g + `, 2))`
	case "LineString":
		return `(SELECT CASE WHEN ST_NumGeometries(x) = 1 THEN ST_GeometryN(x, 1) ELSE x END FROM ST_CollectionExtract(` + g + `, 2) x)`
	}
	return g
}

// postgisType is the GeometryType() name of the layer type, "" for any.
func (run *importRun) postgisType() string {
	if run.layerType == "Geometry" {
		return ""
	}
	return strings.ToUpper(run.layerType)
}

// finalSQL is the staged features as they will be written: the geometry (final_geom) repaired
// where it was invalid and promoted to the multi type of a layer being created; a parcel's
// single land use without an area given the official area of that geometry.
//
// It is computed while writing rather than by updating the staging table first: an UPDATE
// would move those rows to its end, and the features are written in the order of the file
// (the order COPY stored them in) so that their ids follow it, without sorting a million rows.
func (run *importRun) finalSQL() string {
	t := run.t
	// A lookup per row keeps the plan a plain scan of imp_stage in its stored order; a join
	// would let the planner reorder the rows. Most chunks have nothing to repair.
	g := `s.geom`
	if run.chunkRepairs > 0 {
		g = `coalesce((SELECT r.geom FROM imp_repair r WHERE r.idx = s.idx), s.geom)`
	}
	if t.Create && strings.HasPrefix(run.layerType, "Multi") {
		g = `ST_Multi(` + g + `)`
	}
	cols := "s.props"
	if !t.Generic {
		parts := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			parts[i] = "s." + ident(c.Name)
			if c.LandUse {
				parts[i] = `CASE WHEN s.lu_fill THEN jsonb_set(s.land_use, '{0,area}', to_jsonb(gisd_official_area(` + g + `)))
					ELSE s.land_use END AS land_use`
			}
		}
		cols = strings.Join(parts, ", ")
	}
	return `(SELECT s.idx, ` + cols + `, ` + g + ` AS final_geom FROM imp_stage s)`
}

const rejectedSQL = `EXISTS (SELECT 1 FROM imp_find f WHERE f.idx = p.idx AND f.level = 'rejected')`

// validate runs the set-based checks over the staged chunk and collects their findings. first:
// this is the first chunk.
func (run *importRun) validate(ctx context.Context, tx pgx.Tx, first bool) error {
	t := run.t
	exec := func(sql string, args ...any) error {
		_, err := tx.Exec(ctx, sql, args...)
		return err
	}
	// Statistics for the planner's joins, on the join columns only: sampling the geometry
	// would cost more than it tells.
	cols := []string{"idx", "key"}
	for _, k := range t.key {
		cols = append(cols, ident(k))
	}
	if t.Table == "parcels" && !slices.Contains(cols, `"commune_code"`) {
		cols = append(cols, `"commune_code"`)
	}
	// Later chunks keep these statistics; the planner scales them to each chunk's size.
	if first {
		if err := exec(`ANALYZE imp_stage (` + strings.Join(cols, ", ") + `)`); err != nil {
			return err
		}
		run.step("analyze")
	}
	// Invalid geometry: few rows, so their reasons and repairs are kept in a table of their own.
	repair := "NULL::geometry"
	if !run.im.opt.Strict {
		repair = run.repairExpr()
	}
	// A geometry too tangled to repair cheaply is not given to ST_MakeValid at all.
	tag, err := tx.Exec(ctx, `INSERT INTO imp_repair
		SELECT idx, ST_IsValidReason(geom) AS reason, repairable, CASE WHEN repairable THEN `+repair+` END AS geom
		FROM imp_stage WHERE NOT proven AND NOT ST_IsValid(geom)`)
	if err != nil {
		return fmt.Errorf("validity: %w", err)
	}
	run.chunkRepairs = tag.RowsAffected()
	if run.im.opt.Strict {
		if err := exec(`INSERT INTO imp_find SELECT idx, 'rejected', 'invalid_geometry', NULL,
			'invalid geometry (' || reason || '), rejected (strict)' FROM imp_repair`); err != nil {
			return err
		}
	} else {
		if err := exec(`INSERT INTO imp_find SELECT idx,
				CASE WHEN bad THEN 'rejected' ELSE 'repaired' END, 'invalid_geometry', NULL,
				'invalid geometry (' || reason || ')' || CASE
					WHEN NOT repairable THEN format(' that meets itself more than %s times: too tangled to repair automatically; fix it in a GIS', $3::int)
					WHEN bad THEN ' that ST_MakeValid cannot turn into a valid ' || $1
					ELSE ', repaired with ST_MakeValid' END
			FROM (SELECT idx, reason, repairable, geom IS NULL OR ST_IsEmpty(geom) OR NOT ST_IsValid(geom)
					OR ($2 <> '' AND GeometryType(geom) <> $2) AS bad FROM imp_repair) x`,
			run.layerType, run.postgisType(), importer.MaxRepairCrossings); err != nil {
			return err
		}
	}
	run.step("validity")
	r := geo.ImportRegion
	if err := exec(`INSERT INTO imp_find SELECT idx, 'rejected', 'outside', NULL,
			format('far outside the province: the feature lies at %s, %s (lon, lat, after converting from EPSG:%s); check the CRS',
				round(ST_X(ST_PointOnSurface(ST_Envelope(geom)))::numeric, 4), round(ST_Y(ST_PointOnSurface(ST_Envelope(geom)))::numeric, 4), $5::int)
		FROM imp_stage WHERE NOT ST_IsEmpty(geom) AND NOT (geom && ST_MakeEnvelope($1, $2, $3, $4, 4326))`,
		r.Min[0], r.Min[1], r.Max[0], r.Max[1], run.srid); err != nil {
		return err
	}
	if t.Table == "parcels" {
		if err := exec(`INSERT INTO imp_find SELECT p.idx, 'rejected', 'unknown_commune', 'commune_code',
				format('unknown commune code %s (not in admin_units)', p.commune_code)
			FROM imp_stage p WHERE NOT EXISTS (SELECT 1 FROM admin_units a WHERE a.code = p.commune_code AND a.level = 'commune')`); err != nil {
			return err
		}
	}
	run.step("checks")
	if !t.Generic {
		if err := run.checkConstraints(ctx, tx); err != nil {
			return fmt.Errorf("check constraints: %w", err)
		}
	}
	run.step("constraints")
	if t.Table == "admin_units" {
		// The exclusion constraint: two versions of one code may not be valid at once.
		if err := exec(`INSERT INTO imp_find SELECT b.idx, 'rejected', 'overlapping_validity', 'valid_from',
				format('code %s: its validity overlaps that of feature %s', b.code, a.idx)
			FROM imp_stage a JOIN imp_stage b ON a.code = b.code AND a.idx < b.idx
				AND daterange(a.valid_from, a.valid_to, '[)') && daterange(b.valid_from, b.valid_to, '[)')
				AND a.key IS DISTINCT FROM b.key`); err != nil {
			return err
		}
	}
	if err := run.checkExisting(ctx, tx); err != nil {
		return err
	}
	run.step("keys")
	err = run.collectFindings(ctx, tx)
	run.step("findings")
	return err
}

// checkConstraints applies the layer table's own CHECK constraints to every staged feature, so a
// violation rejects that feature (naming the rule) instead of failing the whole INSERT. The
// constraints are read from pg_constraint, so a rule a migration adds is enforced here without
// a change to gisd. Rules on the geometry are left out: it was checked and repaired above.
//
// The expressions are the schema's own, evaluated server-side with format(%s) on pg_get_expr:
// no text from the input or the caller reaches the generated SQL.
func (run *importRun) checkConstraints(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT set_config('gisd.import_table', $1, true)`, run.t.Table); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DO $$
DECLARE
  checks text;
  any_bad text;
BEGIN
  SELECT string_agg(format('(%L, %L, (%s) IS FALSE)', cols, cols || ' break the rule ' || expr || ' (' || conname || ')', expr),
                    ', ' ORDER BY conname),
         string_agg(format('(%s) IS FALSE', expr), ' OR ')
  INTO checks, any_bad
  FROM (
    SELECT con.conname, pg_get_expr(con.conbin, con.conrelid) AS expr,
           (SELECT string_agg(a.attname, ', ' ORDER BY a.attnum) FROM pg_attribute a
             WHERE a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)) AS cols
    FROM pg_constraint con
    WHERE con.conrelid = current_setting('gisd.import_table')::regclass AND con.contype = 'c'
      AND NOT EXISTS (
        SELECT 1 FROM pg_attribute a
        WHERE a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)
          AND (a.attname = 'geom' OR NOT EXISTS (
            SELECT 1 FROM pg_attribute s WHERE s.attrelid = 'pg_temp.imp_stage'::regclass
              AND s.attname = a.attname AND NOT s.attisdropped)))
  ) c;
  IF checks IS NOT NULL THEN
    -- One pass over the staged rows for all the rules; only the rows that break one are
    -- expanded into a finding per broken rule.
    EXECUTE 'INSERT INTO imp_find SELECT p.idx, ''rejected'', ''check_constraint'', v.field, v.reason
             FROM (SELECT * FROM imp_stage WHERE ' || any_bad || ') p
             CROSS JOIN LATERAL (VALUES ' || checks || ') v(field, reason, bad) WHERE v.bad';
  END IF;
END $$`)
	return err
}

// keyMatch is the join condition between the staged features p and the layer's rows t on the
// import's key. Every part of it is an equality the planner can hash or probe an index with, so
// that matching a chunk against the layer costs a probe per feature (or one pass over the layer),
// never a comparison of every feature with every row: NOT NULL key columns are compared with =,
// nullable ones by whether they are null and by their text. Generic layers compare jsonb text,
// with the layer id and key names as bind parameters from $first on; it returns those arguments.
func (run *importRun) keyMatch(first int) (string, []any) {
	t := run.t
	var conds []string
	var args []any
	if t.Generic {
		conds = append(conds, fmt.Sprintf("t.layer_id = $%d", first))
		args = append(args, run.im.opt.Layer)
		for _, k := range t.key {
			n := first + len(args)
			conds = append(conds, fmt.Sprintf("(t.properties ->> $%d) = (p.props ->> $%d)", n, n))
			args = append(args, k)
		}
		return strings.Join(conds, " AND "), args
	}
	for _, k := range t.key {
		col := ident(k)
		if t.notNull[k] {
			conds = append(conds, "t."+col+" = p."+col)
		} else {
			conds = append(conds, "(t."+col+" IS NULL) = (p."+col+" IS NULL) AND coalesce(t."+col+"::text, '') = coalesce(p."+col+"::text, '')")
		}
	}
	return strings.Join(conds, " AND "), nil
}

// checkExisting rejects features that clash with rows already in the layer: in append mode a
// feature whose key exists; for administrative units (any mode but replace) a validity period
// overlapping another version of the same code that the import does not update.
func (run *importRun) checkExisting(ctx context.Context, tx pgx.Tx) error {
	t := run.t
	mode := run.im.opt.Mode
	if mode == importer.ModeReplace || t.Create {
		return nil
	}
	if mode == importer.ModeAppend && len(t.key) > 0 && !run.skipKeyConflicts {
		cond, args := run.keyMatch(1)
		from := `imp_stage p JOIN ` + ident(t.Table) + ` t ON ` + cond
		if run.chunk < math.MaxInt {
			// One probe of the key's unique index per feature: the layer grows chunk by chunk and
			// must not be scanned for each. LIMIT keeps the planner from turning it into a join.
			var eq []string
			for _, k := range t.key {
				eq = append(eq, "t."+ident(k)+" = p."+ident(k))
			}
			from = `imp_stage p CROSS JOIN LATERAL (SELECT t.id FROM ` + ident(t.Table) + ` t WHERE ` + strings.Join(eq, " AND ") + ` LIMIT 1) t`
		}
		if _, err := tx.Exec(ctx, `INSERT INTO imp_find SELECT p.idx, 'rejected', 'key_conflict', NULL,
				format('key %s already exists in the layer (feature %s); use mode upsert to update it', p.key, t.id)
			FROM `+from+` WHERE NOT `+rejectedSQL, args...); err != nil {
			return err
		}
	}
	if t.Table == "admin_units" {
		sameKey := "false"
		if mode == importer.ModeUpsert {
			cond, _ := run.keyMatch(1)
			sameKey = cond
		}
		if _, err := tx.Exec(ctx, `INSERT INTO imp_find SELECT p.idx, 'rejected', 'overlapping_validity', 'valid_from',
				format('code %s: its validity overlaps that of the version already stored (feature %s)', p.code, t.id)
			FROM imp_stage p JOIN admin_units t ON t.code = p.code AND t.validity && daterange(p.valid_from, p.valid_to, '[)')
			WHERE NOT (`+sameKey+`) AND NOT `+rejectedSQL); err != nil {
			return err
		}
	}
	return nil
}

// collectFindings moves the findings of the checks into the report: every count, the first
// MaxReportEntries entries.
func (run *importRun) collectFindings(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT level, code, count(*) FROM imp_find GROUP BY level, code`)
	if err != nil {
		return err
	}
	rep := run.rep
	var level, code string
	var n int64
	if _, err := pgx.ForEachRow(rows, []any{&level, &code, &n}, func() error {
		rep.Count(level, code, n)
		return nil
	}); err != nil {
		return err
	}
	var rejected int64
	if err := tx.QueryRow(ctx, `SELECT count(DISTINCT idx) FROM imp_find WHERE level = 'rejected'`).Scan(&rejected); err != nil {
		return err
	}
	run.sqlRej += rejected
	room := rep.Room()
	if room <= 0 {
		return nil
	}
	rows, err = tx.Query(ctx, `SELECT f.idx, coalesce(p.fid, ''), coalesce(p.key, ''), f.level, f.code, coalesce(f.field, ''), f.reason
		FROM imp_find f JOIN imp_stage p USING (idx) ORDER BY f.idx, f.level LIMIT $1`, room)
	if err != nil {
		return err
	}
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (importer.Entry, error) {
		var e importer.Entry
		var idx int32
		err := row.Scan(&idx, &e.ID, &e.Key, &e.Level, &e.Code, &e.Field, &e.Reason)
		e.Index = int(idx)
		return e, err
	})
	if err != nil {
		return err
	}
	rep.Keep(entries)
	return nil
}

// write applies the accepted features of the chunk to the layer. first: this is the first
// chunk, which creates the layer or, in replace mode, empties it.
func (run *importRun) write(ctx context.Context, tx pgx.Tx, first bool) error {
	t, im := run.t, run.im
	if t.Create && first {
		if err := run.createLayer(ctx, tx); err != nil {
			return err
		}
	}
	rel := ident(t.Table)
	if im.opt.Offline && first {
		if err := run.dropIndexes(ctx, tx); err != nil {
			return fmt.Errorf("offline: %w", err)
		}
	}
	if im.opt.Mode == importer.ModeReplace && first {
		sql, args := `DELETE FROM `+rel, []any(nil)
		if t.Generic {
			sql, args = sql+` WHERE layer_id = $1`, []any{im.opt.Layer}
		}
		tag, err := tx.Exec(ctx, sql, args...)
		if err != nil {
			return Classify(err)
		}
		run.counts.Deleted = tag.RowsAffected()
	}
	var insertCols, selectCols string
	if t.Generic {
		insertCols, selectCols = "layer_id, properties", "$2::text, p.props"
	} else {
		insertCols, selectCols = t.colList(""), t.colList("p.")
	}
	// $1 is the import id; for generic layers $2 is the layer id, which keyMatch(2) also uses.
	args := []any{im.id}
	if t.Generic {
		args = append(args, im.opt.Layer)
	}
	if im.opt.Mode == importer.ModeUpsert {
		return run.upsert(ctx, tx, rel, insertCols, selectCols)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO `+rel+` (`+insertCols+`, geom, import_id)
		SELECT `+selectCols+`, p.final_geom, $1 FROM `+run.finalSQL()+` p WHERE NOT `+rejectedSQL, args...)
	if err != nil {
		return Classify(err)
	}
	run.counts.Inserted += tag.RowsAffected()
	return nil
}

// upsert writes the chunk's accepted features in one statement: each is matched with the
// layer's row of the same key by a hash or index join (keyMatch), the rows that really change
// are updated (an unchanged feature keeps its version; the old version goes to history), and
// the features without a row are inserted in the order of the file.
func (run *importRun) upsert(ctx context.Context, tx pgx.Tx, rel, insertCols, selectCols string) error {
	t, im := run.t, run.im
	cond, keyArgs := run.keyMatch(2)
	args := []any{im.id}
	if t.Generic {
		args = append(args, keyArgs...) // $2 is the layer id
	}
	set := "properties = p.props"
	distinct := "(t.properties, t.geom) IS DISTINCT FROM (p.props, p.final_geom)"
	if !t.Generic {
		set = "(" + t.colList("") + ") = ROW(" + t.colList("p.") + ")"
		distinct = "(" + t.colList("t.") + ", t.geom) IS DISTINCT FROM (" + t.colList("p.") + ", p.final_geom)"
	}
	var matched, updated, inserted int64
	err := tx.QueryRow(ctx, `WITH p AS MATERIALIZED (
			SELECT p.*, t.id AS tid FROM `+run.finalSQL()+` p LEFT JOIN `+rel+` t ON `+cond+` WHERE NOT `+rejectedSQL+`),
		upd AS (UPDATE `+rel+` t SET `+set+`, geom = p.final_geom, import_id = $1
			FROM p WHERE t.id = p.tid AND `+distinct+` RETURNING 1),
		ins AS (INSERT INTO `+rel+` (`+insertCols+`, geom, import_id)
			SELECT `+selectCols+`, p.final_geom, $1 FROM p WHERE p.tid IS NULL ORDER BY p.idx RETURNING 1)
		SELECT (SELECT count(*) FROM p WHERE tid IS NOT NULL), (SELECT count(*) FROM upd), (SELECT count(*) FROM ins)`,
		args...).Scan(&matched, &updated, &inserted)
	if err != nil {
		return Classify(err)
	}
	run.counts.Updated += updated
	run.counts.Unchanged += matched - updated
	run.counts.Inserted += inserted
	return nil
}

// createLayer adds the new generic layer to the catalog with the attributes found in the file.
func (run *importRun) createLayer(ctx context.Context, tx pgx.Tx) error {
	type attr struct {
		Name       string `json:"name"`
		Type       string `json:"type"`
		Title      string `json:"title"`
		Visibility string `json:"visibility"`
	}
	attrs := []attr{}
	for _, a := range run.newAttrs {
		attrs = append(attrs, attr{Name: a.Name, Type: a.Type, Title: a.Title, Visibility: VisibilityPublic})
	}
	b, _ := json.Marshal(attrs)
	_, err := tx.Exec(ctx, `INSERT INTO layers (id, title, description, storage, geometry_type, attributes, access)
		VALUES ($1, $2, $3, 'generic', $4, $5, 'public')`,
		run.im.opt.Layer, run.im.opt.Title, fmt.Sprintf("imported from %s (import %d)", run.im.opt.Source, run.im.id), run.layerType, b)
	if err != nil {
		return Classify(err)
	}
	run.counts.LayerCreated = true
	return nil
}

// dropIndexes takes the layer's table offline for an Offline import: locked against readers
// until the transaction ends, without the indexes the load can do without, so that rows are
// written without maintaining them. rebuildIndexes builds them again from the definitions the
// server gave (pg_get_indexdef, pg_get_constraintdef), by sorting, which for a GiST index over a
// million rows is about three times faster than inserting each entry.
//
// Non-unique indexes always go. Unique and primary-key ones go only when the import never looks
// a key up in the layer (a replace, or an append into a layer that was empty, whose duplicates
// the decoder finds), and no foreign key depends on them; building them again checks uniqueness
// over the whole layer. Exclusion constraints stay.
func (run *importRun) dropIndexes(ctx context.Context, tx pgx.Tx) error {
	rel := ident(run.t.Table)
	if _, err := tx.Exec(ctx, `LOCK TABLE `+rel+` IN ACCESS EXCLUSIVE MODE`); err != nil {
		return err
	}
	mode := run.im.opt.Mode
	unique := mode == importer.ModeReplace || (mode == importer.ModeAppend && run.skipKeyConflicts)
	rows, err := tx.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid),
			coalesce(c.conname, ''), coalesce(pg_get_constraintdef(c.oid), '')
		FROM pg_index i
		LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')
		WHERE i.indrelid = $1::regclass AND (c.contype IS NULL OR c.contype <> 'x')
		  AND (NOT i.indisunique OR ($2 AND NOT EXISTS (
		        SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)))
		ORDER BY i.indisunique, i.indexrelid`, rel, unique)
	if err != nil {
		return err
	}
	var drops []string
	var name, indexDef, constraint, constraintDef string
	if _, err := pgx.ForEachRow(rows, []any{&name, &indexDef, &constraint, &constraintDef}, func() error {
		// The index name comes from regclass output, which quotes it as needed.
		if constraint == "" {
			drops = append(drops, `DROP INDEX `+name)
			run.droppedIndexes = append(run.droppedIndexes, indexDef)
		} else {
			drops = append(drops, `ALTER TABLE `+rel+` DROP CONSTRAINT `+ident(constraint))
			run.droppedIndexes = append(run.droppedIndexes, `ALTER TABLE `+rel+` ADD CONSTRAINT `+ident(constraint)+` `+constraintDef)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, q := range drops {
		if _, err := tx.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// rebuildIndexes builds the indexes dropIndexes dropped, constraints last.
func (run *importRun) rebuildIndexes(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT set_config('maintenance_work_mem', '256MB', true)`); err != nil {
		return err
	}
	for _, def := range run.droppedIndexes {
		if _, err := tx.Exec(ctx, def); err != nil {
			// A unique index refusing the layer's rows is the import's fault, said as such.
			return Classify(fmt.Errorf("offline: rebuild an index: %w", err))
		}
	}
	run.droppedIndexes = nil
	return nil
}
