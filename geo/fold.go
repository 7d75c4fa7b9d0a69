package geo

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// vietBase maps every precomposed lower-case Vietnamese letter with
// diacritics to its base letter. Vietnamese needs only these 67 letters
// (a, e, i, o, u, y with the five tone marks, plus ă, â, ê, ô, ơ, ư and đ),
// so a table is complete for it, needs no dependency and handles đ, which
// Unicode decomposition leaves alone (đ is a letter, not d plus a mark).
var vietBase = func() map[rune]rune {
	groups := map[rune]string{
		'a': "àáảãạăằắẳẵặâầấẩẫậ",
		'e': "èéẻẽẹêềếểễệ",
		'i': "ìíỉĩị",
		'o': "òóỏõọôồốổỗộơờớởỡợ",
		'u': "ùúủũụưừứửữự",
		'y': "ỳýỷỹỵ",
		'd': "đð", // ð (U+00F0, from Ð U+00D0) stands in for đ in much legacy TCVN3-converted data
	}
	m := make(map[rune]rune, 70)
	for base, letters := range groups {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()

// Fold prepares a Vietnamese name for accent- and case-insensitive search:
// it lower-cases, strips diacritics (đ becomes d), turns every run of white
// space into one space and trims the ends, so "Thành phố  Đồng Xoài" and
// "THANH PHO DONG XOAI" both become "thanh pho dong xoai". Users type names
// without tone marks (or with a keyboard that produces decomposed marks),
// and the same folded form is stored next to the name for indexing.
//
// Both precomposed (NFC) and decomposed (NFD) input fold the same way:
// precomposed letters go through the table, and combining marks (Unicode
// category Mn) are dropped. Letters outside Vietnamese keep their case-folded
// form; punctuation and digits are kept.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending, written before the next kept rune
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.Is(unicode.Mn, r):
			continue
		}
		r = unicode.ToLower(r)
		if base, ok := vietBase[r]; ok {
			r = base
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if r < utf8.RuneSelf {
			b.WriteByte(byte(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
