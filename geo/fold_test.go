package geo

import (
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// The province and its districts (DOMAIN.md).
		{"Tỉnh Bình Phước", "tinh binh phuoc"},
		{"Thị xã Phước Long", "thi xa phuoc long"},
		{"Thành phố Đồng Xoài", "thanh pho dong xoai"},
		{"Thị xã Bình Long", "thi xa binh long"},
		{"Huyện Bù Gia Mập", "huyen bu gia map"},
		{"Huyện Lộc Ninh", "huyen loc ninh"},
		{"Huyện Bù Đốp", "huyen bu dop"},
		{"Huyện Hớn Quản", "huyen hon quan"},
		{"Huyện Đồng Phú", "huyen dong phu"},
		{"Huyện Bù Đăng", "huyen bu dang"},
		{"Thị xã Chơn Thành", "thi xa chon thanh"},
		{"Huyện Phú Riềng", "huyen phu rieng"},
		// Communes and neighbours.
		{"Phường Tân Phú", "phuong tan phu"},
		{"Xã Tiến Hưng", "xa tien hung"},
		{"Xã Đắk Ơ", "xa dak o"},
		{"Xã Bình Thắng", "xa binh thang"},
		{"Tỉnh Đồng Nai", "tinh dong nai"},
		{"Thành phố Biên Hòa", "thanh pho bien hoa"},
		{"Thành phố Biên Hoà", "thanh pho bien hoa"}, // old-style tone placement
		{"Thành phố Long Khánh", "thanh pho long khanh"},
		{"Huyện Nhơn Trạch", "huyen nhon trach"},
		{"Thừa Thiên Huế", "thua thien hue"},
		{"Quảng Ngãi", "quang ngai"},
		{"Bà Rịa – Vũng Tàu", "ba ria – vung tau"},
		{"ĐẮK LẮK", "dak lak"},
		{"Kỳ Anh", "ky anh"},
		{"Ỷ La", "y la"},
		{"Nguyễn Thị Ưng", "nguyen thi ung"},
		{"Trần Văn Ẩn", "tran van an"},
		{"Lê Thị Ể", "le thi e"},
		{"Ộ Ớ Ỡ Ợ Ở", "o o o o o"},
		{"Ữ Ự Ừ Ứ Ử", "u u u u u"},
		{"ÀÁẢÃẠ ĂẰẮẲẴẶ ÂẦẤẨẪẬ", "aaaaa aaaaaa aaaaaa"},
		// Spaces: runs collapse, ends trim, tabs/newlines/NBSP count.
		{"  Thành   phố\tĐồng\u00a0Xoài \n", "thanh pho dong xoai"},
		{"", ""},
		{" \t\n", ""},
		// Decomposed (NFD) input folds the same as precomposed.
		{"Tha\u0300nh pho\u0302\u0301 \u0110o\u0302\u0300ng Xoa\u0300i", "thanh pho dong xoai"},
		{"Phu\u031b\u01a1\u0301c", "phuoc"}, // u + combining horn, then precomposed ơ + acute
		// Legacy data with Icelandic Ð (U+00D0) standing in for Đ.
		{"Ðồng Xoài", "dong xoai"},
		// Punctuation, digits and ASCII are kept.
		{"Thửa 12, tờ 3-A", "thua 12, to 3-a"},
		{"ABC 123", "abc 123"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Fold(tt.in)
			if got != tt.want {
				t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Fold(got); again != got {
				t.Errorf("Fold(Fold(%q)) = %q, want %q (idempotent)", tt.in, again, got)
			}
		})
	}
}

// TestFold_AllLetters folds every Vietnamese letter in both cases.
func TestFold_AllLetters(t *testing.T) {
	letters := map[string]string{
		"a": "aàáảãạăằắẳẵặâầấẩẫậ",
		"e": "eèéẻẽẹêềếểễệ",
		"i": "iìíỉĩị",
		"o": "oòóỏõọôồốổỗộơờớởỡợ",
		"u": "uùúủũụưừứửữự",
		"y": "yỳýỷỹỵ",
		"d": "dđ",
	}
	n := 0
	for base, group := range letters {
		for _, r := range group {
			for _, s := range []string{string(r), strings.ToUpper(string(r))} {
				n++
				if got := Fold(s); got != base {
					t.Errorf("Fold(%q) = %q, want %q", s, got, base)
				}
			}
		}
	}
	if n != 2*(67+7) {
		t.Errorf("checked %d letters, want %d", n, 2*(67+7))
	}
}
