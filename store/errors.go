package store

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// Sentinel errors. Callers test them with errors.Is; api maps them to HTTP statuses in one place.
var (
	ErrNotFound     = errors.New("not found")
	ErrInvalid      = errors.New("invalid")
	ErrConflict     = errors.New("conflict")
	ErrOutdated     = errors.New("schema is not at the latest migration")
	ErrNotSupported = errors.New("not supported")
	// ErrLocked: a statement gave up waiting for a lock (the pool's lock_timeout), typically on a
	// layer an offline import holds. Worth retrying shortly.
	ErrLocked = errors.New("locked")
	// ErrTimeout: the database stopped a statement because it ran out of time.
	ErrTimeout = errors.New("timed out")
	// ErrUnavailable: the database cannot be reached or is not accepting work (down, restarting,
	// in recovery, failing over). Worth retrying shortly; never the client's fault.
	ErrUnavailable = errors.New("database unavailable")
)

// lockError turns lock_not_available (the pool's lock_timeout ran out) into ErrLocked, and
// returns nil for any other error.
func lockError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "55P03" {
		return &DBError{Kind: ErrLocked, Message: "the data is locked by another change (an offline import, a migration); try again shortly", cause: err}
	}
	return nil
}

// constraintError turns a PostgreSQL integrity violation into ErrInvalid or ErrConflict with the
// database's own message (it names the row, never the SQL). Other errors pass through unchanged.
func constraintError(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	if le := lockError(err); le != nil {
		return le
	}
	switch pgErr.Code {
	case "23505", "23P01": // unique_violation, exclusion_violation
		return &DBError{Kind: ErrConflict, Constraint: pgErr.ConstraintName, Message: pgErr.Message, cause: err}
	case "23514", "23502", "23503", "22P02", "22023", "XX000", "23000":
		// check, not null, foreign key, invalid text, invalid parameter, PostGIS geometry errors
		return &DBError{Kind: ErrInvalid, Constraint: pgErr.ConstraintName, Message: pgErr.Message, cause: err}
	}
	return err
}

// DBError is a constraint the database refused. Message is the database's human-readable
// sentence; it never contains SQL text.
type DBError struct {
	Kind       error
	Constraint string
	Message    string
	cause      error
}

func (e *DBError) Error() string {
	if e.Constraint != "" {
		return "store: " + e.Constraint + ": " + e.Message
	}
	return "store: " + e.Message
}

// Is makes errors.Is(err, ErrInvalid) and errors.Is(err, ErrConflict) work.
func (e *DBError) Is(target error) bool { return target == e.Kind }

func (e *DBError) Unwrap() error { return e.cause }
