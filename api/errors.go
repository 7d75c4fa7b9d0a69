package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/auth/lgsp"
	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/geo/geojson"
	"github.com/dongnai-gis/gisd/importer"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/tiles"
	"github.com/dongnai-gis/gisd/vntime"
)

// This file is the one place that decides what an error means to a client. Packages below
// return sentinel errors (store.ErrNotFound, cql2.ErrSyntax, tiles.ErrTimeout …) with context
// for the logs and, where a person should read it, a client message (a ClientMessage method);
// api raises its own sentinels below for what it refuses itself. errorTable maps each sentinel
// to a status, a problem type and a title; handlers answer with fail, the audit records
// statusOf, and the metrics count the problem type fail wrote — so all three agree.
//
// 400 or 422 is decided once, by where the fault lies:
//   - 400 Bad Request: the request is malformed — a query or path parameter or a header that is
//     unknown, repeated, does not parse or is outside its documented range (OGC API – Features
//     requires 400 for every invalid parameter), a body that is not JSON or has the wrong shape
//     (a member of the wrong JSON type, an unknown member of the request's envelope), NUL bytes
//     or invalid UTF-8 anywhere;
//   - 422 Unprocessable Content: the body is well-formed but what it says is refused — an
//     invalid geometry, a property the layer does not have or a value of the wrong type for it,
//     a value a constraint of the data refuses, an out-of-range member, a file whose CRS does not
//     fit its coordinates. Handlers mark such errors with content().

// api's own sentinels: what the HTTP layer refuses before anything reaches the packages below.
var (
	errBadRequest           = errors.New("malformed request")
	errUnauthorized         = errors.New("no valid credentials")
	errForbidden            = errors.New("not allowed")
	errNotFound             = errors.New("no such resource")
	errMethodNotAllowed     = errors.New("method not allowed")
	errPreconditionFailed   = errors.New("precondition failed")
	errTooLarge             = errors.New("request body too large")
	errUnsupportedMedia     = errors.New("unsupported media type")
	errContent              = errors.New("invalid content")
	errPreconditionRequired = errors.New("precondition required")
	errRateLimited          = errors.New("rate limit exceeded")
	errHeadersTooLarge      = errors.New("request headers too large")
	errBusy                 = errors.New("busy")
	errUploadTimeout        = errors.New("upload too slow")
	errAudit                = errors.New("audit log not written")
	errClientGone           = errors.New("the client went away")
)

// problemTypeBase prefixes every problem type. Types are tag URIs (RFC 4151), which RFC 9457
// names as the way to identify a problem without promising a page behind it; the README lists
// them.
const problemTypeBase = "tag:dongnai-gis.github.io,2026:problem/"

// statusClientClosed is nginx's 499: the client went away before the answer; nobody reads it.
const statusClientClosed = 499

// problemKind is one row of the error table: what errors of one sentinel mean to a client.
type problemKind struct {
	err    error  // the sentinel; the first row whose sentinel errors.Is finds wins
	status int    // the HTTP status
	name   string // the problem type is problemTypeBase + name
	title  string
	// detail is said when the error carries no client message of its own.
	detail string
	// param names the request parameter such errors are always about, for invalid-params.
	param string
	// retryAfter is the Retry-After, in seconds, of a refusal worth retrying (0: none).
	retryAfter int
}

const (
	detailInternal = "the server could not complete the request; it has been logged with this request id"
	detailCursor   = "the page cursor is malformed or belongs to another sortby; follow the links of a previous page"
)

