package vnenc

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// iconv runs glibc's iconv, the outside oracle for the TCVN3, Windows-1258 and VISCII tables.
func iconv(t testing.TB, from, to string, in []byte) ([]byte, error) {
	t.Helper()
	path, err := exec.LookPath("iconv")
	if err != nil {
		t.Skip("iconv is not installed; it is the outside oracle for the tables (Debian: libc-bin)")
	}
	cmd := exec.Command(path, "-f", from, "-t", to)
	cmd.Stdin = bytes.NewReader(in)
	return cmd.Output()
}

// oracles are the iconv names of the encodings whose tables come from glibc.
var oracles = []struct {
	enc  Encoding
	name string
}{{TCVN3, "TCVN5712-1"}, {CP1258, "CP1258"}, {VISCII, "VISCII"}}

// TestTables_MatchIconv decodes every byte with iconv and with the table.
func TestTables_MatchIconv(t *testing.T) {
	for _, o := range oracles {
		t.Run(o.enc.String(), func(t *testing.T) {
			table := map[Encoding]*[256]rune{TCVN3: &tcvn3Table, CP1258: &cp1258Table, VISCII: &visciiTable}[o.enc]
			var in []byte
			var bs []byte
			for b := 0; b < 256; b++ {
				if b == '\n' {
					continue
				}
				// A byte iconv has no character for fails the whole batch: test it alone.
				if _, err := iconv(t, o.name, "UTF-32BE", []byte{byte(b)}); err != nil {
					if table[b] != '\uFFFD' {
						t.Errorf("byte %#02x: iconv: undefined, table: %U", b, table[b])
					}
					continue
				}
				// Each byte on its own line, so no combining mark composes with a letter.
				in = append(in, byte(b), '\n')
				bs = append(bs, byte(b))
			}
			out, err := iconv(t, o.name, "UTF-32BE", in)
			if err != nil {
				t.Fatalf("iconv: %v", err)
			}
			if len(out) != 8*len(bs) {
				t.Fatalf("iconv gave %d code points for %d bytes", len(out)/4, len(bs))
			}
			for i, b := range bs {
				want := rune(binary.BigEndian.Uint32(out[8*i:]))
				if table[b] != want {
					t.Errorf("byte %#02x: got %U, iconv %U", b, table[b], want)
				}
			}
		})
	}
}

// vietLetters is every letter of the Vietnamese alphabet in both cases: the twelve vowels with
// no tone and with each of the five, đ, and the consonants.
func vietLetters() []string {
	var out []string
	for _, v := range "aăâeêioôơuưy" {
		for _, tone := range []string{"", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"} {
			l := norm.NFC.String(string(v) + tone)
			out = append(out, l, strings.ToUpper(l))
		}
	}
	for _, c := range "bcdđghklmnpqrstvx" {
		out = append(out, string(c), strings.ToUpper(string(c)))
	}
	return out
}

func TestVietLetters_Count(t *testing.T) {
	// 12 vowels x 6 tones x 2 cases + 17 consonants x 2 cases.
	if got, want := len(vietLetters()), 12*6*2+17*2; got != want {
		t.Fatalf("got %d letters, want %d", got, want)
	}
}

// TestLetters_Iconv: every letter, as iconv encodes it, decodes to the letter, and Encode writes
// the same bytes as iconv.
func TestLetters_Iconv(t *testing.T) {
	letters := vietLetters()
	for _, o := range oracles {
		t.Run(o.enc.String(), func(t *testing.T) {
			out, err := iconv(t, "UTF-8", o.name, []byte(strings.Join(letters, "\n")))
			if err != nil {
				t.Fatalf("iconv: %v", err)
			}
			codes := bytes.Split(out, []byte("\n"))
			if len(codes) != len(letters) {
				t.Fatalf("iconv gave %d codes for %d letters", len(codes), len(letters))
			}
			for i, l := range letters {
				if got := o.enc.Decode(codes[i]); got != l {
					t.Errorf("%s: Decode(% X) = %q, want %q", l, codes[i], got, l)
				}
				enc, err := o.enc.Encode(l)
				if err != nil || !bytes.Equal(enc, codes[i]) {
					t.Errorf("%s: Encode = % X, %v; iconv % X", l, enc, err, codes[i])
				}
			}
		})
	}
}

