package vnenc

import (
	"maps"
	"slices"
	"strings"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// VNI-Windows is not a code page but a font layout: a Vietnamese letter is its base letter
// followed by one byte that the font draws as the marks over or under it, so "ấ" is "a" and
// 0xE1, "Nguyễn" is "Nguye" 0xE3 "n". A few letters have a byte of their own (đ, ơ, ư, and i
// with each tone, ỵ). Every byte has one meaning, so decoding maps each byte to a letter or to
// combining marks, and NFC composes the marks with the letter before them. Bytes the layout does
// not use show the Windows-1252 character, as in any Windows font.
//
// The layout is VNI Software's character chart (vnisoft.com, "VNI character set"), as the
// converters in use transcribe it; TestVNI_PublishedTable checks all 134 letters against a
// published conversion table.
//
// The lower-case bytes are listed; the capital of each is 0x20 lower (0xF9 acute over a small
// letter, 0xD9 over a capital), as in the font.
var (
	vniLetters = map[byte]string{
		0xF1: "đ", 0xF4: "ơ", 0xF6: "ư",
		0xEC: "ì", 0xED: "í", 0xE6: "ỉ", 0xF3: "ĩ", 0xF2: "ị",
		0xEE: "ỵ",
	}
	// vniAlternates are second codes the VNI character chart gives for a few letters; they
	// decode, but Encode writes the main code (ỵ is 0xEE).
	vniAlternates = map[byte]string{0xFF: "ỵ", 0x9F: "Ỵ", 0xFD: "î", 0xDD: "Î", 0xF0: "ï", 0xD0: "Ï"}
	vniMarks      = map[byte]string{
		0xF8: "\u0300", 0xF9: "\u0301", 0xFB: "\u0309", 0xF5: "\u0303", 0xEF: "\u0323", // tones
		0xE2: "\u0302", // circumflex: â ê ô
		0xE0: "\u0302\u0300", 0xE1: "\u0302\u0301", 0xE5: "\u0302\u0309", 0xE3: "\u0302\u0303", 0xE4: "\u0302\u0323",
		0xEA: "\u0306", // breve: ă
		0xE8: "\u0306\u0300", 0xE9: "\u0306\u0301", 0xFA: "\u0306\u0309", 0xFC: "\u0306\u0303", 0xEB: "\u0306\u0323",
	}
)

// vniTable is the meaning of each byte: a character, or combining marks for the letter before.
var vniTable = func() (t [256]string) {
	for i := range t {
		if i < 0x80 {
			t[i] = string(rune(i))
			continue
		}
		r := charmap.Windows1252.DecodeByte(byte(i))
		if r == '\uFFFD' {
			r = rune(i) // 0x81, 0x8D...: the C1 control, as browsers read Windows-1252
		}
		t[i] = string(r)
	}
	for b, s := range vniLetters {
		t[b] = s
		t[b-0x20] = strings.ToUpper(s)
	}
	for b, s := range vniMarks {
		t[b] = s
		t[b-0x20] = s
	}
	for b, s := range vniAlternates {
		t[b] = s
	}
	return t
}()

func decodeVNI(b []byte) string { return decodeComposing(&vniTable, b) }

// reverseVNI finds the code of every character VNI can write: single bytes first (so ì is
// 0xEC, not "i" and a grave), then a letter with a mark byte of the same case (ấ is "a" 0xE1,
// Ấ is "A" 0xC1), keeping the first code found for each character.
func reverseVNI() *revTable {
	r := &revTable{runes: map[rune][]byte{}}
	add := func(code []byte) {
		s := []rune(norm.NFC.String(decodeVNI(code)))
		if len(s) != 1 || s[0] == '\uFFFD' {
			return
		}
		if _, ok := r.runes[s[0]]; !ok {
			r.runes[s[0]] = append([]byte(nil), code...)
		}
	}
	for i := 0; i < 256; i++ {
		if _, alt := vniAlternates[byte(i)]; !alt {
			add([]byte{byte(i)})
		}
	}
	bases := []byte("aeiouyAEIOUY")
	for _, b := range slices.Sorted(maps.Keys(vniLetters)) {
		bases = append(bases, b, b-0x20)
	}
	marks := slices.Sorted(maps.Keys(vniMarks))
	for _, base := range bases {
		upper := base < 'a' || (base >= 0x80 && base < 0xE0)
		for _, m := range marks {
			if upper {
				m -= 0x20
			}
			add([]byte{base, m})
		}
	}
	return r
}
