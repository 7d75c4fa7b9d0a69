package cql2

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error of the package wraps one of them.
var (
	// ErrSyntax: the filter is not well-formed CQL2 (or uses a part of CQL2 not supported here).
	ErrSyntax = errors.New("syntax error")
	// ErrProperty: the filter names a property the resolver does not allow.
	ErrProperty = errors.New("property not queryable")
	// ErrType: the filter is well-formed but its operands do not fit together.
	ErrType = errors.New("type error")
)

// SyntaxError is a filter that cannot be read, with where the problem is. For CQL2 text Offset
// is the byte offset in the input and Line and Column (1-based, columns counted in characters)
// locate it for people; for CQL2 JSON Path names the member (e.g. "args[1].op") and Offset is
// the byte offset when the JSON itself is malformed, -1 otherwise.
type SyntaxError struct {
	Offset int
	Line   int
	Column int
	Path   string
	Msg    string
}

func (e *SyntaxError) Error() string { return "cql2: " + e.ClientMessage() }

// ClientMessage says what is wrong and where, for the person who wrote the filter (without the
// package prefix Error carries for logs).
func (e *SyntaxError) ClientMessage() string {
	switch {
	case e.Path != "":
		return fmt.Sprintf("at %s: %s", e.Path, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	case e.Offset >= 0:
		return fmt.Sprintf("at byte %d: %s", e.Offset, e.Msg)
	}
	return e.Msg
}

func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// textError locates offset off in src.
func textError(src string, off int, format string, args ...any) *SyntaxError {
	off = max(0, min(off, len(src)))
	line, col := 1, 1
	for _, r := range src[:off] {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &SyntaxError{Offset: off, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// Error is a filter that was read but cannot be compiled: a property that is not queryable or
// operands of the wrong type. Property is the name at fault, if any.
type Error struct {
	Kind     error // ErrProperty or ErrType
	Property string
	Msg      string
}

func (e *Error) Error() string { return "cql2: " + e.Msg }

// ClientMessage is Msg, for the person who wrote the filter.
func (e *Error) ClientMessage() string { return e.Msg }

func (e *Error) Unwrap() error { return e.Kind }

func typeErr(format string, args ...any) error {
	return &Error{Kind: ErrType, Msg: fmt.Sprintf(format, args...)}
}
