package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
)

// Sentinel errors. Every error store returns that a caller may act on wraps exactly one of them;
// callers test them with errors.Is, and api maps each to an HTTP status in one table.
var (
	// ErrNotFound: the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a value the caller gave is refused (out of range, of the wrong type, breaking
	// a rule of the schema).
	ErrInvalid = errors.New("invalid")
	// ErrConflict: the change conflicts with data already there (a duplicate key, an overlap).
	ErrConflict = errors.New("conflict")
	// ErrOutdated: the database schema is not the one this binary was built for.
	ErrOutdated = errors.New("schema is not at the latest migration")
	// ErrNotSupported: a request store understands but does not do.
	ErrNotSupported = errors.New("not supported")
	// ErrLocked: a statement gave up waiting for a lock (the pool's lock_timeout), typically on a
	// layer an offline import holds. Worth retrying shortly.
	ErrLocked = errors.New("locked")
	// ErrTimeout: the database stopped a statement because it ran out of time.
	ErrTimeout = errors.New("timed out")
	// ErrUnavailable: the database cannot be reached or is not accepting work (down, restarting,
	// in recovery, failing over, out of connections). Worth retrying shortly; never the client's
	// fault.
	ErrUnavailable = errors.New("database unavailable")
	// ErrPrecondition: a write whose expected version is not the feature's current one.
	ErrPrecondition = errors.New("the feature has changed since that version")
	// ErrBadKey: a presented API key that is malformed, unknown, revoked or expired. It
	// deliberately does not say which.
	ErrBadKey = errors.New("invalid API key")
	// ErrForbidden: the caller may not change what it asked to change, such as a personal
	// attribute written without the right to read it.
	ErrForbidden = errors.New("forbidden")
)

// ErrCursor is a page cursor that is malformed or was made for another sort order; it is an
// ErrInvalid too.
var ErrCursor = fmt.Errorf("%w: page cursor", ErrInvalid)

// Error is an error whose Message a client may read. Kind is the sentinel it belongs to,
// Message a sentence written for people (no SQL, no server message, no package prefix), and the
// cause, if any, is what the logs need: Error() carries it, ClientMessage() never does.
//
// Store code adds context for the logs around it with fmt.Errorf("store: …: %w", err); whoever
// answers a client reads ClientMessage, so nothing has to cut prefixes off an error string.
type Error struct {
	Kind error
	// Constraint names the schema rule that refused the data, when the database refused it.
	Constraint string
	Message    string
	cause      error
}

// DBError is the name Error had while it only described refusals by the database.
type DBError = Error

func (e *Error) Error() string {
	s := e.Kind.Error() + ": " + e.Message
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

// ClientMessage is the sentence a client is told.
func (e *Error) ClientMessage() string { return e.Message }

// Is makes errors.Is(err, e.Kind) hold, and errors.Is(err, ErrInvalid) when Kind wraps it.
func (e *Error) Is(target error) bool { return errors.Is(e.Kind, target) }

func (e *Error) Unwrap() error { return e.cause }

// clientError makes an Error of kind whose message is written for the client.
func clientError(kind error, format string, a ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, a...)}
}

func invalidf(format string, a ...any) error { return clientError(ErrInvalid, format, a...) }

// ClientMessage is what err says to a client: the ClientMessage of the first error in its chain
// that has one (errors of store, cql2, geo and api do), else its text.
func ClientMessage(err error) string {
	var cm interface{ ClientMessage() string }
	if errors.As(err, &cm) {
		return cm.ClientMessage()
	}
	return err.Error()
}

// Sentences for errors whose server message must not reach a client.
const (
	msgUnavailable = "the database is unavailable; try again shortly"
	msgLocked      = "the data is locked by another change (an offline import, a migration); try again shortly"
	msgTimeout     = "the database stopped the statement because it took too long"
	msgValue       = "a value in the request is out of range or not valid for its type"
	msgGeometry    = "a geometry in the request cannot be used (is it valid, and in the CRS it claims?)"
	msgTooComplex  = "the request is too large or too complex for the database; make it smaller"
)

