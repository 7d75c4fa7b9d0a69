package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestParseBBox(t *testing.T) {
	tests := []struct {
		in   string
		want orb.Bound
	}{
		{"106.41,11.3,107.43,12.3", ProvinceBound},
		{" 106.41 , 11.3 ,107.43, 12.3 ", ProvinceBound},
		{"106.41,11.3,-10,107.43,12.3,2000", ProvinceBound},
		{"-180,-90,180,90", orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}},
		{"1,2,1,2", orb.Bound{Min: orb.Point{1, 2}, Max: orb.Point{1, 2}}},
		{"517270.87,1249642.88,628161.09,1360529.30",
			orb.Bound{Min: orb.Point{517270.87, 1249642.88}, Max: orb.Point{628161.09, 1360529.30}}},
		{"1e2,-2.5E1,2e2,0", orb.Bound{Min: orb.Point{100, -25}, Max: orb.Point{200, 0}}},
		// z is only checked to be a number: a reversed z range is ignored.
		{"0,0,5,1,1,-5", orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseBBox(tt.in)
			if err != nil {
				t.Fatalf("ParseBBox(%q) err = %v, want nil", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseBBox(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseBBox_Errors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", "geo: bbox: want 4 or 6 numbers, got 0"},
		{"   ", "geo: bbox: want 4 or 6 numbers, got 0"},
		{"1,2,3", "geo: bbox: want 4 or 6 numbers, got 3"},
		{"1,2,3,4,5", "geo: bbox: want 4 or 6 numbers, got 5"},
		{"1,2,3,4,5,6,7", "geo: bbox: want 4 or 6 numbers, got 7"},
		{"1,2,3,4,", "geo: bbox: want 4 or 6 numbers, got 5"},
		{"1,,3,4", "geo: bbox: number 2 is empty"},
		{"1,2,3, ", "geo: bbox: number 4 is empty"},
		{"a,2,3,4", `geo: bbox: number 1 "a" is not a number`},
		{"1;2;3;4", "geo: bbox: want 4 or 6 numbers, got 1"},
		{"1,2,3,4m", `geo: bbox: number 4 "4m" is not a number`},
		{"NaN,2,3,4", `geo: bbox: number 1 "NaN" is not finite`},
		{"1,2,Inf,4", `geo: bbox: number 3 "Inf" is not finite`},
		{"1,2,-inf,3,4,5", `geo: bbox: number 3 "-inf" is not finite`},
		{"1,2,3,1e400", `geo: bbox: number 4 "1e400" is out of range`},
		{"107.43,11.3,106.41,12.3", "geo: bbox: minx 107.43 > maxx 106.41 (boxes crossing the antimeridian are not supported)"},
		{"170,0,-170,10", "geo: bbox: minx 170 > maxx -170 (boxes crossing the antimeridian are not supported)"},
		{"106.41,12.3,107.43,11.3", "geo: bbox: miny 12.3 > maxy 11.3"},
		{"2,0,0,1,1,0", "geo: bbox: minx 2 > maxx 1 (boxes crossing the antimeridian are not supported)"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseBBox(tt.in)
			wantErr(t, err, ErrInvalidBBox, "")
			if err != nil && err.Error() != tt.want {
				t.Errorf("ParseBBox(%q) err = %q, want %q", tt.in, err, tt.want)
			}
			if got != (orb.Bound{}) {
				t.Errorf("ParseBBox(%q) = %v, want zero bound on error", tt.in, got)
			}
		})
	}
}

func TestValidateLonLatBound(t *testing.T) {
	b := func(minx, miny, maxx, maxy float64) orb.Bound {
		return orb.Bound{Min: orb.Point{minx, miny}, Max: orb.Point{maxx, maxy}}
	}
	tests := []struct {
		name string
		b    orb.Bound
		want string // "" for valid
	}{
		{"province", ProvinceBound, ""},
		{"world", b(-180, -90, 180, 90), ""},
		{"point", b(106.9, 11.5, 106.9, 11.5), ""},
		{"minx", b(-180.5, 0, 1, 1), "geo: bbox: minx -180.5 outside -180..180"},
		{"maxx", b(0, 0, 181, 1), "geo: bbox: maxx 181 outside -180..180"},
		{"miny", b(0, -91, 1, 1), "geo: bbox: miny -91 outside -90..90"},
		{"maxy", b(0, 0, 1, 90.0001), "geo: bbox: maxy 90.0001 outside -90..90"},
		{"projected", b(517270, 1249642, 628161, 1360529), "geo: bbox: minx 517270 outside -180..180"},
		{"nan", b(0, math.NaN(), 1, 1), "geo: bbox: miny NaN is not finite"},
		{"antimeridian", b(170, 0, -170, 1), "geo: bbox: minx 170 > maxx -170 (boxes crossing the antimeridian are not supported)"},
		{"y reversed", b(0, 2, 1, 1), "geo: bbox: miny 2 > maxy 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateLonLatBound(tt.b)
			if tt.want == "" {
				if err != nil {
					t.Errorf("ValidateLonLatBound(%v) = %v, want nil", tt.b, err)
				}
				return
			}
			wantErr(t, err, ErrInvalidBBox, "")
			if err != nil && err.Error() != tt.want {
				t.Errorf("ValidateLonLatBound(%v) = %q, want %q", tt.b, err, tt.want)
			}
		})
	}
}

func TestProvinceBound(t *testing.T) {
	if err := ValidateLonLatBound(ProvinceBound); err != nil {
		t.Fatalf("ValidateLonLatBound(ProvinceBound) = %v", err)
	}
	for _, p := range []struct {
		name string
		pt   orb.Point
		in   bool
	}{
		{"Đồng Xoài", orb.Point{106.89, 11.535}, true},
		{"Lộc Ninh", orb.Point{106.58, 11.85}, true},
		{"Biên Hòa", orb.Point{106.82, 10.95}, false},
		{"Hà Nội", orb.Point{105.85, 21.03}, false},
	} {
		if got := ProvinceBound.Contains(p.pt); got != p.in {
			t.Errorf("ProvinceBound.Contains(%s) = %v, want %v", p.name, got, p.in)
		}
	}
}

func FuzzParseBBox(f *testing.F) {
	for _, s := range []string{"106.41,11.3,107.43,12.3", "1,2,3,4,5,6", "", "1,2,3", "NaN,1,2,3", "3,2,1,0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBBox(s)
		if err != nil {
			wantErr(t, err, ErrInvalidBBox, "")
			return
		}
		if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] || !isFinite(b.Min[0]) || !isFinite(b.Max[1]) {
			t.Errorf("ParseBBox(%q) = %v, want an ordered finite bound", s, b)
		}
	})
}
