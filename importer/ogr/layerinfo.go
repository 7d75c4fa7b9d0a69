package ogr

import (
	"bufio"
	"bytes"
	"regexp"
	"strconv"
	"strings"
)

// Field is one attribute of the layer, as GDAL reports it.
type Field struct {
	Name string // decoded with the layer's text encoding
	Type string // GDAL's type: String, Integer, Integer64, Real, Date, DateTime...
}

// layerInfo is what `ogrinfo -so` says about one layer.
type layerInfo struct {
	geometry string
	count    int64 // -1 when GDAL does not say
	extent   [4]float64
	hasExt   bool
	wkt      string // WKT1 of the layer's CRS, "" when it has none
	geomCol  string // the geometry column, where the format has one (GeoPackage)
	fields   []Field
}

var (
	extentRe = regexp.MustCompile(`^Extent: \(([-0-9.eE+]+), ([-0-9.eE+]+)\) - \(([-0-9.eE+]+), ([-0-9.eE+]+)\)`)
	fieldRe  = regexp.MustCompile(`^(.+): ([A-Za-z0-9]+)(\([A-Za-z0-9]+\))? \((\d+)\.(\d+)\)`)
)

// parseLayerInfo reads `ogrinfo -ro -so -wkt_format WKT1 SRC LAYER`. The header lines come
// first, then the CRS (indented WKT ending at "Data axis to CRS axis mapping"), then the
// GeoPackage's FID and geometry column lines, then one line per field.
func parseLayerInfo(out []byte) layerInfo {
	li := layerInfo{count: -1}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), maxProbeOutput)
	const (
		header = iota
		srs
		fields
	)
	state := header
	var wkt strings.Builder
	for sc.Scan() {
		line := sc.Text()
		switch state {
		case header:
			switch {
			case strings.HasPrefix(line, "Geometry: "):
				li.geometry = strings.TrimPrefix(line, "Geometry: ")
			case strings.HasPrefix(line, "Feature Count: "):
				if n, err := strconv.ParseInt(strings.TrimPrefix(line, "Feature Count: "), 10, 64); err == nil {
					li.count = n
				}
			case strings.HasPrefix(line, "Extent: "):
				if m := extentRe.FindStringSubmatch(line); m != nil {
					for i := range 4 {
						li.extent[i], _ = strconv.ParseFloat(m[i+1], 64)
					}
					li.hasExt = true
				}
			case line == "Layer SRS WKT:":
				state = srs
			}
		case srs:
			if strings.HasPrefix(line, "Data axis to CRS axis mapping") {
				state = fields
				continue
			}
			if strings.TrimSpace(line) == "(unknown)" {
				state = fields
				continue
			}
			wkt.WriteString(strings.TrimSpace(line))
		case fields:
			if strings.HasPrefix(line, "FID Column = ") {
				continue
			}
			if col, ok := strings.CutPrefix(line, "Geometry Column = "); ok {
				li.geomCol = col
				continue
			}
			if m := fieldRe.FindStringSubmatch(line); m != nil {
				li.fields = append(li.fields, Field{Name: m[1], Type: m[2]})
			}
		}
	}
	li.wkt = wkt.String()
	return li
}

// parseLayerList reads `ogrinfo -ro -q -nocount -noextent -nogeomtype SRC`: "1: name" lines.
func parseLayerList(out []byte) []string {
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), maxProbeOutput)
	for sc.Scan() {
		line := sc.Text()
		num, rest, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		if _, err := strconv.Atoi(num); err != nil {
			continue
		}
		names = append(names, rest)
	}
	return names
}