// errorTable is every sentinel gisd's packages return, with what it means over HTTP. Order
// matters where one error can match two rows: server-side states first (a refusal caused by an
// outage is an outage), then the specific before the general (a cursor before other invalid
// input). A new sentinel gets a row here and a case in TestErrorTable_EverySentinel.
var errorTable = []problemKind{
	{err: errClientGone, status: statusClientClosed, name: "client-closed-request", title: "Client closed request",
		detail: "the client went away before the answer"},

	{err: store.ErrUnavailable, status: 503, name: "unavailable", title: "Database unavailable", retryAfter: 5,
		detail: "the database is unavailable; try again shortly"},
	{err: store.ErrOutdated, status: 503, name: "schema-outdated", title: "Schema outdated", retryAfter: 60,
		detail: "the database schema is not the one this gisd needs; run gisd migrate up"},
	{err: store.ErrLocked, status: 503, name: "locked", title: "Data locked", retryAfter: 5,
		detail: "the data is locked by another change (an offline import, a migration); try again shortly"},
	{err: tiles.ErrTimeout, status: 503, name: "timeout", title: "Timed out", retryAfter: 5,
		detail: "the tile took too long to render; try again shortly"},
	{err: store.ErrTimeout, status: 503, name: "timeout", title: "Timed out", retryAfter: 10,
		detail: "the query took too long; narrow it with bbox or filter"},
	{err: context.DeadlineExceeded, status: 503, name: "timeout", title: "Timed out", retryAfter: 10,
		detail: "the request took too long; try again shortly"},
	{err: lgsp.ErrUnavailable, status: 503, name: "unavailable", title: "Token issuer unavailable", retryAfter: 30,
		detail: "the integration platform's signing keys cannot be fetched, so no token can be checked now; try again later"},
	{err: errBusy, status: 503, name: "busy", title: "Busy", retryAfter: 30,
		detail: "the server is busy; try again later"},
	{err: errAudit, status: 500, name: "audit-failed", title: "Audit failed",
		detail: "personal data cannot be released because the audit log could not be written"},

	{err: errHeadersTooLarge, status: 431, name: "headers-too-large", title: "Request header fields too large"},
	{err: errUploadTimeout, status: 408, name: "request-timeout", title: "Request timeout",
		detail: "the upload stalled or was too slow, and was given up"},
	{err: errRateLimited, status: 429, name: "rate-limited", title: "Too many requests"},
	{err: errPreconditionRequired, status: 428, name: "precondition-required", title: "Precondition required"},
	{err: errContent, status: 422, name: "invalid-content", title: "Invalid content",
		detail: "the content of the request is refused"},
	{err: store.ErrTooManyRejected, status: 422, name: "invalid-content", title: "Invalid content",
		detail: "too many features were rejected; nothing was written"},
	{err: geo.ErrCRSMismatch, status: 422, name: "invalid-content", title: "Invalid content",
		detail: "the coordinates do not fit the CRS the data declares"},
	{err: importer.ErrInvalid, status: 422, name: "invalid-content", title: "Invalid content",
		detail: "the file breaks a rule of imports"},
	{err: errUnsupportedMedia, status: 415, name: "unsupported-media-type", title: "Unsupported media type"},
	{err: errTooLarge, status: 413, name: "too-large", title: "Content too large"},
	{err: store.ErrPrecondition, status: 412, name: "precondition-failed", title: "Precondition failed",
		detail: "the feature has changed since the version in If-Match; GET it again and reapply your change"},
	{err: errPreconditionFailed, status: 412, name: "precondition-failed", title: "Precondition failed"},
	{err: store.ErrConflict, status: 409, name: "conflict", title: "Conflict",
		detail: "the change conflicts with data already there"},
	{err: errMethodNotAllowed, status: 405, name: "method-not-allowed", title: "Method not allowed"},
	{err: tiles.ErrUnknownLayer, status: 404, name: "not-found", title: "Not found", param: "layers"},
	{err: store.ErrNotFound, status: 404, name: "not-found", title: "Not found", detail: "no such resource"},
	{err: errNotFound, status: 404, name: "not-found", title: "Not found", detail: "no such resource"},
	{err: store.ErrForbidden, status: 403, name: "forbidden", title: "Forbidden",
		detail: "this key may not change that data"},
	{err: errForbidden, status: 403, name: "forbidden", title: "Forbidden"},
	{err: store.ErrBadKey, status: 401, name: "unauthorized", title: "Unauthorized",
		detail: "the API key is not valid (unknown, revoked or expired)"},
	// A platform token that is refused: lgsp's reason is the detail.
	{err: lgsp.ErrTooLarge, status: 401, name: "unauthorized", title: "Unauthorized", detail: "token too large"},
	{err: lgsp.ErrMalformed, status: 401, name: "unauthorized", title: "Unauthorized", detail: "token malformed"},
	{err: lgsp.ErrAlgorithm, status: 401, name: "unauthorized", title: "Unauthorized", detail: "token algorithm not accepted"},
	{err: lgsp.ErrUnknownKey, status: 401, name: "unauthorized", title: "Unauthorized", detail: "token signing key unknown"},
	{err: lgsp.ErrSignature, status: 401, name: "unauthorized", title: "Unauthorized", detail: "token signature invalid"},
	{err: lgsp.ErrIssuer, status: 401, name: "unauthorized", title: "Unauthorized", detail: "token issuer not accepted"},
	{err: lgsp.ErrAudience, status: 401, name: "unauthorized", title: "Unauthorized", detail: "token audience not accepted"},
	{err: lgsp.ErrExpired, status: 401, name: "unauthorized", title: "Unauthorized", detail: "token expired"},
	{err: lgsp.ErrNotYetValid, status: 401, name: "unauthorized", title: "Unauthorized", detail: "token not yet valid"},
	{err: lgsp.ErrClaims, status: 401, name: "unauthorized", title: "Unauthorized", detail: "token claims not accepted"},
	{err: errUnauthorized, status: 401, name: "unauthorized", title: "Unauthorized"},

	{err: store.ErrCursor, status: 400, name: "invalid-parameter", title: "Invalid parameter", param: "cursor", detail: detailCursor},
	{err: cql2.ErrSyntax, status: 400, name: "invalid-parameter", title: "Invalid parameter", param: "filter",
		detail: "the filter is not valid CQL2"},
	{err: cql2.ErrProperty, status: 400, name: "invalid-parameter", title: "Invalid parameter", param: "filter",
		detail: "the filter names a property that cannot be queried"},
	{err: cql2.ErrType, status: 400, name: "invalid-parameter", title: "Invalid parameter", param: "filter",
		detail: "the filter compares values of types that do not fit"},
	{err: tiles.ErrInvalid, status: 400, name: "invalid-parameter", title: "Invalid parameter"},
	{err: vntime.ErrDate, status: 400, name: "invalid-parameter", title: "Invalid parameter", detail: "want a date as YYYY-MM-DD"},
	{err: geo.ErrUnknownCRS, status: 400, name: "invalid-parameter", title: "Invalid parameter", detail: "unknown CRS"},
	{err: geo.ErrInvalidBBox, status: 400, name: "invalid-parameter", title: "Invalid parameter", param: "bbox", detail: "invalid bbox"},
	{err: geo.ErrInvalidTile, status: 400, name: "invalid-parameter", title: "Invalid parameter", detail: "invalid tile address"},
	{err: geo.ErrOutOfRange, status: 400, name: "invalid-parameter", title: "Invalid parameter", detail: "a coordinate is out of range"},
	{err: geojson.ErrInvalid, status: 400, name: "bad-request", title: "Bad request", detail: "the body is not valid GeoJSON"},
	{err: errBadRequest, status: 400, name: "bad-request", title: "Bad request", detail: "the request is malformed"},
	{err: store.ErrNotSupported, status: 400, name: "bad-request", title: "Bad request", detail: "the request asks for something gisd does not do"},
	{err: store.ErrInvalid, status: 400, name: "bad-request", title: "Bad request",
		detail: "a value in the request is out of range or not valid for its type"},
}

