package ogcxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Limits bound what one document may cost. The zero value of a field means its default.
type Limits struct {
	// MaxBytes is the largest document read (default 1 MiB). Reading stops there: a longer
	// stream is refused without being read to its end.
	MaxBytes int64
	// MaxDepth is the deepest element nesting (default 64): enough for any filter or GML
	// geometry, too shallow to exhaust a recursive reader.
	MaxDepth int
	// MaxElements is the most start tags in a document (default 100,000).
	MaxElements int
	// MaxAttrs is the most attributes on one element (default 64).
	MaxAttrs int
}

// Defaults of Limits.
const (
	DefaultMaxBytes    = 1 << 20
	DefaultMaxDepth    = 64
	DefaultMaxElements = 100_000
	DefaultMaxAttrs    = 64
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultMaxElements
	}
	if l.MaxAttrs <= 0 {
		l.MaxAttrs = DefaultMaxAttrs
	}
	return l
}

// NewDecoder returns a decoder of one XML document read from r that refuses, with an *Error:
//   - DOCTYPE and every other <!...> declaration (so no entity is ever declared: billion laughs
//     and external entities are stopped before they start; encoding/xml never expands either,
//     but a declaration has no business in a request and is refused outright);
//   - references to undefined entities (only the five predefined ones and character
//     references are accepted), NUL and other characters XML forbids, invalid UTF-8, and an
//     encoding declaration other than UTF-8;
//   - documents beyond lim (size, depth, element count, attributes per element);
//   - mismatched or unclosed tags, text or a second element after the root.
//
// Comments and processing instructions are dropped. Every error returned by the decoder's
// Token is an *Error or io.EOF after the root element has closed.
func NewDecoder(r io.Reader, lim Limits) *xml.Decoder {
	lim = lim.withDefaults()
	lr := &limitReader{r: r, left: lim.MaxBytes, max: lim.MaxBytes}
	raw := xml.NewDecoder(lr)
	// Strict (the default) is what refuses undefined entities; Entity stays nil so that no
	// entity beyond the predefined five exists.
	raw.Strict = true
	raw.CharsetReader = func(string, io.Reader) (io.Reader, error) { return nil, errCharset }
	return xml.NewTokenDecoder(&guard{raw: raw, lim: lim})
}

// NewDecoderBytes is NewDecoder over a document already in memory. It checks the size and
// the encoding up front, so a document that is too large is refused before it is parsed.
func NewDecoderBytes(data []byte, lim Limits) (*xml.Decoder, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return nil, tooLarge(lim.MaxBytes)
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, &Error{Code: OperationParsingFailed, Msg: fmt.Sprintf("the XML contains a NUL byte (at byte %d)", i), Err: ErrMalformed}
	}
	if !utf8.Valid(data) {
		return nil, &Error{Code: OperationParsingFailed, Msg: "the XML is not valid UTF-8", Err: ErrMalformed}
	}
	return NewDecoder(bytes.NewReader(data), lim), nil
}

func tooLarge(n int64) *Error {
	return &Error{Code: OperationParsingFailed, Msg: fmt.Sprintf("the XML document is larger than %d bytes", n), Err: ErrLimit}
}

// limitReader fails once more than max bytes have been read.
type limitReader struct {
	r         io.Reader
	left, max int64
}

var (
	errTooLarge = errors.New("too large")
	errCharset  = errors.New("not UTF-8")
)

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte past the limit tells a document of exactly max bytes from a longer one.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			return 0, errTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// guard is the xml.TokenReader between the raw tokenizer and the namespace-aware decoder.
type guard struct {
	raw      *xml.Decoder
	lim      Limits
	stack    []xml.Name // open elements, raw (prefixed) names
	elements int
	seen     bool // anything but white space read
	rootDone bool
}

func (g *guard) fail(code string, kind error, format string, args ...any) error {
	line, _ := g.raw.InputPos()
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...) + fmt.Sprintf(" (line %d)", line), Err: kind}
}

func (g *guard) Token() (xml.Token, error) {
	for {
		t, err := g.raw.RawToken()
		if err != nil {
			return nil, g.readError(err)
		}
		switch t := t.(type) {
		case xml.StartElement:
			if g.rootDone {
				return nil, g.fail(OperationParsingFailed, ErrMalformed, "a second element <%s> follows the root element", rawName(t.Name))
			}
			g.seen = true
			g.elements++
			if g.elements > g.lim.MaxElements {
				return nil, g.fail(OperationParsingFailed, ErrLimit, "the XML has more than %d elements", g.lim.MaxElements)
			}
			if len(g.stack) >= g.lim.MaxDepth {
				return nil, g.fail(OperationParsingFailed, ErrLimit, "the XML is nested more than %d elements deep", g.lim.MaxDepth)
			}
			if len(t.Attr) > g.lim.MaxAttrs {
				return nil, g.fail(OperationParsingFailed, ErrLimit, "<%s> has more than %d attributes", rawName(t.Name), g.lim.MaxAttrs)
			}
			g.stack = append(g.stack, t.Name)
			return t, nil
		case xml.EndElement:
			n := len(g.stack)
			if n == 0 || g.stack[n-1] != t.Name {
				if n == 0 {
					return nil, g.fail(OperationParsingFailed, ErrMalformed, "unexpected end tag </%s>", rawName(t.Name))
				}
				return nil, g.fail(OperationParsingFailed, ErrMalformed, "<%s> is closed by </%s>", rawName(g.stack[n-1]), rawName(t.Name))
			}
			g.stack = g.stack[:n-1]
			if len(g.stack) == 0 {
				g.rootDone = true
			}
			return t, nil
		case xml.CharData:
			if len(g.stack) > 0 {
				return t, nil
			}
			// Outside the root only white space (and a byte-order mark at the start) may stand.
			s := string(t)
			if !g.seen {
				s = strings.TrimPrefix(s, "\ufeff")
			}
			if strings.TrimSpace(s) != "" {
				return nil, g.fail(OperationParsingFailed, ErrMalformed, "text outside the root element")
			}
		case xml.Directive:
			return nil, g.fail(OperationParsingFailed, ErrMalformed, "DOCTYPE and entity declarations are not allowed")
		case xml.ProcInst:
			// The XML declaration was checked by the tokenizer (version, UTF-8); it may only
			// come first. Other processing instructions carry nothing a request needs.
			if t.Target == "xml" && g.seen {
				return nil, g.fail(OperationParsingFailed, ErrMalformed, "the XML declaration must come first")
			}
			g.seen = true
		case xml.Comment:
			g.seen = true
		}
	}
}

func (g *guard) readError(err error) error {
	switch {
	case errors.Is(err, errTooLarge):
		return tooLarge(g.lim.MaxBytes)
	case err == io.EOF:
		if n := len(g.stack); n > 0 {
			return g.fail(OperationParsingFailed, ErrMalformed, "the XML ends inside <%s>", rawName(g.stack[n-1]))
		}
		if !g.rootDone {
			return &Error{Code: OperationParsingFailed, Msg: "the XML document is empty", Err: ErrMalformed}
		}
		return io.EOF
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return &Error{Code: OperationParsingFailed, Msg: fmt.Sprintf("the XML is not well-formed (line %d): %s", se.Line, se.Msg), Err: ErrMalformed}
	}
	if errors.Is(err, errCharset) {
		return &Error{Code: OperationParsingFailed, Msg: "only UTF-8 XML is accepted", Err: ErrMalformed}
	}
	return FromXML(err)
}

func rawName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}