// vniPublished are the VNI-Windows codes of the 134 letters with diacritics, from the table of
// the vietnamese-conversion project (src/charsets.ts, MIT licence), which writes each code as
// Windows-1252 characters; here as bytes. It is independent of vni.go's layout and agrees with
// VNI Software's character chart.
var vniPublished = [][2]string{
	{"À", "41 D8"}, {"Á", "41 D9"}, {"Â", "41 C2"}, {"Ã", "41 D5"}, {"È", "45 D8"}, {"É", "45 D9"},
	{"Ê", "45 C2"}, {"Ì", "CC"}, {"Í", "CD"}, {"Ò", "4F D8"}, {"Ó", "4F D9"}, {"Ô", "4F C2"},
	{"Õ", "4F D5"}, {"Ù", "55 D8"}, {"Ú", "55 D9"}, {"Ý", "59 D9"}, {"à", "61 F8"}, {"á", "61 F9"},
	{"â", "61 E2"}, {"ã", "61 F5"}, {"è", "65 F8"}, {"é", "65 F9"}, {"ê", "65 E2"}, {"ì", "EC"},
	{"í", "ED"}, {"ò", "6F F8"}, {"ó", "6F F9"}, {"ô", "6F E2"}, {"õ", "6F F5"}, {"ù", "75 F8"},
	{"ú", "75 F9"}, {"ý", "79 F9"}, {"Ă", "41 CA"}, {"ă", "61 EA"}, {"Đ", "D1"}, {"đ", "F1"},
	{"Ĩ", "D3"}, {"ĩ", "F3"}, {"Ũ", "55 D5"}, {"ũ", "75 F5"}, {"Ơ", "D4"}, {"ơ", "F4"},
	{"Ư", "D6"}, {"ư", "F6"}, {"Ạ", "41 CF"}, {"ạ", "61 EF"}, {"Ả", "41 DB"}, {"ả", "61 FB"},
	{"Ấ", "41 C1"}, {"ấ", "61 E1"}, {"Ầ", "41 C0"}, {"ầ", "61 E0"}, {"Ẩ", "41 C5"}, {"ẩ", "61 E5"},
	{"Ẫ", "41 C3"}, {"ẫ", "61 E3"}, {"Ậ", "41 C4"}, {"ậ", "61 E4"}, {"Ắ", "41 C9"}, {"ắ", "61 E9"},
	{"Ằ", "41 C8"}, {"ằ", "61 E8"}, {"Ẳ", "41 DA"}, {"ẳ", "61 FA"}, {"Ẵ", "41 DC"}, {"ẵ", "61 FC"},
	{"Ặ", "41 CB"}, {"ặ", "61 EB"}, {"Ẹ", "45 CF"}, {"ẹ", "65 EF"}, {"Ẻ", "45 DB"}, {"ẻ", "65 FB"},
	{"Ẽ", "45 D5"}, {"ẽ", "65 F5"}, {"Ế", "45 C1"}, {"ế", "65 E1"}, {"Ề", "45 C0"}, {"ề", "65 E0"},
	{"Ể", "45 C5"}, {"ể", "65 E5"}, {"Ễ", "45 C3"}, {"ễ", "65 E3"}, {"Ệ", "45 C4"}, {"ệ", "65 E4"},
	{"Ỉ", "C6"}, {"ỉ", "E6"}, {"Ị", "D2"}, {"ị", "F2"}, {"Ọ", "4F CF"}, {"ọ", "6F EF"},
	{"Ỏ", "4F DB"}, {"ỏ", "6F FB"}, {"Ố", "4F C1"}, {"ố", "6F E1"}, {"Ồ", "4F C0"}, {"ồ", "6F E0"},
	{"Ổ", "4F C5"}, {"ổ", "6F E5"}, {"Ỗ", "4F C3"}, {"ỗ", "6F E3"}, {"Ộ", "4F C4"}, {"ộ", "6F E4"},
	{"Ớ", "D4 D9"}, {"ớ", "F4 F9"}, {"Ờ", "D4 D8"}, {"ờ", "F4 F8"}, {"Ở", "D4 DB"}, {"ở", "F4 FB"},
	{"Ỡ", "D4 D5"}, {"ỡ", "F4 F5"}, {"Ợ", "D4 CF"}, {"ợ", "F4 EF"}, {"Ụ", "55 CF"}, {"ụ", "75 EF"},
	{"Ủ", "55 DB"}, {"ủ", "75 FB"}, {"Ứ", "D6 D9"}, {"ứ", "F6 F9"}, {"Ừ", "D6 D8"}, {"ừ", "F6 F8"},
	{"Ử", "D6 DB"}, {"ử", "F6 FB"}, {"Ữ", "D6 D5"}, {"ữ", "F6 F5"}, {"Ự", "D6 CF"}, {"ự", "F6 EF"},
	{"Ỳ", "59 D8"}, {"ỳ", "79 F8"}, {"Ỵ", "CE"}, {"ỵ", "EE"}, {"Ỷ", "59 DB"}, {"ỷ", "79 FB"},
	{"Ỹ", "59 D5"}, {"ỹ", "79 F5"},
}

