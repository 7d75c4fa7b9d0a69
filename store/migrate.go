package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dongnai-gis/gisd/migrations"
)

// SchemaStatus is where the database's schema stands against the migrations in the binary.
type SchemaStatus struct {
	Version uint // 0 when no migration has run
	Dirty   bool // a migration failed half-way and needs attention
	Latest  uint
}

// Current reports whether the schema is exactly what this binary expects.
func (s SchemaStatus) Current() bool { return !s.Dirty && s.Version == s.Latest }

var migrationName = regexp.MustCompile(`^(\d+)_.*\.up\.sql$`)

// LatestMigration is the highest migration version embedded in the binary.
func LatestMigration() uint {
	entries, _ := fs.ReadDir(migrations.FS, ".")
	var latest uint
	for _, e := range entries {
		if m := migrationName.FindStringSubmatch(e.Name()); m != nil {
			v, _ := strconv.ParseUint(m[1], 10, 32)
			latest = max(latest, uint(v))
		}
	}
	return latest
}

// migrationVersions lists the embedded versions in ascending order.
func migrationVersions() []uint {
	entries, _ := fs.ReadDir(migrations.FS, ".")
	var vs []uint
	for _, e := range entries {
		if m := migrationName.FindStringSubmatch(e.Name()); m != nil {
			v, _ := strconv.ParseUint(m[1], 10, 32)
			vs = append(vs, uint(v))
		}
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	return vs
}

// Migrator runs the embedded migrations with golang-migrate on its own connection (it takes an
// advisory lock so two instances starting with --migrate do not race).
type Migrator struct {
	db *sql.DB
	m  *migrate.Migrate
}

// NewMigrator opens a migrator on the database at url.
func NewMigrator(url string) (*Migrator, error) {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	cfg, err := pgxConnConfig(url)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg)
	drv, err := migratepgx.WithInstance(db, &migratepgx.Config{MigrationsTable: "schema_migrations"})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return &Migrator{db: db, m: m}, nil
}

// Close releases the migrator's connection.
func (mg *Migrator) Close() error {
	srcErr, dbErr := mg.m.Close()
	return errors.Join(srcErr, dbErr)
}

// Up applies every pending migration.
func (mg *Migrator) Up() error {
	if err := mg.m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("store: migrate up: %w", err)
	}
	return nil
}

// Down reverts the given number of migrations (all of them when steps <= 0).
func (mg *Migrator) Down(steps int) error {
	var err error
	if steps <= 0 {
		err = mg.m.Down()
	} else {
		err = mg.m.Steps(-steps)
	}
	if err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("store: migrate down: %w", err)
	}
	return nil
}

// Status reports the database's schema version against the binary's.
func (mg *Migrator) Status() (SchemaStatus, error) {
	v, dirty, err := mg.m.Version()
	if err != nil && !errors.Is(err, migrate.ErrNilVersion) {
		return SchemaStatus{}, fmt.Errorf("store: schema version: %w", err)
	}
	return SchemaStatus{Version: v, Dirty: dirty, Latest: LatestMigration()}, nil
}

// SchemaStatus reads the schema version through the pool (cheap enough for /readyz).
func (s *Store) SchemaStatus(ctx context.Context) (SchemaStatus, error) {
	st := SchemaStatus{Latest: LatestMigration()}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return st, fmt.Errorf("store: schema version: %w", err)
	}
	if !exists {
		return st, nil
	}
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&v, &st.Dirty)
	if err != nil && !errors.Is(err, errNoRows) {
		return st, fmt.Errorf("store: schema version: %w", err)
	}
	st.Version = uint(v)
	return st, nil
}