// Classify is the one place that reads PostgreSQL and driver errors. It turns err into an
// *Error of the sentinel it means, keeping err as the cause for the logs:
//
//   - the database cannot be reached or is not accepting work (connection refused or lost,
//     SQLSTATE class 08, 57P01–57P03 admin or crash shutdown and "the database
//     system is starting up / shutting down", class 53 out of connections or resources, 25006 a
//     standby after a failover): ErrUnavailable;
//   - 55P03 lock_timeout: ErrLocked; 57014 statement_timeout: ErrTimeout;
//   - 23505 and 23P01 (a duplicate key, an overlap): ErrConflict; other integrity violations
//     (class 23), data exceptions (class 22: out of range, bad text for a type, NUL bytes),
//     program limits (class 54: a statement too complex) and XX000 (GEOS and PROJ refusing a
//     geometry the client sent): ErrInvalid.
//
// The server's own message never becomes the client's: it names tables, columns and internals
// (and for XX000 the insides of GEOS). Messages our own triggers raise with RAISE are written for
// people and are kept. Errors of other kinds — context cancellation, pgx.ErrNoRows, errors of
// our own SQL (class 42) — come back unchanged, to be handled by the caller or logged as server
// errors. Classifying twice is harmless.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if kind, msg := pgKind(pgErr); kind != nil {
			return &Error{Kind: kind, Constraint: pgErr.ConstraintName, Message: msg, cause: err}
		}
		return err
	}
	if connectionLost(err) {
		return &Error{Kind: ErrUnavailable, Message: msgUnavailable, cause: err}
	}
	return err
}

// pgKind is the sentinel and client sentence of a server error, or nil when the error is ours
// (a bug to log) rather than the client's or the database's state.
func pgKind(e *pgconn.PgError) (error, string) {
	code, class := e.Code, e.Code[:min(2, len(e.Code))]
	switch {
	case class == "08", class == "53", code == "57P01", code == "57P02", code == "57P03", code == "25006":
		return ErrUnavailable, msgUnavailable
	case code == "55P03":
		return ErrLocked, msgLocked
	case code == "57014":
		return ErrTimeout, msgTimeout
	case code == "23505", code == "23P01":
		return ErrConflict, ownMessage(e, "the change conflicts with data already there"+rule(e))
	case class == "23":
		return ErrInvalid, ownMessage(e, integrityMessage(e))
	case class == "22":
		return ErrInvalid, msgValue
	case class == "54":
		return ErrInvalid, msgTooComplex
	case code == "XX000":
		return ErrInvalid, msgGeometry
	}
	return nil, ""
}

// ownMessage keeps a message our own PL/pgSQL raised (the migrations' triggers write them for
// people: "parcel 25195/12/345: unknown land-use code or bad area: XYZ") and otherwise says
// fallback.
func ownMessage(e *pgconn.PgError, fallback string) string {
	if e.Routine == "exec_stmt_raise" && e.Message != "" {
		return e.Message
	}
	return fallback
}

func rule(e *pgconn.PgError) string {
	if e.ConstraintName == "" {
		return ""
	}
	return " (rule " + e.ConstraintName + ")"
}

func integrityMessage(e *pgconn.PgError) string {
	switch e.Code {
	case "23502":
		if e.ColumnName != "" {
			return "the required value " + e.ColumnName + " is missing"
		}
		return "a required value is missing"
	case "23503":
		return "a value refers to something that does not exist" + rule(e)
	case "23514":
		return "a value breaks a rule of the data" + rule(e)
	}
	return "the data breaks a rule of the database" + rule(e)
}

// connectionLost reports whether err says the database could not be reached or the connection
// broke. A cancellation by the caller, which pgx also reports as a network error, is not one; nor
// is an EOF or a network error that did not come from pgx (a client's upload cut short), which is
// why those count only inside pgconn's own errors (the ones that say whether a retry is safe).
func connectionLost(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.Is(err, pgconn.ErrConnClosed) {
		return true
	}
	var fromPgconn interface{ SafeToRetry() bool }
	var ne net.Error
	return errors.As(err, &fromPgconn) &&
		(errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.As(err, &ne))
}
