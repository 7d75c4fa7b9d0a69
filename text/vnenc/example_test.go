package vnenc_test

import (
	"fmt"

	"github.com/dongnai-gis/gisd/text/vnenc"
)

func ExampleDetect() {
	// Attribute values of a Shapefile typed with the .VnTime fonts (TCVN3).
	values := [][]byte{
		[]byte("Nguy\xd4n V\xa8n \xa6ng"),
		[]byte("\xa7\xcat tr\xe5ng l\xf3a n\xad\xedc"),
		[]byte("LUC"),
	}
	d := vnenc.Detect(values...)
	fmt.Println(d.Encoding, d.Confident)
	for _, v := range values {
		fmt.Println(d.Encoding.Decode(v))
	}
	// Output:
	// TCVN3 true
	// Nguyễn Văn Ưng
	// Đất trồng lúa nước
	// LUC
}