func TestVNI_PublishedTable(t *testing.T) {
	if len(vniPublished) != 134 {
		t.Fatalf("table has %d letters, want 134", len(vniPublished))
	}
	for _, p := range vniPublished {
		code, err := hex.DecodeString(strings.ReplaceAll(p[1], " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		if got := VNI.Decode(code); got != p[0] {
			t.Errorf("Decode(% X) = %q, want %q", code, got, p[0])
		}
		if got, err := VNI.Encode(p[0]); err != nil || !bytes.Equal(got, code) {
			t.Errorf("Encode(%q) = % X, %v; want % X", p[0], got, err, code)
		}
	}
}

// TestLetters_RoundTrip: every letter in both cases, in every legacy encoding, from NFC and
// from NFD input.
func TestLetters_RoundTrip(t *testing.T) {
	for _, e := range []Encoding{TCVN3, VNI, CP1258, VISCII, UTF8} {
		for _, l := range vietLetters() {
			for _, in := range []string{l, norm.NFD.String(l)} {
				b, err := e.Encode(in)
				if err != nil {
					t.Errorf("%s: Encode(%q): %v", e, in, err)
					continue
				}
				if got := e.Decode(b); got != l {
					t.Errorf("%s: Decode(Encode(%q)) = %q (% X)", e, in, got, b)
				}
			}
		}
	}
}

// Cadastral text as it appears in owner, address and land-use fields.
var cadastral = []string{
	"Nguyễn Văn Ưng",
	"Ấp Thuận Phú",
	"Đất trồng lúa nước",
	"Trần Thị Mỹ Hạnh",
	"Phường Tân Phú, thành phố Đồng Xoài",
	"Đất ở tại nông thôn",
	"Hộ ông Lê Quốc Việt và bà Đỗ Thị Ngọc Ánh",
	"Đất trồng cây lâu năm khác",
	"Khu phố 4, phường Nghĩa Phong, thị xã Phước Long, tỉnh Bình Phước",
	"Xã Lộc Ninh, huyện Lộc Ninh",
	"Đất rừng sản xuất",
	"Nhà văn hóa ấp Sóc Lớn",
	"HUỲNH KHƯƠNG NINH",
	"Đường ĐT.741",
}

func TestDecode_Cadastral(t *testing.T) {
	for _, o := range oracles {
		t.Run(o.enc.String(), func(t *testing.T) {
			for _, s := range cadastral {
				b, err := iconv(t, "UTF-8", o.name, []byte(s))
				if err != nil {
					t.Fatalf("iconv %q: %v", s, err)
				}
				if got := o.enc.Decode(b); got != s {
					t.Errorf("Decode(% X) = %q, want %q", b, got, s)
				}
			}
		})
	}
	// VNI bytes written out by hand from the character chart.
	vni := []struct {
		code []byte
		want string
	}{
		{[]byte("Nguye\xe3n Va\xean \xd6ng"), "Nguyễn Văn Ưng"},
		{[]byte("A\xc1p Thua\xe4n Phu\xf9"), "Ấp Thuận Phú"},
		{[]byte("\xd1a\xe1t tro\xe0ng lu\xf9a n\xf6\xf4\xf9c"), "Đất trồng lúa nước"},
	}
	for _, c := range vni {
		if got := VNI.Decode(c.code); got != c.want {
			t.Errorf("VNI.Decode(% X) = %q, want %q", c.code, got, c.want)
		}
	}
}

func TestDecode_NFC(t *testing.T) {
	// Windows-1258 writes tones as combining marks; the result is composed.
	got := CP1258.Decode([]byte("Nguy\xea\xden"))
	if got != "Nguyễn" || !norm.NFC.IsNormalString(got) {
		t.Fatalf("got %q (% X), want NFC Nguyễn", got, got)
	}
	// Decomposed UTF-8 is composed too.
	if got := UTF8.Decode([]byte(norm.NFD.String("Đất ở"))); got != "Đất ở" {
		t.Fatalf("UTF8.Decode(NFD) = %q", got)
	}
	if got := UTF8.Decode([]byte("a\xffb")); got != "a\uFFFDb" {
		t.Fatalf("invalid UTF-8: got %q", got)
	}
}

func TestEncode_NotRepresentable(t *testing.T) {
	for _, e := range []Encoding{TCVN3, VNI, CP1258, VISCII, ASCII} {
		_, err := e.Encode("Ωmega")
		if !errors.Is(err, ErrNotRepresentable) {
			t.Errorf("%s: got %v, want ErrNotRepresentable", e, err)
		}
	}
}

func TestParseEncoding(t *testing.T) {
	for in, want := range map[string]Encoding{
		"TCVN3": TCVN3, "abc": TCVN3, "TCVN-5712": TCVN3, "tcvn5712-1": TCVN3,
		"VNI": VNI, "vni-windows": VNI, "VNI Win": VNI,
		"cp1258": CP1258, "Windows-1258": CP1258, "ANSI 1258": CP1258, "1258": CP1258,
		"viscii": VISCII, "UTF-8": UTF8, "utf8": UTF8, "65001": UTF8, " ascii ": ASCII,
	} {
		got, err := ParseEncoding(in)
		if err != nil || got != want {
			t.Errorf("ParseEncoding(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "latin1", "1252", "vni2"} {
		if _, err := ParseEncoding(in); !errors.Is(err, ErrUnknownEncoding) {
			t.Errorf("ParseEncoding(%q): got %v, want ErrUnknownEncoding", in, err)
		}
	}
}

func TestIsSyllable(t *testing.T) {
	for _, w := range []string{
		"Nguyễn", "văn", "Ưng", "ấp", "Thuận", "phú", "đất", "trồng", "lúa", "nước", "quốc",
		"giữa", "gì", "khuya", "chuyện", "nghiêng", "oanh", "thuở", "xoong", "HUỲNH", "khương",
		"a", "y", "ý", "yêu", "tuần", "quyết", "ngoặt", "khuỵu", norm.NFD.String("Việt"),
	} {
		if !IsSyllable(w) {
			t.Errorf("IsSyllable(%q) = false, want true", w)
		}
	}
	for _, w := range []string{
		"", "nguyôn", "v¨n", "NguyÔn", "hello", "ĐT", "đđ", "tất̀", "tàt", "tat", "bên̉", "fa",
		"Nguy\u00ean\u00de", "ă", "iê", "ntwlt", "Ĕ", "aa",
	} {
		if IsSyllable(w) {
			t.Errorf("IsSyllable(%q) = true, want false", w)
		}
	}
}

func TestDetect(t *testing.T) {
	sample := func(t *testing.T, e Encoding, texts []string) [][]byte {
		t.Helper()
		var out [][]byte
		for _, s := range texts {
			b, err := e.Encode(s)
			if err != nil {
				t.Fatalf("%s: %v", e, err)
			}
			out = append(out, b)
		}
		return out
	}
	// Codes, numbers and names without diacritics sit beside the Vietnamese text in real
	// files; they must not sway the verdict.
	ascii := []string{"LUC", "ONT", "25216", "CLN", "Binh Phuoc", "12/345", ""}
	for _, e := range []Encoding{UTF8, TCVN3, VNI, CP1258} {
		t.Run(e.String(), func(t *testing.T) {
			values := sample(t, e, append(append([]string{}, ascii...), cadastral...))
			r := Detect(values...)
			if r.Encoding != e || !r.Confident {
				t.Fatalf("got %v (confident %v), want %v: %s", r.Encoding, r.Confident, e, r)
			}
			if r.Values != len(values) || r.NonASCII != len(cadastral) {
				t.Errorf("values %d non-ASCII %d, want %d and %d", r.Values, r.NonASCII, len(values), len(cadastral))
			}
			if !strings.HasPrefix(r.String(), e.String()+": ") {
				t.Errorf("String() = %q", r)
			}
		})
	}
	t.Run("one word", func(t *testing.T) {
		r := Detect([]byte("Nguy\xd4n"))
		if r.Encoding != TCVN3 || !r.Confident {
			t.Fatalf("got %v confident %v: %s", r.Encoding, r.Confident, r)
		}
	})
	t.Run("ASCII", func(t *testing.T) {
		r := Detect([]byte("LUC"), []byte("Nguyen Van A"))
		if r.Encoding != ASCII || !r.Confident || r.String() != "all 2 text values are plain ASCII" {
			t.Fatalf("got %v %v %q", r.Encoding, r.Confident, r)
		}
	})
	t.Run("mostly TCVN3, some UTF-8", func(t *testing.T) {
		// A file edited by two tools: the legacy encoding of most values wins.
		values := sample(t, TCVN3, cadastral)
		values = append(values, sample(t, UTF8, cadastral[:2])...)
		r := Detect(values...)
		if r.Encoding != TCVN3 || !r.Confident || r.NotUTF8 != len(cadastral) {
			t.Fatalf("got %v confident %v not UTF-8 %d: %s", r.Encoding, r.Confident, r.NotUTF8, r)
		}
	})
	t.Run("not Vietnamese", func(t *testing.T) {
		// Latin-1 French and Spanish: no candidate reads it as Vietnamese.
		r := Detect([]byte("Caf\xe9 cr\xe8me"), []byte("Ma\xf1ana"), []byte("gar\xe7on"))
		if r.Confident {
			t.Fatalf("got confident %v: %s", r.Encoding, r)
		}
		if !strings.HasPrefix(r.String(), "not conclusive") {
			t.Errorf("String() = %q", r)
		}
	})
	t.Run("UTF-8 without Vietnamese", func(t *testing.T) {
		r := Detect([]byte("120 m²"), []byte("Café"))
		if r.Encoding != UTF8 || !r.Confident {
			t.Fatalf("got %v confident %v: %s", r.Encoding, r.Confident, r)
		}
	})
}

func TestDetector_Full(t *testing.T) {
	var d Detector
	v, _ := TCVN3.Encode("Đất trồng lúa nước")
	for !d.Full() {
		d.Add(v)
	}
	n := d.Result().Words
	d.Add(v)
	if r := d.Result(); r.Words != n || r.Values != n/4+1 || r.Encoding != TCVN3 {
		t.Fatalf("after Full: words %d values %d (%v), want %d words", r.Words, r.Values, r.Encoding, n)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range cadastral[:3] {
		for _, e := range []Encoding{TCVN3, VNI, CP1258, VISCII} {
			b, _ := e.Encode(s)
			f.Add(b)
		}
		f.Add([]byte(s))
	}
	f.Add([]byte{0xe1, 0xe1, 0x00, 0xff, 0xb0, 0xb4})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, e := range []Encoding{Unknown, ASCII, UTF8, TCVN3, VNI, CP1258, VISCII} {
			s := e.Decode(b)
			if !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) {
				t.Fatalf("%s: Decode(% X) = %q: not valid NFC UTF-8", e, b, s)
			}
			IsSyllable(s)
		}
		r := Detect(b, b)
		_ = r.String()
	})
}
