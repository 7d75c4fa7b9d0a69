package vnenc

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Vietnamese writes one syllable per word: an initial consonant (or none), a rhyme made of an
// optional glide (o, u), a vowel nucleus and an optional final, and at most one tone mark. The
// rhymes are a closed set of about 160, and a syllable ending in p, t, c or ch takes only the
// acute or the dot below. A word decoded with the wrong encoding almost never satisfies all of
// this ("nguyôn", "v¨n", "ntwlt"), which is what detection counts on.

// onsets are the initial consonants, longest first where one is a prefix of another.
var onsets = []string{
	"ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
	"b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
}

// nuclei lists each vowel nucleus (with its glide, if any) and the finals it takes; "-" means
// the nucleus may end the syllable. Finals i, y, o, u, a are the off-glides (ai, ay, ao, au,
// ia, ua, ưa...).
var nuclei = map[string]string{
	"a":   "- c ch i m n ng nh o p t u y",
	"ă":   "c m n ng p t",
	"â":   "c m n ng p t u y",
	"e":   "- c m n ng o p t",
	"ê":   "- ch m n nh p t u",
	"i":   "- a ch m n nh p t u",
	"iê":  "c m n ng p t u",
	"yê":  "c m n ng p t u",
	"o":   "- c i m n ng p t",
	"oo":  "c ng",
	"ô":   "- c i m n ng p t",
	"ơ":   "- i m n p t",
	"u":   "- a c i m n ng p t",
	"uô":  "c i m n ng t",
	"ư":   "- a c i m n ng t u",
	"ươ":  "c i m n ng p t u",
	"y":   "-",
	"oa":  "- c ch i m n ng nh o p t y",
	"oă":  "c m n ng t",
	"oe":  "- c n ng o t",
	"uâ":  "n ng t y",
	"uê":  "- ch n nh u",
	"uy":  "- a ch n nh p t u",
	"uyê": "n t",
	"uơ":  "-",
}

// rhymes maps every valid rhyme to whether it ends in a stop (p, t, c, ch).
var rhymes = func() map[string]bool {
	m := map[string]bool{}
	for n, finals := range nuclei {
		for _, f := range strings.Fields(finals) {
			if f == "-" {
				f = ""
			}
			m[n+f] = f == "p" || f == "t" || f == "c" || f == "ch"
		}
	}
	return m
}()

// toneless maps each lower-case letter with a tone mark to the letter without it and the mark
// (ấ: â and the acute), so IsSyllable needs no normalization for NFC input.
var toneless = func() map[rune][2]rune {
	m := map[rune][2]rune{}
	for _, v := range "aăâeêioôơuưy" {
		for _, t := range []rune{markGrave, markAcute, markTilde, markHook, markDotBelow} {
			r := []rune(norm.NFC.String(string(v) + string(t)))[0]
			m[r] = [2]rune{v, t}
		}
	}
	return m
}()

// IsSyllable reports whether word, in any case and in NFC or NFD, is one written Vietnamese
// syllable ("Nguyễn", "ấp", "nước", "quốc"; not "nguyôn", "ĐT" or "hello").
func IsSyllable(word string) bool {
	if !norm.NFC.IsNormalString(word) {
		word = norm.NFC.String(word)
	}
	var buf [16]byte
	base := buf[:0]
	tone := rune(0)
	for _, r := range word {
		r = unicode.ToLower(r)
		if t, ok := toneless[r]; ok {
			if tone != 0 {
				return false
			}
			r, tone = t[0], t[1]
		}
		// Every Vietnamese letter is precomposed in NFC: a mark left over sits where no
		// Vietnamese mark goes (a tone on a consonant, a breve on e), as a wrong decoding
		// leaves it; so does anything that is not a letter of the alphabet.
		if !isVietLetter(r) || len(base)+utf8.RuneLen(r) > len(buf) {
			return false
		}
		base = utf8.AppendRune(base, r)
	}
	w := string(base)
	for _, on := range onsets {
		rest, ok := strings.CutPrefix(w, on)
		if !ok {
			continue
		}
		stop, ok := rhymes[rest]
		if !ok {
			continue
		}
		if stop && tone != markAcute && tone != markDotBelow {
			continue
		}
		return true
	}
	return false
}

// isVietLetter: the toneless lower-case letters of the Vietnamese alphabet.
func isVietLetter(r rune) bool {
	switch r {
	case 'ă', 'â', 'đ', 'ê', 'ô', 'ơ', 'ư':
		return true
	case 'f', 'j', 'w', 'z':
		return false
	}
	return r >= 'a' && r <= 'z'
}
