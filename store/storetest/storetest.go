// Package storetest gives integration tests a real, migrated PostGIS database of their own.
//
// It reads GISD_TEST_DATABASE_URL (a database on a server where the role may create databases).
// When the variable is unset the test is skipped, saying why — unless GISD_REQUIRE_DB=1 (set by
// `make test` and CI), in which case it fails, so a missing database can never pass silently.
//
// Databases are cloned from templates (CREATE DATABASE ... TEMPLATE) that are built once per
// schema and demo version, so each test package gets an isolated copy in about a second.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dongnai-gis/gisd/migrations"
	"github.com/dongnai-gis/gisd/store"
)

// BaseURL returns the test server's URL, or skips/fails the test when there is none.
func BaseURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("GISD_TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("GISD_REQUIRE_DB") == "1" {
			tb.Fatal("GISD_REQUIRE_DB=1 but GISD_TEST_DATABASE_URL is unset: run `make test`, which starts a local PostGIS")
		}
		tb.Skip("GISD_TEST_DATABASE_URL is unset: this integration test needs PostGIS (`make test` provides one)")
	}
	return u
}

// Empty returns the URL of a new empty database (no migrations), dropped when the test ends.
func Empty(tb testing.TB) string {
	tb.Helper()
	return clone(tb, "template0")
}

// Migrated returns the URL of a new database at the latest schema, dropped when the test ends.
func Migrated(tb testing.TB) string {
	tb.Helper()
	tmpl := ensureTemplate(tb, "gisd_tmpl_"+schemaHash(), func(u string) error {
		m, err := store.NewMigrator(u)
		if err != nil {
			return err
		}
		defer m.Close()
		return m.Up()
	})
	return clone(tb, tmpl)
}

