package style

import (
	"errors"
	"fmt"
	"image/color"
	"strconv"
)

// ErrColor is wrapped by ParseColor's errors.
var ErrColor = errors.New("style: bad colour")

// ParseColor reads a CSS hex colour: #rgb, #rrggbb or #rrggbbaa.
func ParseColor(s string) (color.NRGBA, error) {
	if len(s) == 0 || s[0] != '#' {
		return color.NRGBA{}, fmt.Errorf("%w %q: want #rrggbb", ErrColor, s)
	}
	h := s[1:]
	switch len(h) {
	case 3:
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]}) + "ff"
	case 6:
		h += "ff"
	case 8:
	default:
		return color.NRGBA{}, fmt.Errorf("%w %q: want #rgb, #rrggbb or #rrggbbaa", ErrColor, s)
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return color.NRGBA{}, fmt.Errorf("%w %q: not hexadecimal", ErrColor, s)
	}
	return color.NRGBA{R: uint8(v >> 24), G: uint8(v >> 16), B: uint8(v >> 8), A: uint8(v)}, nil
}

// mustColor is ParseColor for the package's own constants.
func mustColor(s string) color.NRGBA {
	c, err := ParseColor(s)
	if err != nil {
		panic(err)
	}
	return c
}

// Hex writes c as #rrggbb, or #rrggbbaa when it is not opaque.
func Hex(c color.NRGBA) string {
	if c.A == 0xff {
		return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
	}
	return fmt.Sprintf("#%02x%02x%02x%02x", c.R, c.G, c.B, c.A)
}

// cssColor writes c the way every MapLibre style reader parses it: #rrggbb when opaque, rgba()
// otherwise (QGIS 3.22's converter does not read #rrggbbaa).
func cssColor(c color.NRGBA) string {
	if c.A == 0xff {
		return Hex(c)
	}
	return fmt.Sprintf("rgba(%d,%d,%d,%s)", c.R, c.G, c.B, strconv.FormatFloat(float64(c.A)/255, 'f', 3, 64))
}

// WithOpacity returns c with its alpha multiplied by o (0..1).
func WithOpacity(c color.NRGBA, o float64) color.NRGBA {
	o = min(max(o, 0), 1)
	c.A = uint8(float64(c.A)*o + 0.5)
	return c
}
