package geojson

import (
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The Decoder's scanner: buffered reading that keeps a token whole across refills, and the
// JSON tokens. Every function fails by panicking with stop, which Decoder.Next recovers; none
// recurses, so no input can exhaust the stack.

// fill reads more input, keeping the bytes of a token being scanned (from mark) and flushing
// the bytes of a value being captured. It reports false at the end of input.
func (d *Decoder) fill() bool {
	if d.eof {
		return false
	}
	keep := d.pos
	if d.mark >= 0 && d.mark < keep {
		keep = d.mark
	}
	if d.capture != nil {
		*d.capture = append(*d.capture, d.buf[d.capStart:keep]...)
		d.capStart = keep
		if len(*d.capture) > d.opt.MaxValueBytes {
			d.failf("a value longer than %d bytes", d.opt.MaxValueBytes)
		}
	}
	if keep > 0 {
		copy(d.buf, d.buf[keep:d.end])
		d.end -= keep
		d.pos -= keep
		d.base += int64(keep)
		if d.mark >= 0 {
			d.mark -= keep
		}
		if d.capture != nil {
			d.capStart -= keep
		}
	}
	if d.end == len(d.buf) {
		if len(d.buf) >= d.opt.MaxValueBytes+8 {
			d.failf("a string or number longer than %d bytes", d.opt.MaxValueBytes)
		}
		nb := make([]byte, min(2*len(d.buf), d.opt.MaxValueBytes+8))
		copy(nb, d.buf[:d.end])
		d.buf = nb
	}
	for range 100 {
		n, err := d.r.Read(d.buf[d.end:])
		d.end += n
		if err != nil {
			d.eof = true
			if err != io.EOF {
				d.readErr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	d.eof = true
	d.readErr = io.ErrNoProgress
	return false
}

// ensure makes n bytes available from pos, or reports false at the end of input.
func (d *Decoder) ensure(n int) bool {
	for d.end-d.pos < n {
		if !d.fill() {
			return false
		}
	}
	return true
}

// peek returns the next byte without consuming it; at the end of input it fails as truncated.
func (d *Decoder) peek() byte {
	if d.pos >= d.end && !d.fill() {
		d.truncated()
	}
	return d.buf[d.pos]
}

// atEOF skips white space and reports whether the input has ended.
func (d *Decoder) atEOF() bool {
	for {
		for d.pos < d.end {
			switch d.buf[d.pos] {
			case ' ', '\t', '\n', '\r':
				d.pos++
			default:
				return false
			}
		}
		if !d.fill() {
			if d.readErr != nil {
				d.truncated()
			}
			return true
		}
	}
}

// ws skips white space and returns the next byte.
func (d *Decoder) ws() byte {
	for {
		for d.pos < d.end {
			switch c := d.buf[d.pos]; c {
			case ' ', '\t', '\n', '\r':
				d.pos++
			default:
				return c
			}
		}
		if !d.fill() {
			d.truncated()
		}
	}
}

func (d *Decoder) expect(c byte, what string) {
	if got := d.ws(); got != c {
		d.unexpected(got, what)
	}
	d.pos++
}

// unexpected fails naming what was found where what was expected, with hints for the mistakes
// people actually make.
func (d *Decoder) unexpected(c byte, want string) {
	switch {
	case c == 'N' && d.ensure(3) && string(d.buf[d.pos:d.pos+3]) == "NaN":
		d.failf("NaN is not valid JSON: numbers must be finite")
	case c == 'I' || (c == '-' && d.ensure(2) && d.buf[d.pos+1] == 'I'):
		d.failf("Infinity is not valid JSON: numbers must be finite")
	case c == '\'':
		d.failf("JSON strings need double quotes, found a single quote where %s was expected", want)
	case c >= 0x80:
		d.failf("unexpected byte 0x%02X where %s was expected (text must be UTF-8 JSON)", c, want)
	case c < 0x20:
		d.failf("unexpected control character 0x%02X where %s was expected", c, want)
	}
	d.failf("unexpected %q where %s was expected", rune(c), want)
}

// str scans a string at the opening quote and returns its unescaped bytes, valid until the next
// read, and whether it contains U+0000.
func (d *Decoder) str() (s []byte, nul bool) {
	d.pos++
	d.mark = d.pos
	escaped := false
	d.scratch = d.scratch[:0]
	for {
		for d.pos < d.end {
			c := d.buf[d.pos]
			if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
				break
			}
			d.pos++
		}
		if d.pos >= d.end {
			if !d.fill() {
				d.truncated()
			}
			continue
		}
		switch c := d.buf[d.pos]; {
		case c == '"':
			if escaped {
				d.scratch = append(d.scratch, d.buf[d.mark:d.pos]...)
				s = d.scratch
			} else {
				s = d.buf[d.mark:d.pos]
			}
			d.pos++
			d.mark = -1
			if len(s) > d.opt.MaxValueBytes {
				d.failf("a string longer than %d bytes", d.opt.MaxValueBytes)
			}
			return s, nul
		case c == '\\':
			escaped = true
			d.scratch = append(d.scratch, d.buf[d.mark:d.pos]...)
			d.mark = d.pos
			if !d.ensure(2) {
				d.truncated()
			}
			switch e := d.buf[d.pos+1]; e {
			case '"', '\\', '/':
				d.scratch = append(d.scratch, e)
				d.pos += 2
			case 'b':
				d.scratch = append(d.scratch, '\b')
				d.pos += 2
			case 'f':
				d.scratch = append(d.scratch, '\f')
				d.pos += 2
			case 'n':
				d.scratch = append(d.scratch, '\n')
				d.pos += 2
			case 'r':
				d.scratch = append(d.scratch, '\r')
				d.pos += 2
			case 't':
				d.scratch = append(d.scratch, '\t')
				d.pos += 2
			case 'u':
				r := d.hex4()
				if utf16.IsSurrogate(r) {
					// A pair is two escapes; a lone half becomes U+FFFD, as encoding/json does.
					r2 := rune(-1)
					if d.ensure(6) && d.buf[d.pos] == '\\' && d.buf[d.pos+1] == 'u' {
						save := d.pos
						r2 = d.hex4()
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							r = dec
						} else {
							d.pos = save
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				}
				if r == 0 {
					nul = true
				}
				d.scratch = utf8.AppendRune(d.scratch, r)
			default:
				d.failf("invalid escape \\%c in a string", rune(e))
			}
			d.mark = d.pos
		case c < 0x20:
			d.failf("control character 0x%02X inside a string (it must be escaped)", c)
		default:
			for !utf8.FullRune(d.buf[d.pos:d.end]) {
				if !d.fill() {
					d.truncated()
				}
			}
			r, size := utf8.DecodeRune(d.buf[d.pos:d.end])
			if r == utf8.RuneError && size <= 1 {
				d.failf("invalid UTF-8 in a string: GeoJSON must be UTF-8 (RFC 7946); the file may use a " +
					"legacy Vietnamese encoding (TCVN3, VNI, Windows-1258): convert it to UTF-8 first")
			}
			d.pos += size
		}
	}
}

// hex4 decodes the \uXXXX escape at pos.
func (d *Decoder) hex4() rune {
	if !d.ensure(6) {
		d.truncated()
	}
	var r rune
	for _, c := range d.buf[d.pos+2 : d.pos+6] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			d.failf("invalid \\u escape in a string")
		}
	}
	d.pos += 6
	return r
}

// num scans a number and returns its text (valid until the next read) and value.
func (d *Decoder) num() ([]byte, float64) {
	d.mark = d.pos
	for {
		for d.pos < d.end {
			c := d.buf[d.pos]
			if !('0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
				break
			}
			d.pos++
		}
		if d.pos < d.end || !d.fill() {
			break
		}
	}
	tok := d.buf[d.mark:d.pos]
	d.mark = -1
	if !validNumber(tok) {
		if len(tok) == 0 {
			d.unexpected(d.peek(), "a value")
		}
		if tok[0] == '-' && d.pos < d.end && d.buf[d.pos] == 'I' {
			d.failf("-Infinity is not valid JSON: numbers must be finite")
		}
		d.failf("invalid number %q", tok)
	}
	v, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		d.failf("number %s is out of range for a 64-bit float", tok)
	}
	return tok, v
}

// validNumber checks JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// literal consumes true, false or null.
func (d *Decoder) literal() Kind {
	c := d.peek()
	var word string
	var k Kind
	switch c {
	case 't':
		word, k = "true", KindBool
	case 'f':
		word, k = "false", KindBool
	default:
		word, k = "null", KindNull
	}
	d.mark = d.pos
	ok := d.ensure(len(word)) && string(d.buf[d.pos:d.pos+len(word)]) == word
	d.mark = -1
	if !ok {
		if d.end-d.pos < len(word) && d.eof {
			d.truncated()
		}
		d.unexpected(c, "a value")
	}
	d.pos += len(word)
	return k
}

// skip consumes one JSON value of any kind at nesting depth depth, without recursion. It
// reports whether a string in it contains U+0000. With capture set, the value's exact text is
// appended to *capture.
func (d *Decoder) skip(depth int, capture *[]byte) (nul bool) {
	c := d.ws()
	if capture != nil {
		d.capture, d.capStart = capture, d.pos
	}
	stack := d.stack[:0]
	for {
		// A value starts at c.
		switch c {
		case '{', '[':
			if depth+len(stack)+1 > d.opt.MaxDepth {
				d.failf("JSON nested deeper than %d levels", d.opt.MaxDepth)
			}
			stack = append(stack, c)
			d.pos++
			c = d.ws()
			if c == '}' && stack[len(stack)-1] == '{' || c == ']' && stack[len(stack)-1] == '[' {
				d.pos++
				stack = stack[:len(stack)-1]
				break
			}
			if stack[len(stack)-1] == '{' {
				d.key()
			}
			c = d.ws()
			continue
		case '"':
			if _, n := d.str(); n {
				nul = true
			}
		case 't', 'f', 'n':
			d.literal()
		default:
			d.num()
		}
		// After a value: close containers or move to the next element.
		for {
			if len(stack) == 0 {
				d.stack = stack
				if capture != nil {
					*capture = append(*capture, d.buf[d.capStart:d.pos]...)
					d.capture = nil
					if len(*capture) > d.opt.MaxValueBytes {
						d.failf("a value longer than %d bytes", d.opt.MaxValueBytes)
					}
				}
				return nul
			}
			top := stack[len(stack)-1]
			c = d.ws()
			if c == ',' {
				d.pos++
				if top == '{' {
					d.key()
				}
				c = d.ws()
				break
			}
			if top == '{' && c == '}' || top == '[' && c == ']' {
				d.pos++
				stack = stack[:len(stack)-1]
				continue
			}
			if top == '{' {
				d.unexpected(c, "',' or '}'")
			}
			d.unexpected(c, "',' or ']'")
		}
	}
}

// key reads an object key and its colon; the key is valid until the next read.
func (d *Decoder) key() []byte {
	if c := d.ws(); c != '"' {
		d.unexpected(c, "an object key (a string)")
	}
	k, _ := d.str()
	// Copied: reading the colon may refill the buffer under k.
	d.keyBuf = append(d.keyBuf[:0], k...)
	d.expect(':', "':'")
	return d.keyBuf
}

// members iterates an object's members at the opening brace: fn is called with each key, the
// value starting at pos, and must consume the value.
func (d *Decoder) members(fn func(key []byte)) {
	d.expect('{', "'{'")
	if d.ws() == '}' {
		d.pos++
		return
	}
	for {
		fn(d.key())
		c := d.ws()
		d.pos++
		switch c {
		case ',':
			continue
		case '}':
			return
		}
		d.pos--
		d.unexpected(c, "',' or '}'")
	}
}

// stringValue reads a string value (allocating) or fails naming the member.
func (d *Decoder) stringValue(member string) string {
	if c := d.ws(); c != '"' {
		if c == 'n' {
			d.literal()
			return ""
		}
		d.failf("%q must be a string", member)
	}
	s, _ := d.str()
	return string(s)
}
