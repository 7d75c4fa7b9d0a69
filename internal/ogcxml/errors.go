package ogcxml

import (
	"encoding/xml"
	"errors"
	"fmt"
)

// OGC exception codes (OGC 06-121r9 and WFS 2.0 table 3) that XML readers return.
const (
	// OperationParsingFailed: the document is not well-formed XML or is refused as hostile.
	OperationParsingFailed = "OperationParsingFailed"
	// InvalidParameterValue: well-formed, but a value or an element is not acceptable.
	InvalidParameterValue = "InvalidParameterValue"
	// MissingParameterValue: a required value is absent or empty.
	MissingParameterValue = "MissingParameterValue"
	// OperationProcessingFailed: the request was understood but cannot be carried out.
	OperationProcessingFailed = "OperationProcessingFailed"
)

// Sentinels that an *Error may wrap, so callers (metrics, audit) can tell classes apart.
var (
	// ErrMalformed: not well-formed XML, or a construct refused outright (DOCTYPE, entities,
	// encodings other than UTF-8).
	ErrMalformed = errors.New("malformed XML")
	// ErrLimit: a bound of Limits was exceeded.
	ErrLimit = errors.New("XML limit exceeded")
)

// Error is a client's XML that cannot be accepted.
//
// Error() returns Msg alone: it is written for the client and safe to show, so a handler that
// prints err.Error() into an exception report leaks nothing.
type Error struct {
	// Code is the OGC exception code, one of the constants of this package.
	Code string
	// Locator names what is at fault: a KVP parameter ("FILTER", "BBOX") or an element
	// ("PropertyIsLike"); empty when nothing narrower than the request applies.
	Locator string
	// Msg is the client-facing message.
	Msg string
	// Err is the underlying cause for errors.Is and errors.As (ErrMalformed, ErrLimit,
	// geo.ErrUnknownCRS, cql2.ErrProperty ...); nil when there is none.
	Err error
}

func (e *Error) Error() string { return e.Msg }

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and locator and a formatted message.
func Errorf(code, locator, format string, args ...any) *Error {
	return &Error{Code: code, Locator: locator, Msg: fmt.Sprintf(format, args...)}
}

// Invalid returns an InvalidParameterValue error.
func Invalid(locator, format string, args ...any) *Error {
	return Errorf(InvalidParameterValue, locator, format, args...)
}

// FromXML turns any error met while reading tokens into an *Error: an *Error is returned as it
// is, an encoding/xml syntax error becomes OperationParsingFailed with its description (and
// line), anything else a generic OperationParsingFailed that does not echo its text.
func FromXML(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		if se.Line > 0 {
			return &Error{Code: OperationParsingFailed, Msg: fmt.Sprintf("the XML is not well-formed (line %d): %s", se.Line, se.Msg), Err: ErrMalformed}
		}
		return &Error{Code: OperationParsingFailed, Msg: "the XML is not well-formed: " + se.Msg, Err: ErrMalformed}
	}
	return &Error{Code: OperationParsingFailed, Msg: "the XML could not be read", Err: errors.Join(ErrMalformed, err)}
}
