package synth

import (
	"math"
	"math/rand/v2"
)

type parcelAttr struct {
	landUse []LandUse
	primary string
	legal   float64
	address string
	owner   string
	id      string
	cert    string
}

type luWeight struct {
	code string
	w    float64
}

// resCode stands for the residential code of the commune: ODT in phường
// and thị trấn, ONT in xã.
const resCode = "RES"

// Land-use mixes by settlement component, as weights. Calibrated so that
// perennial crops (CLN: cashew, rubber, pepper) are ~60% of all parcels,
// annual crops (HNK) ~8%, production forest (RSX) ~5%, residential ~20%.
var (
	luCentre = []luWeight{
		{resCode, 44}, {"CLN", 31}, {"HNK", 5}, {"TMD", 5}, {"DGD", 2.5}, {"DYT", 1},
		{"TSC", 1.5}, {"DCH", 0.8}, {"SKC", 2}, {"DGT", 1.2}, {"TON", 0.8}, {"DVH", 0.4},
		{"DTT", 0.3}, {"NTD", 0.5}, {"DTL", 0.4},
	}
	luVillage = []luWeight{
		{resCode, 33}, {"CLN", 47}, {"HNK", 8}, {"TMD", 2.5}, {"SKC", 2}, {"DGD", 1},
		{"TSC", 0.4}, {"DYT", 0.3}, {"NTD", 0.6}, {"DGT", 1}, {"DTL", 0.5}, {"TON", 0.5},
	}
	luRoad = []luWeight{
		{resCode, 27}, {"CLN", 53}, {"HNK", 9}, {"TMD", 3}, {"SKC", 3}, {"DGT", 1.5},
		{"DTL", 0.5}, {"NTD", 0.5}, {"DGD", 0.5}, {"TON", 0.3},
	}
	luBackground = []luWeight{
		{"CLN", 76}, {"HNK", 9}, {"RSX", 6}, {resCode, 1.5}, {"NTD", 0.5}, {"SKC", 1},
		{"DTL", 0.6}, {"DGT", 0.4}, {"NTS", 0.3}, {"TON", 0.1}, {"DCS", 0.3},
	}
	luStream = []luWeight{{"LUC", 25}, {"LUK", 20}, {"NTS", 2}}
)

// stateLand has no private owner (and no certificate in this model).
var stateLand = map[string]bool{
	"DGT": true, "DTL": true, "TSC": true, "DGD": true, "DYT": true, "NTD": true,
	"DCH": true, "DTT": true, "DVH": true, "TON": true, "DCS": true,
}

func chooseLU(r *rand.Rand, tables ...[]luWeight) string {
	var t float64
	for _, tb := range tables {
		for _, x := range tb {
			t += x.w
		}
	}
	u := r.Float64() * t
	for _, tb := range tables {
		for _, x := range tb {
			u -= x.w
			if u < 0 {
				return x.code
			}
		}
	}
	return tables[0][0].code
}

var rsxForest = []luWeight{{"RSX", 14}}

func (g *gen) attributes(r *rand.Rand, c *communeCtx, rec *cellRec, area float64, hamlets []xy) parcelAttr {
	var code string
	switch rec.comp {
	case compCentre:
		code = chooseLU(r, luCentre)
	case compVillage:
		code = chooseLU(r, luVillage)
	case compRoad:
		code = chooseLU(r, luRoad)
	default:
		tables := [][]luWeight{luBackground}
		if c.forest {
			tables = append(tables, rsxForest)
		}
		if len(c.streams) > 0 && roadDist2(rec.cen, c.streams) < 500*500 {
			tables = append(tables, luStream)
		}
		code = chooseLU(r, tables...)
	}
	res := code == resCode
	if res {
		code = "ONT"
		if c.urban {
			code = "ODT"
		}
	}
	legacy := func(code string) string {
		if code == "HNK" && r.IntN(1000) < 60 {
			if r.IntN(5) < 3 {
				return "BHK"
			}
			return "NHK"
		}
		return code
	}
	a10 := int64(math.Round(area * 10))
	var lu []LandUse
	mixP := 0.55
	switch {
	case c.urban:
		mixP = 0.3
	case rec.comp == compBackground:
		mixP = 0.9
	}
	if res && area >= 400 && r.Float64() < mixP {
		resM2 := []int64{100, 150, 200, 200, 250, 300, 300, 400}[r.IntN(8)]
		resM2 = min(resM2, int64(0.7*area))
		rest := "CLN"
		if r.IntN(4) == 0 {
			rest = legacy("HNK")
		}
		lu = []LandUse{{code, float64(resM2)}, {rest, float64(a10-resM2*10) / 10}}
	} else {
		lu = []LandUse{{legacy(code), float64(a10) / 10}}
	}

	pa := parcelAttr{landUse: lu, primary: code, legal: area}
	if r.IntN(5) == 0 {
		d := 0.002 + 0.028*r.Float64()
		if r.IntN(2) == 0 {
			d = -d
		}
		pa.legal = math.Round(area*(1+d)*10) / 10
	}

	h := nearestIdx(rec.cen, hamlets) + 1
	pa.address = c.hamlet + " " + itoa(h) + ", " + lowerKind(c.name, c.kind) + ", " +
		lowerKind(c.district, c.districtKind) + ", tỉnh Bình Phước"

	switch {
	case stateLand[code]:
	case code == "RSX" && r.IntN(4) == 0: // state forest
	case (code == "TMD" || code == "SKC") && r.IntN(100) < 45:
		pa.owner = pick(r, companyKinds) + pick(r, companyWords)
		pa.cert = certificateNo(r)
	default:
		name, male := personName(r)
		pa.owner = name
		pa.id = idNumber(r, male)
		if r.IntN(100) < 22 {
			for {
				spouse, m := personName(r)
				if m != male {
					pa.owner += " và " + spouse
					break
				}
			}
		}
		if r.IntN(100) < 92 {
			pa.cert = certificateNo(r)
		}
	}
	return pa
}