// internalKind answers every error the table does not know: a bug or a failure to log.
var internalKind = problemKind{status: 500, name: "internal", title: "Internal server error", detail: detailInternal}

// kindOf is the row of err.
func kindOf(err error) *problemKind {
	for i := range errorTable {
		if errors.Is(err, errorTable[i].err) {
			return &errorTable[i]
		}
	}
	return &internalKind
}

// Problem is an RFC 9457 problem detail. Every error gisd sends, 404s of unknown routes included,
// is one of these; none carries SQL text, a server message or an internal package's prefix.
type Problem struct {
	Type          string         `json:"type"`
	Title         string         `json:"title"`
	Status        int            `json:"status"`
	Detail        string         `json:"detail,omitempty"`
	Instance      string         `json:"instance,omitempty"`
	RequestID     string         `json:"request_id,omitempty"`
	InvalidParams []InvalidParam `json:"invalid-params,omitempty"`
}

// InvalidParam names one request parameter that was wrong and why.
type InvalidParam struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

const problemContentType = "application/problem+json"

// ParamError is a validation failure of one named request parameter (400).
type ParamError struct {
	Name   string
	Reason string
}

func (e *ParamError) Error() string { return "invalid parameter " + e.Name + ": " + e.Reason }

// ClientMessage is Error: it is written for the client.
func (e *ParamError) ClientMessage() string { return e.Error() }

func (e *ParamError) Unwrap() error { return errBadRequest }

// clientError is an error api raises itself: one of its sentinels (kind), the sentence the
// client reads, the parameters at fault, and what caused it, for the logs.
type clientError struct {
	kind       error
	msg        string
	params     []InvalidParam
	retryAfter int // seconds; 0 means the table's
	cause      error
}

