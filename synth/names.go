package synth

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// Word lists for synthetic commune names: common Sino-Vietnamese words of
// southern place names ("Tân Lập", "Thuận Phú", "Lộc Hưng"...). The
// combinations are synthetic; any match with a real unit is a coincidence.
var (
	nameFirst = []string{
		"Tân", "Phú", "Lộc", "Thành", "Hưng", "Long", "Bình", "An", "Thuận",
		"Minh", "Phước", "Đức", "Thiện", "Hòa", "Tiến", "Thanh", "Đồng",
		"Nghĩa", "Quang", "Vĩnh", "Thống", "Đăng", "Hiệp", "Đa",
	}
	nameSecond = []string{
		"Lập", "Phú", "Lộc", "Thành", "Hưng", "Long", "Bình", "An", "Thuận",
		"Minh", "Phước", "Đức", "Thiện", "Hòa", "Lợi", "Tiến", "Khai", "Quan",
		"Hiệp", "Thịnh", "Tâm", "Sơn", "Hà", "Phong", "Lương", "Trung", "Thái",
		"Điền", "Khánh", "Tấn", "Nhất", "Kia",
	}
)

// Personal names: family names weighted roughly by their frequency in
// Vietnam; middle and given names by gender.
var (
	familyNames   = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	familyWeights = []float64{38, 11, 9.5, 7, 3, 2.5, 4.5, 2, 2, 2, 2, 1.4, 1.3, 1.3, 1, 0.5}
	middleMale    = []string{"Văn", "Văn", "Văn", "Đức", "Minh", "Hữu", "Quang", "Thanh", "Công", "Ngọc", "Xuân", "Đình"}
	middleFemale  = []string{"Thị", "Thị", "Thị", "Ngọc", "Thanh", "Thu", "Kim", "Mỹ", "Minh", "Hồng", "Bích"}
	givenMale     = []string{"Hùng", "Dũng", "Nam", "Tuấn", "Hải", "Long", "Phong", "Sơn", "Thắng", "Tâm", "Bình", "Cường", "Hiếu", "Khoa", "Quân", "Trung", "Việt", "Hòa", "Phúc", "Lộc", "Tài", "Thành", "Vinh", "Hoàng", "Đạt", "Huy", "Toàn", "Tùng", "Kiên", "Sang", "Lâm", "Nhân"}
	givenFemale   = []string{"Lan", "Hoa", "Hương", "Mai", "Linh", "Hạnh", "Thảo", "Trang", "Nga", "Yến", "Hà", "Loan", "Nhung", "Phương", "Vy", "Thủy", "Tuyết", "Hằng", "Dung", "Liên", "Oanh", "Ngân", "Diễm", "Trinh", "Châu", "Hiền", "Xuân", "Nhi"}
	companyWords  = []string{"Phú Thịnh", "Hưng Phát", "Tân Tiến", "Bình Minh", "Thành Công", "Đại Phát", "Minh Long", "Phước Lộc", "An Khang", "Hòa Bình", "Việt Hưng", "Sao Mai", "Trường Sơn", "Nông sản Bình Phước", "Điều Phú Riềng", "Gỗ Đông Nam"}
	companyKinds  = []string{"Công ty TNHH ", "Công ty TNHH ", "Công ty Cổ phần ", "Doanh nghiệp tư nhân ", "Hợp tác xã "}
	// Certificate series printed on land-use right certificates (giấy chứng
	// nhận): two letters and a six-digit number.
	certSeries = []string{"AĐ", "BA", "BB", "BĐ", "BK", "BP", "BT", "BX", "CE", "CH", "CK", "CS", "CT", "CY", "DA", "DĐ"}
)

func pickWeighted(r *rand.Rand, w []float64) int {
	var t float64
	for _, x := range w {
		t += x
	}
	u := r.Float64() * t
	for i, x := range w {
		u -= x
		if u < 0 {
			return i
		}
	}
	return len(w) - 1
}

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// personName returns a synthetic full name and whether it is male.
func personName(r *rand.Rand) (string, bool) {
	fam := familyNames[pickWeighted(r, familyWeights)]
	male := r.IntN(100) < 52
	if male {
		return fam + " " + pick(r, middleMale) + " " + pick(r, givenMale), true
	}
	return fam + " " + pick(r, middleFemale) + " " + pick(r, givenFemale), false
}

// idNumber returns a 12-digit CCCD-like number: province code 070, a
// gender/century digit, two birth-year digits and six random digits.
func idNumber(r *rand.Rand, male bool) string {
	year := 1945 + r.IntN(62) // 1945..2006
	g := 0
	if !male {
		g = 1
	}
	if year >= 2000 {
		g += 2
	}
	b := make([]byte, 0, 12)
	b = append(b, '0', '7', '0', byte('0'+g))
	b = append(b, byte('0'+year%100/10), byte('0'+year%10))
	for range 6 {
		b = append(b, byte('0'+r.IntN(10)))
	}
	return string(b)
}

func certificateNo(r *rand.Rand) string {
	return pick(r, certSeries) + " " + pad6(r.IntN(1000000))
}

func pad6(n int) string {
	s := strconv.Itoa(n)
	return strings.Repeat("0", 6-len(s)) + s
}

// bareName strips the unit-type prefix ("Xã Tân Lập" -> "Tân Lập").
func bareName(name, kind string) string {
	if s, ok := strings.CutPrefix(name, kind+" "); ok {
		return s
	}
	return name
}

// lowerKind writes a unit name the way it appears inside an address:
// "Xã Tân Lập" -> "xã Tân Lập", "Thành phố Đồng Xoài" -> "thành phố Đồng Xoài".
func lowerKind(name, kind string) string {
	if s, ok := strings.CutPrefix(name, kind+" "); ok {
		return strings.ToLower(kind) + " " + s
	}
	return name
}
