package vnenc

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// MaxDetectWords is how many words a Detector scores before it only counts values: enough to
// tell the encodings apart with certainty, and a bound on the work for a file of millions of
// values.
const MaxDetectWords = 20000

// Detector decides the encoding of a file's text from its values. Add every text value (or a
// sample); Result then says which encoding turns the most words into Vietnamese syllables.
// Only words with bytes outside printable ASCII are scored: the rest read the same in every
// candidate. The zero value is ready to use; a Detector is not safe for concurrent use.
type Detector struct {
	values, nonASCII, notUTF8, words int
	syllables                        [len(candidateOrder)]int
	example                          []byte
}

// candidateOrder are the encodings detection chooses among, in tie-break order. VISCII is left
// out: it is rare in cadastral files and, being like TCVN3 a table of precomposed letters, it
// reads almost half of the words of a TCVN3 file as other syllables, which on a small sample
// could tie. It is decoded when asked for by name.
var candidateOrder = [...]Encoding{UTF8, TCVN3, VNI, CP1258}

// Add counts one text value, as raw bytes.
func (d *Detector) Add(v []byte) {
	d.values++
	if plainASCII(v) {
		return
	}
	d.nonASCII++
	if !utf8.Valid(v) {
		d.notUTF8++
	}
	if d.words >= MaxDetectWords {
		return
	}
	for i := 0; i < len(v); {
		if !wordByte(v[i]) {
			i++
			continue
		}
		j, special := i, false
		for ; j < len(v) && wordByte(v[j]); j++ {
			if v[j] >= 0x7f || v[j] < 0x20 {
				special = true
			}
		}
		if special {
			d.scoreWord(v[i:j])
			if d.example == nil {
				d.example = append([]byte(nil), v[:min(len(v), 60)]...)
			}
		}
		i = j
	}
}

// Full reports whether the Detector has scored MaxDetectWords words: more values would not
// change its answer, so a caller reading a large file may stop feeding it.
func (d *Detector) Full() bool { return d.words >= MaxDetectWords }

// wordByte: bytes words are made of in some candidate. Every candidate is ASCII-compatible for
// printable characters, so ASCII punctuation, digits and space separate words in all of them;
// control codes do not, as TCVN3 and VISCII put capitals there.
func wordByte(c byte) bool {
	l := c | 0x20
	return c >= 0x80 || (l >= 'a' && l <= 'z') || (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
}

func (d *Detector) scoreWord(w []byte) {
	d.words++
	for i, e := range candidateOrder {
		if IsSyllable(e.Decode(w)) {
			d.syllables[i]++
		}
	}
}

// Score is how one candidate encoding did.
type Score struct {
	Encoding Encoding
	// Syllables is how many of Detection.Words decode to a Vietnamese syllable in it.
	Syllables int
}

// Detection is a Detector's verdict.
type Detection struct {
	// Encoding is the best candidate (ASCII when no value needs decoding).
	Encoding Encoding
	// Confident is false when the evidence does not single out one encoding (too few words,
	// or two encodings read them equally well); the caller should then ask for the encoding.
	Confident bool
	Values    int // text values seen
	NonASCII  int // values with bytes outside printable ASCII
	NotUTF8   int // values that are not valid UTF-8
	Words     int // words with such bytes, the ones scored
	// Scores holds every candidate, best first.
	Scores []Score
	// Example is the first value that needed decoding (at most 60 bytes), to show.
	Example []byte
}

// Result decides. With no value outside ASCII it is ASCII. Otherwise the encoding in which the
// most words are syllables wins (ties go to UTF-8, then TCVN3, VNI, Windows-1258). The
// verdict is confident when the winner is UTF-8 and every value is valid UTF-8 (legacy text is
// practically never valid UTF-8 throughout), or when at least half the words are syllables in
// the winner and it leads the next candidate by at least a tenth of them.
func (d *Detector) Result() Detection {
	r := Detection{Values: d.values, NonASCII: d.nonASCII, NotUTF8: d.notUTF8, Words: d.words, Example: d.example}
	if d.nonASCII == 0 {
		return Detection{Encoding: ASCII, Confident: true, Values: d.values}
	}
	for i, e := range candidateOrder {
		r.Scores = append(r.Scores, Score{Encoding: e, Syllables: d.syllables[i]})
	}
	// Stable insertion sort by syllables, descending: keeps the tie-break order.
	for i := 1; i < len(r.Scores); i++ {
		for j := i; j > 0 && r.Scores[j].Syllables > r.Scores[j-1].Syllables; j-- {
			r.Scores[j], r.Scores[j-1] = r.Scores[j-1], r.Scores[j]
		}
	}
	best, second := r.Scores[0], r.Scores[1]
	r.Encoding = best.Encoding
	switch {
	case best.Encoding == UTF8 && d.notUTF8 == 0:
		r.Confident = true
	case d.words > 0:
		r.Confident = best.Syllables*2 >= d.words && best.Syllables > second.Syllables &&
			best.Syllables-second.Syllables >= d.words/10
	}
	return r
}

// Detect runs a Detector over values.
func Detect(values ...[]byte) Detection {
	var d Detector
	for _, v := range values {
		d.Add(v)
	}
	return d.Result()
}

// String explains the verdict in a sentence for an import report:
//
//	TCVN3: 1,180 of 1,200 words with non-ASCII letters are Vietnamese syllables in it (98%);
//	Windows-1258 13%; VNI-Windows 6%; UTF-8 0% (412 values are not UTF-8); e.g. "NguyÔn" → "Nguyễn"
func (r Detection) String() string {
	if r.Encoding == ASCII || r.NonASCII == 0 {
		return fmt.Sprintf("all %s text values are plain ASCII", thousands(r.Values))
	}
	var b strings.Builder
	if !r.Confident {
		b.WriteString("not conclusive, best ")
	}
	fmt.Fprintf(&b, "%s: ", r.Encoding)
	if r.Words == 0 {
		fmt.Fprintf(&b, "%s values with non-ASCII bytes but no words to judge", thousands(r.NonASCII))
	} else {
		fmt.Fprintf(&b, "%s of %s words with non-ASCII letters are Vietnamese syllables in it (%d%%)",
			thousands(r.Scores[0].Syllables), thousands(r.Words), percent(r.Scores[0].Syllables, r.Words))
		for _, s := range r.Scores[1:] {
			fmt.Fprintf(&b, "; %s %d%%", s.Encoding, percent(s.Syllables, r.Words))
		}
	}
	if r.NotUTF8 > 0 {
		fmt.Fprintf(&b, " (%s values are not UTF-8)", thousands(r.NotUTF8))
	}
	if len(r.Example) > 0 && r.Encoding != UTF8 {
		shown, _ := charmap.Windows1252.NewDecoder().Bytes(r.Example)
		fmt.Fprintf(&b, `; e.g. "%s" → "%s"`, shown, r.Encoding.Decode(r.Example))
	}
	return b.String()
}

func percent(n, of int) int {
	if of == 0 {
		return 0
	}
	return (n*100 + of/2) / of
}

// thousands formats n with comma separators, as the import report writes counts.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