func (e *clientError) Error() string {
	s := e.kind.Error()
	if e.msg != "" {
		s += ": " + e.msg
	}
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

func (e *clientError) ClientMessage() string { return e.msg }

func (e *clientError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// errorf makes an api error of kind whose message, formatted, is for the client.
func errorf(kind error, format string, a ...any) *clientError {
	return &clientError{kind: kind, msg: fmt.Sprintf(format, a...)}
}

// notFound is the 404 of a resource that does not exist (or that the caller may not see).
func notFound(format string, a ...any) *clientError { return errorf(errNotFound, format, a...) }

// content marks err as a refusal of a body's content (422, see above) when err is about the
// client's input at all; a database outage or a bug stays what it is.
func content(err error) error {
	if err == nil || kindOf(store.Classify(err)).status != http.StatusBadRequest {
		return err
	}
	a := describe(err)
	var pe *ParamError
	if errors.As(err, &pe) {
		a.detail = pe.Name + ": " + pe.Reason // a member of the body, not a parameter
	}
	return &clientError{kind: errContent, msg: a.detail, params: a.params, cause: err}
}

// problemAnswer is what a client is told about an error.
type problemAnswer struct {
	kind       *problemKind
	detail     string
	params     []InvalidParam
	retryAfter int
}

// describe reads err as the table says: its kind, and the client message it carries (its own
// or, lacking one, the kind's).
func describe(err error) problemAnswer {
	// Anything that still holds a raw database or driver error is classified here as well, so
	// a path that forgot to classify cannot turn an outage into a 500.
	err = store.Classify(err)
	a := problemAnswer{kind: kindOf(err)}
	a.retryAfter = a.kind.retryAfter
	var ce *clientError
	if errors.As(err, &ce) {
		a.params = ce.params
		if ce.retryAfter > 0 {
			a.retryAfter = ce.retryAfter
		}
	}
	var pe *ParamError
	var re *tiles.RequestError
	switch {
	case errors.As(err, &pe) && (ce == nil || ce.params == nil):
		a.params = []InvalidParam{{Name: pe.Name, Reason: pe.Reason}}
	case errors.As(err, &re) && a.params == nil:
		a.params = []InvalidParam{{Name: re.Param, Reason: re.Reason}}
		a.detail = re.Reason
	}
	if a.detail == "" {
		var cm interface{ ClientMessage() string }
		if errors.As(err, &cm) {
			a.detail = cm.ClientMessage()
		}
	}
	if a.kind.status >= 500 && ce == nil {
		// A server error or state is said in the table's words (or api's own, above): what the
		// layers below wrote is for the logs.
		a.detail = ""
	}
	if a.detail == "" {
		a.detail = a.kind.detail
	}
	if a.params == nil && a.kind.param != "" && a.kind.status == http.StatusBadRequest {
		a.params = []InvalidParam{{Name: a.kind.param, Reason: a.detail}}
	}
	if a.detail == "" {
		a.detail = http.StatusText(a.kind.status)
	}
	return a
}

// clientGone reports whether the request's context has ended: the client went away, and
// whatever failed because of it (a context error, or PostgreSQL's 57014 after the cancel request
// pgx sends it) is answered to nobody.
func clientGone(c *gin.Context) bool { return c.Request.Context().Err() != nil }

// statusOf is the status fail answers err with: the audit records it, so the audit log and the
// client always agree.
func statusOf(c *gin.Context, err error) int {
	if clientGone(c) {
		return statusClientClosed
	}
	return describe(err).kind.status
}

// fail answers err through the table and aborts the handler chain. A server error is logged
// once, here, with its whole chain; a client's mistake at debug level (the logs keep the detail
// the client is not told).
func fail(c *gin.Context, err error) {
	if clientGone(c) {
		logger(c).Debug("client went away", "err", err)
		c.Set(ctxProblem, "client-closed-request")
		c.AbortWithStatus(statusClientClosed)
		return
	}
	a := describe(err)
	switch s := a.kind.status; {
	case s == http.StatusServiceUnavailable:
		logger(c).Warn("request refused for now", "status", s, "err", err)
	case s >= 500:
		logger(c).Error("request failed", "status", s, "err", err)
	default:
		logger(c).Debug("request refused", "status", s, "err", err)
	}
	writeProblem(c, a)
}

// badParam answers 400 naming the parameter at fault.
func badParam(c *gin.Context, name, reason string) { fail(c, &ParamError{Name: name, Reason: reason}) }

// badContent answers 422 naming the member of the body whose value is refused.
func badContent(c *gin.Context, name, reason string) {
	fail(c, content(&ParamError{Name: name, Reason: reason}))
}

const ctxProblem = "gisd.problem"

// writeProblem writes a problem response and aborts the handler chain.
func writeProblem(c *gin.Context, a problemAnswer) {
	p := Problem{
		Type:          problemTypeBase + a.kind.name,
		Title:         a.kind.title,
		Status:        a.kind.status,
		Detail:        a.detail,
		Instance:      c.Request.URL.Path,
		RequestID:     requestID(c),
		InvalidParams: a.params,
	}
	h := c.Writer.Header()
	if a.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(a.retryAfter))
	}
	if a.kind.status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="gisd"`)
		if c.GetBool(ctxBasic) {
			h.Add("WWW-Authenticate", `Basic realm="gisd", charset="UTF-8"`)
		}
	}
	h.Set("Cache-Control", "no-store")
	// Set before the body: Gin's JSON renderer keeps a Content-Type already set.
	h.Set("Content-Type", problemContentType)
	c.Set(ctxProblem, a.kind.name)
	c.AbortWithStatusJSON(a.kind.status, p)
}
