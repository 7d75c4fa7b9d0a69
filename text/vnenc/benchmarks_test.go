package vnenc

import "testing"

func benchDecode(b *testing.B, e Encoding) {
	var values [][]byte
	for _, s := range cadastral {
		v, err := e.Encode(s)
		if err != nil {
			b.Fatal(err)
		}
		values = append(values, v)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range values {
			e.Decode(v)
		}
	}
	b.ReportMetric(float64(b.N*len(values))/b.Elapsed().Seconds(), "values/s")
}

func BenchmarkDecode_TCVN3(b *testing.B) { benchDecode(b, TCVN3) }
func BenchmarkDecode_VNI(b *testing.B)   { benchDecode(b, VNI) }
func BenchmarkDecode_UTF8(b *testing.B)  { benchDecode(b, UTF8) }

func BenchmarkDetector(b *testing.B) {
	var values [][]byte
	for _, s := range cadastral {
		v, _ := TCVN3.Encode(s)
		values = append(values, v)
	}
	b.ReportAllocs()
	for b.Loop() {
		var d Detector
		for _, v := range values {
			d.Add(v)
		}
		if d.Result().Encoding != TCVN3 {
			b.Fatal("not TCVN3")
		}
	}
}
