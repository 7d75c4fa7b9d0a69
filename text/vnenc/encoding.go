package vnenc

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Encoding is a text encoding vnenc can decode. The zero value, Unknown, means "not decided"
// (an option left to detection).
type Encoding uint8

// The encodings, in the order detection prefers them on a tie (UTF-8 first: legacy text is
// almost never valid UTF-8 by accident; TCVN3 before VNI, as it is the more common in cadastral
// files).
const (
	Unknown Encoding = iota
	ASCII            // plain ASCII: nothing to convert
	UTF8
	TCVN3  // TCVN 5712:1993 (VN3, the ABC fonts .VnTime...; decoded as its superset VN1)
	VNI    // VNI-Windows (VNI-Times...): a letter and a separate mark byte
	CP1258 // Windows-1258: precomposed ă â ê ô ơ ư đ plus combining tone marks
	VISCII // VISCII 1.1 (RFC 1456)
)

// ErrUnknownEncoding is wrapped by ParseEncoding's errors.
var ErrUnknownEncoding = errors.New("unknown encoding")

// ErrNotRepresentable is wrapped by Encode when a character has no code in the encoding.
var ErrNotRepresentable = errors.New("character not representable")

// String returns the usual name: "TCVN3", "VNI-Windows", "Windows-1258", "VISCII", "UTF-8",
// "ASCII", or "unknown".
func (e Encoding) String() string {
	switch e {
	case ASCII:
		return "ASCII"
	case UTF8:
		return "UTF-8"
	case TCVN3:
		return "TCVN3"
	case VNI:
		return "VNI-Windows"
	case CP1258:
		return "Windows-1258"
	case VISCII:
		return "VISCII"
	}
	return "unknown"
}

// Legacy reports whether e is one of the pre-Unicode Vietnamese encodings.
func (e Encoding) Legacy() bool { return e >= TCVN3 && e <= VISCII }

// encodingNames are the spellings ParseEncoding accepts, folded (lower case, without spaces,
// dashes and underscores), as users and .cpg files write them.
var encodingNames = map[string]Encoding{
	"ascii": ASCII, "usascii": ASCII,
	"utf8": UTF8, "unicode": UTF8, "65001": UTF8, "cp65001": UTF8,
	"tcvn3": TCVN3, "tcvn": TCVN3, "abc": TCVN3, "vn3": TCVN3, "tcvn5712": TCVN3, "tcvn57121": TCVN3,
	"tcvn57121993": TCVN3, "vntime": TCVN3,
	"vni": VNI, "vniwin": VNI, "vniwindows": VNI, "vnitimes": VNI,
	"cp1258": CP1258, "windows1258": CP1258, "1258": CP1258, "ansi1258": CP1258, "win1258": CP1258,
	"viscii": VISCII,
}

// ParseEncoding reads an encoding name as given on the command line (--encoding tcvn3) or in a
// Shapefile's .cpg: "TCVN3", "ABC", "TCVN5712", "VNI", "VNI-Windows", "CP1258",
// "Windows-1258", "1258", "VISCII", "UTF-8", "65001", "ASCII", case and separators ignored.
// The error wraps ErrUnknownEncoding and lists the names.
func ParseEncoding(s string) (Encoding, error) {
	if e, ok := encodingNames[foldName(s)]; ok {
		return e, nil
	}
	return Unknown, fmt.Errorf("vnenc: %w %q (want tcvn3, vni, cp1258, viscii or utf-8)", ErrUnknownEncoding, s)
}

func foldName(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r == ' ' || r == '-' || r == '_' || r == '.':
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Decode converts b from e to a Unicode NFC string. It never fails: bytes without a meaning in
// e (and invalid UTF-8, for UTF8, ASCII and Unknown) become U+FFFD or the Windows-1252
// character the legacy fonts show there, so a value is never lost silently.
func (e Encoding) Decode(b []byte) string {
	if plainASCII(b) {
		return string(b)
	}
	var s string
	switch e {
	case TCVN3:
		s = decodeComposing(&tcvn3Strings, b)
	case VISCII:
		s = decodeComposing(&visciiStrings, b)
	case CP1258:
		s = decodeComposing(&cp1258Strings, b)
	case VNI:
		s = decodeComposing(&vniTable, b)
	default:
		s = strings.ToValidUTF8(string(b), "\uFFFD")
	}
	// Already NFC in practice (decodeComposing composes Vietnamese letters itself): this only
	// scans, unless a mark was left over.
	return norm.NFC.String(s)
}

// plainASCII reports whether b is printable ASCII, tab, CR or LF only: text every encoding here
// reads the same way. (TCVN3 and VISCII put capital letters on some control codes.)
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x7f || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			return false
		}
	}
	return true
}

