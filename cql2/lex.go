package cql2

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokenKind int

const (
	tEOF tokenKind = iota
	tIdent
	tQuotedIdent
	tString
	tNumber
	tLParen
	tRParen
	tComma
	tOp // = <> < <= > >=
)

func (k tokenKind) String() string {
	switch k {
	case tEOF:
		return "end of filter"
	case tIdent, tQuotedIdent:
		return "identifier"
	case tString:
		return "string"
	case tNumber:
		return "number"
	case tLParen:
		return `"("`
	case tRParen:
		return `")"`
	case tComma:
		return `","`
	case tOp:
		return "operator"
	}
	return "token"
}

type token struct {
	kind tokenKind
	text string // identifier or operator as written; string contents unquoted
	pos  int    // byte offset
}

// describe renders a token for an error message.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "the end of the filter"
	case tString:
		return quoteShort("'" + t.text + "'")
	case tQuotedIdent:
		return quoteShort(`"` + t.text + `"`)
	}
	return quoteShort(t.text)
}

func quoteShort(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		r := []rune(s)
		s = string(r[:40]) + "…"
	}
	return "«" + s + "»"
}

// reserved words cannot be property names unless double-quoted.
var reserved = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "LIKE": true, "BETWEEN": true, "IN": true, "IS": true,
	"NULL": true, "TRUE": true, "FALSE": true,
}

type lexer struct {
	src  string
	pos  int
	toks []token
}

// lex splits src into tokens, or reports the first character it cannot read.
func lex(src string) ([]token, error) {
	l := &lexer{src: src}
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		l.toks = append(l.toks, t)
		if t.kind == tEOF {
			return l.toks, nil
		}
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '.' || c == ':'
}

// digits skips a run of decimal digits and returns its length.
func (l *lexer) digits() int {
	start := l.pos
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
	}
	return l.pos - start
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (l *lexer) next() (token, error) {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.src[l.pos]
	switch {
	case c == '(':
		l.pos++
		return token{kind: tLParen, text: "(", pos: start}, nil
	case c == ')':
		l.pos++
		return token{kind: tRParen, text: ")", pos: start}, nil
	case c == ',':
		l.pos++
		return token{kind: tComma, text: ",", pos: start}, nil
	case c == '=':
		l.pos++
		return token{kind: tOp, text: "=", pos: start}, nil
	case c == '<':
		l.pos++
		if l.pos < len(l.src) && (l.src[l.pos] == '>' || l.src[l.pos] == '=') {
			l.pos++
		}
		return token{kind: tOp, text: l.src[start:l.pos], pos: start}, nil
	case c == '>':
		l.pos++
		if l.pos < len(l.src) && l.src[l.pos] == '=' {
			l.pos++
		}
		return token{kind: tOp, text: l.src[start:l.pos], pos: start}, nil
	case c == '!' && strings.HasPrefix(l.src[l.pos:], "!="):
		return token{}, textError(l.src, start, `"!=" is not CQL2; write "<>"`)
	case c == '\'':
		return l.quoted('\'', tString)
	case c == '"':
		return l.quoted('"', tQuotedIdent)
	case isDigit(c) || c == '.' || (c == '-' || c == '+') && l.pos+1 < len(l.src) && (isDigit(l.src[l.pos+1]) || l.src[l.pos+1] == '.'):
		return l.number()
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	if isIdentStart(c) || r >= utf8.RuneSelf && unicode.IsLetter(r) {
		// CQL2 identifiers may hold any letter; names outside the catalog's [a-z0-9_] are refused
		// later by the resolver, with the name in the message.
		for l.pos < len(l.src) {
			r, size := utf8.DecodeRuneInString(l.src[l.pos:])
			if !(r < utf8.RuneSelf && isIdentPart(byte(r)) || r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))) {
				break
			}
			l.pos += size
		}
		return token{kind: tIdent, text: l.src[start:l.pos], pos: start}, nil
	}
	switch r {
	case '+', '-', '*', '/', '%', '^':
		return token{}, textError(l.src, start, "arithmetic (%q) is not supported", r)
	case '[', ']':
		return token{}, textError(l.src, start, "arrays are not supported")
	}
	if r == utf8.RuneError {
		return token{}, textError(l.src, start, "invalid UTF-8")
	}
	return token{}, textError(l.src, start, "unexpected character %q (property names other than letters, digits and _ go in double quotes)", r)
}

// quoted reads a string ('...') or a quoted identifier ("..."). The quote is escaped by doubling
// it; a string also accepts \' as CQL2 allows.
func (l *lexer) quoted(q byte, kind tokenKind) (token, error) {
	start := l.pos
	l.pos++
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == q && l.pos+1 < len(l.src) && l.src[l.pos+1] == q:
			b.WriteByte(q)
			l.pos += 2
		case c == q:
			l.pos++
			s := b.String()
			if !utf8.ValidString(s) {
				return token{}, textError(l.src, start, "invalid UTF-8 in quoted text")
			}
			if kind == tQuotedIdent && s == "" {
				return token{}, textError(l.src, start, "empty property name")
			}
			return token{kind: kind, text: s, pos: start}, nil
		case c == '\\' && q == '\'' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\'':
			b.WriteByte('\'')
			l.pos += 2
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
	what := "string"
	if kind == tQuotedIdent {
		what = "quoted property name"
	}
	return token{}, textError(l.src, start, "unterminated %s", what)
}

func (l *lexer) number() (token, error) {
	start := l.pos
	if c := l.src[l.pos]; c == '-' || c == '+' {
		l.pos++
	}
	digits := l.digits()
	if l.pos < len(l.src) && l.src[l.pos] == '.' {
		l.pos++
		digits += l.digits()
	}
	if digits == 0 {
		return token{}, textError(l.src, start, "malformed number")
	}
	if l.pos < len(l.src) && (l.src[l.pos] == 'e' || l.src[l.pos] == 'E') {
		l.pos++
		if l.pos < len(l.src) && (l.src[l.pos] == '+' || l.src[l.pos] == '-') {
			l.pos++
		}
		if l.digits() == 0 {
			return token{}, textError(l.src, start, "malformed number (exponent without digits)")
		}
	}
	if l.pos < len(l.src) && isIdentStart(l.src[l.pos]) {
		return token{}, textError(l.src, start, "malformed number %s", quoteShort(l.src[start:min(len(l.src), l.pos+1)]))
	}
	return token{kind: tNumber, text: l.src[start:l.pos], pos: start}, nil
}
