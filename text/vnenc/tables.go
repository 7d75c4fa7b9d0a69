package vnenc

import (
	"sync"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// tcvn3Table decodes TCVN 5712:1993 VN1 (glibc iconv "TCVN5712-1"), byte by byte. TCVN3 as the
// ABC fonts use it (VN3) is VN1 without the capitals with tone marks, which VN1 puts on some
// C0 control codes and on 0x80-0x9F and a few other places; decoding VN1 reads VN3 correctly and
// also the capitals that converters writing VN1 produce. 0xB0-0xB4 are the combining tone marks.
// TestTables_MatchIconv compares every byte with iconv.
var tcvn3Table = buildTable(tcvn3Controls, &tcvn3High)

// visciiTable decodes VISCII 1.1 (RFC 1456; glibc iconv "VISCII"), byte by byte.
var visciiTable = buildTable(visciiControls, &visciiHigh)

// buildTable is ASCII with the given control codes replaced, then the high half.
func buildTable(controls map[byte]rune, high *[128]rune) (t [256]rune) {
	for i := range 128 {
		t[i] = rune(i)
		if r, ok := controls[byte(i)]; ok {
			t[i] = r
		}
		t[128+i] = high[i]
	}
	return t
}

// tcvn3Controls are the control codes TCVN 5712:1993 VN1 (glibc iconv "TCVN5712-1") puts capital
// letters on.
var tcvn3Controls = map[byte]rune{
	0x01: 0x00DA, 0x02: 0x1EE4, 0x04: 0x1EEA, 0x05: 0x1EEC, 0x06: 0x1EEE, 0x11: 0x1EE8,
	0x12: 0x1EF0, 0x13: 0x1EF2, 0x14: 0x1EF6, 0x15: 0x1EF8, 0x16: 0x00DD, 0x17: 0x1EF4,
}

// tcvn3High decodes 0x80-0xFF.
var tcvn3High = [128]rune{
	0x00C0, 0x1EA2, 0x00C3, 0x00C1, 0x1EA0, 0x1EB6, 0x1EAC, 0x00C8, // 80
	0x1EBA, 0x1EBC, 0x00C9, 0x1EB8, 0x1EC6, 0x00CC, 0x1EC8, 0x0128, // 88
	0x00CD, 0x1ECA, 0x00D2, 0x1ECE, 0x00D5, 0x00D3, 0x1ECC, 0x1ED8, // 90
	0x1EDC, 0x1EDE, 0x1EE0, 0x1EDA, 0x1EE2, 0x00D9, 0x1EE6, 0x0168, // 98
	0x00A0, 0x0102, 0x00C2, 0x00CA, 0x00D4, 0x01A0, 0x01AF, 0x0110, // A0
	0x0103, 0x00E2, 0x00EA, 0x00F4, 0x01A1, 0x01B0, 0x0111, 0x1EB0, // A8
	0x0300, 0x0309, 0x0303, 0x0301, 0x0323, 0x00E0, 0x1EA3, 0x00E3, // B0
	0x00E1, 0x1EA1, 0x1EB2, 0x1EB1, 0x1EB3, 0x1EB5, 0x1EAF, 0x1EB4, // B8
	0x1EAE, 0x1EA6, 0x1EA8, 0x1EAA, 0x1EA4, 0x1EC0, 0x1EB7, 0x1EA7, // C0
	0x1EA9, 0x1EAB, 0x1EA5, 0x1EAD, 0x00E8, 0x1EC2, 0x1EBB, 0x1EBD, // C8
	0x00E9, 0x1EB9, 0x1EC1, 0x1EC3, 0x1EC5, 0x1EBF, 0x1EC7, 0x00EC, // D0
	0x1EC9, 0x1EC4, 0x1EBE, 0x1ED2, 0x0129, 0x00ED, 0x1ECB, 0x00F2, // D8
	0x1ED4, 0x1ECF, 0x00F5, 0x00F3, 0x1ECD, 0x1ED3, 0x1ED5, 0x1ED7, // E0
	0x1ED1, 0x1ED9, 0x1EDD, 0x1EDF, 0x1EE1, 0x1EDB, 0x1EE3, 0x00F9, // E8
	0x1ED6, 0x1EE7, 0x0169, 0x00FA, 0x1EE5, 0x1EEB, 0x1EED, 0x1EEF, // F0
	0x1EE9, 0x1EF1, 0x1EF3, 0x1EF7, 0x1EF9, 0x00FD, 0x1EF5, 0x1ED0, // F8
}

// visciiControls are the control codes VISCII 1.1 (RFC 1456; glibc iconv "VISCII") puts capital
// letters on.
var visciiControls = map[byte]rune{
	0x02: 0x1EB2, 0x05: 0x1EB4, 0x06: 0x1EAA, 0x14: 0x1EF6, 0x19: 0x1EF8, 0x1E: 0x1EF4,
}

// visciiHigh decodes 0x80-0xFF.
var visciiHigh = [128]rune{
	0x1EA0, 0x1EAE, 0x1EB0, 0x1EB6, 0x1EA4, 0x1EA6, 0x1EA8, 0x1EAC, // 80
	0x1EBC, 0x1EB8, 0x1EBE, 0x1EC0, 0x1EC2, 0x1EC4, 0x1EC6, 0x1ED0, // 88
	0x1ED2, 0x1ED4, 0x1ED6, 0x1ED8, 0x1EE2, 0x1EDA, 0x1EDC, 0x1EDE, // 90
	0x1ECA, 0x1ECE, 0x1ECC, 0x1EC8, 0x1EE6, 0x0168, 0x1EE4, 0x1EF2, // 98
	0x00D5, 0x1EAF, 0x1EB1, 0x1EB7, 0x1EA5, 0x1EA7, 0x1EA9, 0x1EAD, // A0
	0x1EBD, 0x1EB9, 0x1EBF, 0x1EC1, 0x1EC3, 0x1EC5, 0x1EC7, 0x1ED1, // A8
	0x1ED3, 0x1ED5, 0x1ED7, 0x1EE0, 0x01A0, 0x1ED9, 0x1EDD, 0x1EDF, // B0
	0x1ECB, 0x1EF0, 0x1EE8, 0x1EEA, 0x1EEC, 0x01A1, 0x1EDB, 0x01AF, // B8
	0x00C0, 0x00C1, 0x00C2, 0x00C3, 0x1EA2, 0x0102, 0x1EB3, 0x1EB5, // C0
	0x00C8, 0x00C9, 0x00CA, 0x1EBA, 0x00CC, 0x00CD, 0x0128, 0x1EF3, // C8
	0x0110, 0x1EE9, 0x00D2, 0x00D3, 0x00D4, 0x1EA1, 0x1EF7, 0x1EEB, // D0
	0x1EED, 0x00D9, 0x00DA, 0x1EF9, 0x1EF5, 0x00DD, 0x1EE1, 0x01B0, // D8
	0x00E0, 0x00E1, 0x00E2, 0x00E3, 0x1EA3, 0x0103, 0x1EEF, 0x1EAB, // E0
	0x00E8, 0x00E9, 0x00EA, 0x1EBB, 0x00EC, 0x00ED, 0x0129, 0x1EC9, // E8
	0x0111, 0x1EF1, 0x00F2, 0x00F3, 0x00F4, 0x00F5, 0x1ECF, 0x1ECD, // F0
	0x1EE5, 0x00F9, 0x00FA, 0x0169, 0x1EE7, 0x00FD, 0x1EE3, 0x1EEE, // F8
}

// cp1258Table decodes Windows-1258 byte by byte with x/text's table (Unicode's mapping for the
// code page); the five bytes it leaves undefined decode to U+FFFD. The combining tone marks it
// holds (0xCC, 0xDE, 0xD2, 0xEC, 0xF2) are composed by Decode's NFC step.
var cp1258Table = func() (t [256]rune) {
	for i := range t {
		t[i] = charmap.Windows1258.DecodeByte(byte(i))
	}
	return t
}()

// The single-byte tables as strings, for decodeComposing.
var tcvn3Strings, visciiStrings, cp1258Strings = runeStrings(&tcvn3Table), runeStrings(&visciiTable), runeStrings(&cp1258Table)

func runeStrings(t *[256]rune) (s [256]string) {
	for i, r := range t {
		s[i] = string(r)
	}
	return s
}

// composition maps a letter and a following combining mark to the precomposed letter NFC makes
// of them, for every letter a Vietnamese letter is built from: the vowels with and without
// their vowel marks, in both cases, and their combinations with a tone.
var composition = func() map[[2]rune]rune {
	marks := []rune{'\u0300', '\u0301', '\u0303', '\u0309', '\u0323', '\u0302', '\u0306', '\u031B'}
	m := map[[2]rune]rune{}
	var bases []rune
	for _, v := range "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY" {
		bases = append(bases, v)
		for _, t := range marks[:5] {
			bases = append(bases, []rune(norm.NFC.String(string(v) + string(t)))[0])
		}
	}
	for _, b := range bases {
		for _, mk := range marks {
			if c := []rune(norm.NFC.String(string(b) + string(mk))); len(c) == 1 {
				m[[2]rune{b, mk}] = c[0]
			}
		}
	}
	return m
}()

// revTable maps characters to their code in one encoding, for Encode.
type revTable struct {
	runes map[rune][]byte
}

var reverseTables = sync.OnceValue(func() map[Encoding]*revTable {
	m := map[Encoding]*revTable{}
	for e, t := range map[Encoding]*[256]rune{TCVN3: &tcvn3Table, VISCII: &visciiTable, CP1258: &cp1258Table} {
		m[e] = reverseSingle(t)
	}
	m[VNI] = reverseVNI()
	return m
})

func reverse(e Encoding) *revTable { return reverseTables()[e] }

// reverseSingle inverts a single-byte table; where two bytes decode to the same character the
// lower byte wins, and U+FFFD (an undefined byte) has no code.
func reverseSingle(t *[256]rune) *revTable {
	r := &revTable{runes: make(map[rune][]byte, 256)}
	for i := 255; i >= 0; i-- {
		if t[i] != '\uFFFD' {
			r.runes[t[i]] = []byte{byte(i)}
		}
	}
	return r
}