// Demo returns the URL of a new database at the latest schema holding the demo province (the
// 50,000-parcel Bình Phước demo that `gisd demo` loads), dropped when the test ends.
func Demo(tb testing.TB) string {
	tb.Helper()
	migrated := "gisd_tmpl_" + schemaHash()
	ensureTemplate(tb, migrated, func(u string) error {
		m, err := store.NewMigrator(u)
		if err != nil {
			return err
		}
		defer m.Close()
		return m.Up()
	})
	tmpl := ensureTemplateFrom(tb, "gisd_tmpl_demo_"+schemaHash()+"_"+store.DemoVersion, migrated, func(u string) error {
		ctx := context.Background()
		st, err := store.Open(ctx, store.Config{URL: u, MaxConns: 4, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return err
		}
		defer st.Close()
		_, err = st.LoadDemo(ctx, store.DemoOptions{})
		return err
	})
	return clone(tb, tmpl)
}

// Pool opens a pool on url, closed when the test ends, for the test's own SQL: fixtures, and
// checks of what the code under test wrote. The code under test reaches the database through
// a store (Store) only.
func Pool(tb testing.TB, u string) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), u)
	if err != nil {
		tb.Fatalf("open pool: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// Store opens a store on url with its catalog loaded, closed when the test ends.
func Store(tb testing.TB, u string) *store.Store {
	tb.Helper()
	return StoreWith(tb, store.Config{URL: u})
}

// StoreWith opens a store configured by cfg (cfg.URL from Migrated, Demo...) with its catalog
// loaded, closed when the test ends. MaxConns defaults to 8 and the logger discards.
func StoreWith(tb testing.TB, cfg store.Config) *store.Store {
	tb.Helper()
	if cfg.MaxConns == 0 {
		cfg.MaxConns = 8
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := store.Open(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(s.Close)
	if _, err := s.LoadCatalog(context.Background()); err != nil {
		tb.Fatalf("load catalog: %v", err)
	}
	opened.Store(s, &dbOf{url: cfg.URL, tb: tb})
	tb.Cleanup(func() { opened.Delete(s) })
	return s
}

// opened remembers the database of every store Store opened, for DB.
var opened sync.Map // *store.Store -> dbOf

type dbOf struct {
	url  string
	tb   testing.TB // the test that opened the store: the pool DB opens lives as long
	once sync.Once
	pool *pgxpool.Pool
}

// DB is a pool on the database behind s (a store Store or StoreWith opened), for the test's own
// SQL; it lives as long as s.
func DB(tb testing.TB, s *store.Store) *pgxpool.Pool {
	tb.Helper()
	v, ok := opened.Load(s)
	if !ok {
		tb.Fatal("storetest.DB: the store was not opened by storetest.Store")
	}
	d := v.(*dbOf)
	d.once.Do(func() { d.pool = Pool(d.tb, d.url) })
	return d.pool
}

// schemaHash names templates after the migrations' content, so a changed migration gets a new
// template instead of a stale one.
func schemaHash() string {
	h := sha256.New()
	_ = fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(migrations.FS, p)
		h.Write([]byte(p))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func withDatabase(raw, db string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + db
	return u.String()
}

func admin(tb testing.TB) *pgx.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, withDatabase(BaseURL(tb), "postgres"))
	if err != nil {
		tb.Fatalf("storetest: connect to the test server: %v", err)
	}
	return conn
}

func ensureTemplate(tb testing.TB, name string, build func(url string) error) string {
	tb.Helper()
	return ensureTemplateFrom(tb, name, "template0", build)
}

// ensureTemplateFrom builds template name from base once, across concurrently running test
// packages: an advisory lock serializes builders and a finished template is marked by a comment.
func ensureTemplateFrom(tb testing.TB, name, base string, build func(url string) error) string {
	tb.Helper()
	ctx := context.Background()
	conn := admin(tb)
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(7318001)`); err != nil {
		tb.Fatalf("storetest: lock: %v", err)
	}
	defer conn.Exec(ctx, `SELECT pg_advisory_unlock(7318001)`) //nolint:errcheck
	var ready bool
	err := conn.QueryRow(ctx, `SELECT coalesce(shobj_description(oid, 'pg_database'), '') = 'ready'
		FROM pg_database WHERE datname = $1`, name).Scan(&ready)
	if err == nil && ready {
		return name
	}
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+ident+` WITH (FORCE)`); err != nil {
		tb.Fatalf("storetest: drop stale template: %v", err)
	}
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+ident+` TEMPLATE `+pgx.Identifier{base}.Sanitize()); err != nil {
		tb.Fatalf("storetest: create template %s: %v", name, err)
	}
	start := time.Now()
	if err := build(withDatabase(BaseURL(tb), name)); err != nil {
		_, _ = conn.Exec(ctx, `DROP DATABASE IF EXISTS `+ident+` WITH (FORCE)`)
		tb.Fatalf("storetest: build template %s: %v", name, err)
	}
	tb.Logf("storetest: built template %s in %v", name, time.Since(start).Round(time.Millisecond))
	if _, err := conn.Exec(ctx, `COMMENT ON DATABASE `+ident+` IS 'ready'`); err != nil {
		tb.Fatalf("storetest: mark template: %v", err)
	}
	return name
}

func clone(tb testing.TB, tmpl string) string {
	tb.Helper()
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "gisd_test_" + sanitize(tb.Name()) + "_" + hex.EncodeToString(b[:])
	ident := pgx.Identifier{name}.Sanitize()
	conn := admin(tb)
	defer conn.Close(ctx)
	// A template may not have other sessions while it is copied; retry briefly if another package
	// is cloning it at the same moment.
	var err error
	for i := 0; i < 50; i++ {
		_, err = conn.Exec(ctx, `CREATE DATABASE `+ident+` TEMPLATE `+pgx.Identifier{tmpl}.Sanitize())
		if err == nil || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		tb.Fatalf("storetest: create database: %v", err)
	}
	tb.Cleanup(func() {
		c := admin(tb)
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `DROP DATABASE IF EXISTS `+ident+` WITH (FORCE)`); err != nil {
			tb.Logf("storetest: drop %s: %v", name, err)
		}
	})
	return withDatabase(BaseURL(tb), name)
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 30 {
			break
		}
	}
	return b.String()
}
