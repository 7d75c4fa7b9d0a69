package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/dongnai-gis/gisd/store"
)

// dbSettings are the database settings every command that touches the database shares.
type dbSettings struct {
	URL         string
	MaxConns    int
	LockTimeout time.Duration
}

func (d *dbSettings) register(s *settings) {
	s.String(&d.URL, "database-url", "DATABASE_URL", "", "PostgreSQL/PostGIS connection URL (required)")
	s.Int(&d.MaxConns, "db-max-conns", "GISD_DB_MAX_CONNS", 16, "maximum connections in the pool")
	s.Duration(&d.LockTimeout, "lock-timeout", "GISD_LOCK_TIMEOUT", 5*time.Second,
		"longest a request waits for a lock (a layer an offline import holds) before a 503; imports wait as long as they need")
}

func (d *dbSettings) validate() error {
	if d.URL == "" {
		return usagef("--database-url / DATABASE_URL is required (make run and make test set it for the local cluster)")
	}
	if d.MaxConns < 1 || d.MaxConns > 1000 {
		return usagef("--db-max-conns %d: want 1..1000", d.MaxConns)
	}
	if d.LockTimeout < 0 {
		return usagef("--lock-timeout %s: want 0 (the server's) or more", d.LockTimeout)
	}
	return nil
}

// parse reads a database command's flags and positional arguments, and checks the database
// settings.
func (d *dbSettings) parse(s *settings, args []string) ([]string, error) {
	rest, err := s.parseWithArgs(args)
	if err != nil {
		return nil, asUsage(err)
	}
	return rest, d.validate()
}

// openCurrent opens the store for a command that works on the schema this binary knows, and
// refuses a database at another version.
func (d *dbSettings) openCurrent(ctx context.Context, log *slog.Logger) (*store.Store, error) {
	if err := ensureSchema(d.URL, false, func(string, ...any) {}); err != nil {
		return nil, err
	}
	return d.open(ctx, 0, log)
}

// open opens the store every command that touches the database goes through; log nil discards
// the store's own messages.
func (d *dbSettings) open(ctx context.Context, statementTimeout time.Duration, log *slog.Logger) (*store.Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := store.Open(ctx, store.Config{URL: d.URL, MaxConns: int32(d.MaxConns), StatementTimeout: statementTimeout,
		LockTimeout: d.LockTimeout, Logger: log})
	if errors.Is(err, store.ErrNoPostGIS) {
		return nil, fmt.Errorf("%w; run gisd migrate up", err)
	}
	return st, err
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s := newSettings("migrate", "gisd migrate up | down [N] | version\n\nApplies the migrations embedded in this binary; down without N reverts all of them.")
	s.fs.SetOutput(stderr)
	var db dbSettings
	db.register(s)
	rest, err := db.parse(s, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("want up, down [N] or version")
	}
	m, err := store.NewMigrator(db.URL)
	if err != nil {
		return err
	}
	defer m.Close()
	switch rest[0] {
	case "up":
		if len(rest) > 1 {
			return usagef("up takes no argument")
		}
		if err := m.Up(); err != nil {
			return err
		}
	case "down":
		steps := 0
		if len(rest) > 2 {
			return usagef("down takes at most one argument")
		}
		if len(rest) == 2 {
			n, err := strconv.Atoi(rest[1])
			if err != nil || n < 1 {
				return usagef("down %q: want a positive number of steps", rest[1])
			}
			steps = n
		}
		if err := m.Down(steps); err != nil {
			return err
		}
	case "version":
		if len(rest) > 1 {
			return usagef("version takes no argument")
		}
	default:
		return usagef("unknown migrate action %q: want up, down [N] or version", rest[0])
	}
	st, err := m.Status()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema version %d (this gisd: %d)%s\n", st.Version, st.Latest, map[bool]string{true: ", DIRTY", false: ""}[st.Dirty])
	return nil
}
