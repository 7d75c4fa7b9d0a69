package ogr

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dongnai-gis/gisd/text/vnenc"
)

// checkShapefile compares what the three parts of a Shapefile say about its records, from their
// headers: the .shx indexes one record per 8 bytes after its 100-byte header, the .dbf states
// its record count, header length and record length, and the last index entry must point inside
// the .shp. GDAL reads a pair that disagrees without a word (it stops at the shorter part), so
// features or their attributes would be lost or shifted; such a file is refused instead. This
// reads three header fields; the records themselves are GDAL's business.
func checkShapefile(shp, shx, dbf string) error {
	shpSize, err := fileSize(shp)
	if err != nil {
		return err
	}
	var head [100]byte
	if err := readAt(shp, head[:], 0); err != nil || binary.BigEndian.Uint32(head[0:]) != 9994 {
		return newError(ErrInvalid, CodeUnreadable, "the .shp is not a Shapefile (no Shapefile header)")
	}
	shxSize, err := fileSize(shx)
	if err != nil {
		return err
	}
	if shxSize < 100 || (shxSize-100)%8 != 0 {
		return newError(ErrInvalid, CodeRecordCount, "the .shx is damaged (%d bytes is not a whole index)", shxSize)
	}
	shxRecords := (shxSize - 100) / 8
	if shxRecords > 0 {
		var last [8]byte
		if err := readAt(shx, last[:], shxSize-8); err != nil {
			return err
		}
		off := int64(binary.BigEndian.Uint32(last[0:])) * 2
		n := int64(binary.BigEndian.Uint32(last[4:])) * 2
		switch end := off + 8 + n; {
		case end > shpSize:
			return newError(ErrInvalid, CodeRecordCount,
				"the .shx indexes %d records but the .shp ends before the last one: the .shp is cut short or from another version of the layer", shxRecords)
		case shpSize-end >= 8: // room for at least one more record header
			return newError(ErrInvalid, CodeRecordCount,
				"the .shp holds more than the %d records its .shx indexes: the parts come from different versions of the layer", shxRecords)
		}
	}
	dbfSize, err := fileSize(dbf)
	if err != nil {
		return err
	}
	var dh [12]byte
	if err := readAt(dbf, dh[:], 0); err != nil {
		return newError(ErrInvalid, CodeUnreadable, "the .dbf is not a dBASE table (too short)")
	}
	dbfRecords := int64(binary.LittleEndian.Uint32(dh[4:]))
	headerLen, recordLen := int64(binary.LittleEndian.Uint16(dh[8:])), int64(binary.LittleEndian.Uint16(dh[10:]))
	if headerLen < 32 || recordLen < 1 {
		return newError(ErrInvalid, CodeUnreadable, "the .dbf is not a dBASE table (bad header)")
	}
	if held := (dbfSize - headerLen) / recordLen; held < dbfRecords {
		return newError(ErrInvalid, CodeRecordCount,
			"the .dbf says it holds %d records but is cut short after %d", dbfRecords, max(held, 0))
	}
	if dbfRecords != shxRecords {
		return newError(ErrInvalid, CodeRecordCount,
			"the .dbf holds %d records and the .shp %d: the parts come from different versions of the layer, "+
				"so attributes would land on the wrong shapes; export the Shapefile again", dbfRecords, shxRecords)
	}
	return nil
}

// readCPG reads a .cpg: UTF-8 when it names UTF-8 or code page 65001; Unknown for anything else
// (ANSI 1252, OEM...), which detection then decides.
func readCPG(path string) (vnenc.Encoding, string) {
	f, err := os.Open(path)
	if err != nil {
		return vnenc.Unknown, ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 64))
	name := strings.TrimSpace(string(b))
	if e, err := vnenc.ParseEncoding(name); err == nil && e == vnenc.UTF8 {
		return vnenc.UTF8, name
	}
	return vnenc.Unknown, name
}

func fileSize(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("ogr: %w", err)
	}
	return st.Size(), nil
}

func readAt(path string, b []byte, off int64) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("ogr: %w", err)
	}
	defer f.Close()
	_, err = f.ReadAt(b, off)
	return err
}
