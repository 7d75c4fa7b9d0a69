package extract

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dongnai-gis/gisd/style"
)

// FormatArea writes an area in m² in the vi-VN form, to 0.1 m² ("1.234,5"), the way official
// areas are recorded. It is style.FormatArea, the map labels' form, so the extract and the map
// write an area alike.
func FormatArea(m2 float64) string { return style.FormatArea(m2) }

// FormatLength writes a length in metres to 0.01 m in the vi-VN form ("1.234,56").
func FormatLength(m float64) string { return formatDecimal(m, 2, true) }

// FormatCoordinate writes a VN-2000 coordinate to 0.01 m with a comma decimal and its digits
// ungrouped ("1275708,64"), as cadastral coordinate tables print them.
func FormatCoordinate(v float64) string { return formatDecimal(v, 2, false) }

// formatDecimal writes v with places decimals after a comma, grouping thousands with dots when
// group is set.
func formatDecimal(v float64, places int, group bool) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', places, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if v < 0 && strings.Trim(s, "0.") != "" {
		b.WriteByte('-')
	}
	for i, r := range intPart {
		if group && i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteByte(',')
		b.WriteString(frac)
	}
	return b.String()
}

// formatDay writes a calendar day (t's own year, month and day, whatever its zone) as
// dd/mm/yyyy.
func formatDay(t time.Time) string { return t.Format("02/01/2006") }

// FormatTime writes t in loc as "hh:mm dd/mm/yyyy".
func FormatTime(t time.Time, loc *time.Location) string { return t.In(loc).Format("15:04 02/01/2006") }

// formatScale writes a scale as maps state it: "1:500".
func formatScale(n int) string { return "1:" + strconv.Itoa(n) }