// decodeComposing writes the meaning of each byte (a character, or combining marks for the
// letter before, as Windows-1258's tones and VNI's mark bytes are) and composes each mark with
// the letter before it where Vietnamese has a precomposed letter, as NFC would, without NFC's
// allocations: decoding runs once per attribute value of a whole file.
func decodeComposing(t *[256]string, b []byte) string {
	out := make([]byte, 0, len(b)+len(b)/2)
	last, lastAt := rune(-1), 0
	for _, c := range b {
		for _, r := range t[c] {
			if r >= 0x300 && r <= 0x36f && last >= 0 { // a combining mark
				if comp, ok := composition[[2]rune{last, r}]; ok {
					out = utf8.AppendRune(out[:lastAt], comp)
					last = comp
					continue
				}
			}
			last, lastAt = r, len(out)
			out = utf8.AppendRune(out, r)
		}
	}
	return string(out)
}

// Encode converts s to e. It is the inverse of Decode for Vietnamese text: Decode(Encode(s))
// is NFC(s). Characters e cannot represent make it fail with an error wrapping
// ErrNotRepresentable that names the first of them. Gisd stores and exports UTF-8; Encode is
// for writing test files and for the rare export to a legacy system.
func (e Encoding) Encode(s string) ([]byte, error) {
	s = norm.NFC.String(s)
	switch e {
	case UTF8:
		return []byte(s), nil
	case ASCII:
		for i, r := range s {
			if r >= utf8.RuneSelf {
				return nil, notRepresentable(e, r, i)
			}
		}
		return []byte(s), nil
	case TCVN3, VISCII, CP1258, VNI:
		rev := reverse(e)
		out := make([]byte, 0, len(s)+len(s)/4)
		for i, r := range s {
			if code, ok := rev.runes[r]; ok {
				out = append(out, code...)
				continue
			}
			// A letter the encoding has no single code for: base letter (with its vowel
			// mark, ă â ê ô ơ ư) and a separate tone mark, as Windows-1258 writes them.
			base, tone, ok := splitTone(r)
			if !ok {
				return nil, notRepresentable(e, r, i)
			}
			bc, ok1 := rev.runes[base]
			tc, ok2 := rev.runes[tone]
			if !ok1 || !ok2 {
				return nil, notRepresentable(e, r, i)
			}
			out = append(out, bc...)
			out = append(out, tc...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("vnenc: cannot encode to %s", e)
}

func notRepresentable(e Encoding, r rune, at int) error {
	return fmt.Errorf("vnenc: %w: %q (U+%04X) at byte %d has no code in %s", ErrNotRepresentable, r, r, at, e)
}

// splitTone splits a precomposed letter into its toneless letter (NFC) and its tone mark.
func splitTone(r rune) (base, tone rune, ok bool) {
	d := []rune(norm.NFD.String(string(r)))
	if len(d) < 2 || !isTone(d[len(d)-1]) {
		// NFD puts the dot below (ccc 220) before the vowel marks (ccc 230).
		i := -1
		for j, m := range d {
			if isTone(m) {
				i = j
			}
		}
		if i < 1 {
			return 0, 0, false
		}
		tone = d[i]
		d = append(d[:i:i], d[i+1:]...)
	} else {
		tone = d[len(d)-1]
		d = d[:len(d)-1]
	}
	b := []rune(norm.NFC.String(string(d)))
	if len(b) != 1 {
		return 0, 0, false
	}
	return b[0], tone, true
}

// The five Vietnamese tone marks as combining characters.
const (
	markGrave    = '\u0300' // huyền
	markAcute    = '\u0301' // sắc
	markTilde    = '\u0303' // ngã
	markHook     = '\u0309' // hỏi
	markDotBelow = '\u0323' // nặng
)

func isTone(r rune) bool {
	switch r {
	case markGrave, markAcute, markTilde, markHook, markDotBelow:
		return true
	}
	return false
}
