package ogr

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/text/vnenc"
)

// inspect checks the work file of the chosen format, resolves the layer, its CRS and its text
// encoding, and starts the conversion.
func (s *Source) inspect(ctx context.Context, run *runner, file string, opt *Options) error {
	gdalLayer := "" // the layer's name for GDAL, when it needs one
	mode := textUnicode
	var openOpts []string
	cpg := vnenc.Unknown
	cpgName := ""
	switch s.Format {
	case Shapefile:
		base := strings.TrimSuffix(file, ".shp")
		if err := checkShapefile(file, base+".shx", base+".dbf"); err != nil {
			return err
		}
		cpg, cpgName = readCPG(base + ".cpg")
		mode = textRaw
		openOpts = []string{"-oo", "ENCODING=ISO-8859-1"}
	case CSV:
		mode = textRaw
		openOpts = []string{"-oo", "GEOM_POSSIBLE_NAMES=WKT,GEOM,GEOMETRY,THE_GEOM,SHAPE", "-oo", "KEEP_GEOM_COLUMNS=NO"}
		file = "CSV:" + file // no other driver may claim it
	case DGN:
		mode = textRaw
	case KML:
		if err := checkKML(file); err != nil {
			return err
		}
		out, _, err := run.run(ctx, run.ogrinfo, "-ro", "-q", "-nocount", "-noextent", "-nogeomtype", file)
		if err != nil {
			return unreadable(err, "the KML")
		}
		layers := parseLayerList(out)
		if gdalLayer, err = chooseLayer(opt.Layer, layers, "folders"); err != nil {
			return err
		}
		s.Layer = gdalLayer
		if len(layers) > 1 {
			s.Layers = layers
		}
	case GeoPackage:
		all, err := gpkgLayers(ctx, run, file)
		if err != nil {
			return err
		}
		var tables []string
		byName := map[string]gpkgLayer{}
		for _, l := range all {
			if l.dataType != "features" {
				continue
			}
			byName[strings.ToLower(l.name)] = l
			if l.kind == "table" {
				tables = append(tables, l.name)
			}
		}
		if opt.Layer != "" {
			if l, ok := byName[strings.ToLower(opt.Layer)]; ok {
				if err := checkGPKGTable(ctx, run, file, l); err != nil {
					return err
				}
			}
		}
		if gdalLayer, err = chooseLayer(opt.Layer, tables, "feature tables"); err != nil {
			return err
		}
		if err := checkGPKGTable(ctx, run, file, byName[strings.ToLower(gdalLayer)]); err != nil {
			return err
		}
		s.Layer = gdalLayer
		if len(tables) > 1 {
			s.Layers = tables
		}
	}
	src := []string{file}
	if gdalLayer != "" {
		// The name comes from the file and is passed as an argument: one that starts with
		// a dash would be read as an option.
		if strings.HasPrefix(gdalLayer, "-") {
			return newError(ErrUnsafe, CodeLayer, "the layer name %q starts with a dash; rename it", printable(gdalLayer))
		}
		src = append(src, gdalLayer)
	}

	// The layer: its CRS, extent, count and fields.
	infoArgs := append([]string{"-ro", "-so", "-wkt_format", "WKT1"}, openOpts...)
	if gdalLayer == "" {
		infoArgs = append(infoArgs, "-al") // the file's one layer
	}
	out, _, err := run.run(ctx, run.ogrinfo, append(infoArgs, src...)...)
	if err != nil {
		return unreadable(err, "the file")
	}
	li := parseLayerInfo(out)
	s.FeatureCount = li.count
	switch {
	case li.count == 0 && s.Format == DGN:
		return newError(ErrInvalid, CodeDGNEmpty, "the DGN file holds no elements: nothing to import")
	case li.count == 0:
		return newError(ErrInvalid, CodeEmpty, "the layer %s holds no features", strconv.Quote(printable(s.Layer)))
	case s.Format == CSV && (li.geometry == "None" || li.geometry == ""):
		return newError(ErrInvalid, CodeUnreadable,
			"the CSV has no geometry column: put the geometry as WKT in a column named WKT")
	}

	// The CRS.
	args := []string{"-f", "GeoJSON", "/vsistdout/", "-lco", "RFC7946=NO", "-lco", "WRITE_NAME=NO", "-dim", "XY"}
	switch {
	case opt.SRID != 0:
		s.EPSG = opt.SRID
		s.CRSNote = fmt.Sprintf("EPSG:%d as given", opt.SRID)
		args = append(args, "-a_srs", "EPSG:"+strconv.Itoa(opt.SRID))
	default:
		c, desc, ok := resolveCRS(li.wkt)
		if !ok {
			return s.unknownCRS(desc, li)
		}
		s.EPSG, s.CRSNote = c.epsg, c.note
		switch {
		case c.reproject:
			args = append(args, "-t_srs", "EPSG:4326")
		case c.epsg != 0:
			args = append(args, "-a_srs", "EPSG:"+strconv.Itoa(c.epsg))
		}
	}
	if opt.Geometry != "" {
		where, err := geometryFilter(opt.Geometry, s.Format, li.geomCol)
		if err != nil {
			return err
		}
		args = append(args, "-where", where)
	}
	args = append(append(args, openOpts...), src...)

	// The text.
	s.text = &textDecoder{mode: mode}
	switch {
	case opt.Encoding != vnenc.Unknown:
		s.Encoding, s.EncodingNote = opt.Encoding, "named by the caller"
	case mode == textUnicode:
		s.Encoding, s.EncodingNote = vnenc.UTF8, "the format's own"
	default:
		det, err := detectText(ctx, run, append(append([]string{}, openOpts...), src...), s.Format == Shapefile)
		if err != nil {
			return err
		}
		switch {
		case cpg == vnenc.UTF8 && det.NotUTF8 == 0:
			s.Encoding, s.EncodingNote = vnenc.UTF8, fmt.Sprintf("the .cpg says %q", cpgName)
		case !det.Confident:
			return newError(ErrInvalid, CodeEncoding,
				"cannot tell the encoding of the text (%s); name it with --encoding tcvn3, vni, cp1258 or utf-8 (encoding= over HTTP)", det)
		default:
			s.Encoding, s.EncodingNote = det.Encoding, "detected: "+det.String()
			if cpg == vnenc.UTF8 {
				s.EncodingNote += fmt.Sprintf("; the .cpg says %q but %d values are not UTF-8", cpgName, det.NotUTF8)
			}
		}
	}
	s.text.enc = s.Encoding
	if s.Encoding == vnenc.ASCII {
		s.text = nil
	}
	for _, f := range li.fields {
		if mode == textRaw && s.Format != Shapefile {
			// ogrinfo printed the file's bytes as they are: make them the code points the
			// stream carries (latin1Expander), which the transform expects.
			f.Name = expandLatin1(f.Name)
		}
		if s.text != nil {
			f.Name = s.text.transform(f.Name)
		}
		s.Fields = append(s.Fields, f)
	}
	if s.text != nil { // the field names above are not values
		s.text.converted.Store(0)
		s.text.normalized.Store(0)
	}

	s.stream, err = startStream(ctx, run, args, mode == textRaw && s.Format != Shapefile)
	return err
}

// geometryFilter is the attribute filter for Options.Geometry: OGR SQL's OGR_GEOMETRY, or for a
// GeoPackage (filtered by SQLite itself) GDAL's ST_GeometryType on its geometry column.
func geometryFilter(kind string, f Format, geomCol string) (string, error) {
	var types string
	switch strings.ToLower(kind) {
	case "point":
		types = "('POINT','MULTIPOINT')"
	case "line", "linestring":
		types = "('LINESTRING','MULTILINESTRING')"
	case "polygon":
		types = "('POLYGON','MULTIPOLYGON')"
	default:
		return "", newError(ErrInvalid, CodeUnsupported, "geometry %q: want point, line or polygon", printable(kind))
	}
	if f == GeoPackage {
		return `ST_GeometryType("` + strings.ReplaceAll(geomCol, `"`, `""`) + `") IN ` + types, nil
	}
	return "OGR_GEOMETRY IN " + types, nil
}

// unknownCRS refuses a layer whose CRS cannot be resolved, naming the zones its coordinates
// probably are in.
func (s *Source) unknownCRS(desc string, li layerInfo) error {
	what := "the file's CRS"
	if s.Format == Shapefile {
		what = "the .prj"
	}
	e := &Error{Kind: ErrInvalid, Code: CodeCRS}
	if li.hasExt {
		x, y := (li.extent[0]+li.extent[2])/2, (li.extent[1]+li.extent[3])/2
		e.Zones = probableZones(x, y)
	}
	hint := "give the CRS with --srid (srid= over HTTP), e.g. --srid 9212 for VN-2000 / TM-3 106-15"
	if len(e.Zones) > 0 {
		z, _ := geo.LookupCRS(e.Zones[0])
		hint = fmt.Sprintf("the coordinates look like %s: use --srid %d (srid=%d over HTTP)", z.Name, z.SRID, z.SRID)
		if len(e.Zones) > 1 {
			var others []string
			for _, o := range e.Zones[1:] {
				others = append(others, strconv.Itoa(o))
			}
			hint += fmt.Sprintf("; they would also fall in the province in EPSG:%s", strings.Join(others, ", "))
		}
	}
	e.Msg = fmt.Sprintf("%s describes a CRS gisd does not know, %s; %s", what, desc, hint)
	return e
}

// unreadable turns a failed inspection into the client's message.
func unreadable(err error, what string) error {
	var re *runError
	if errors.As(err, &re) {
		return newError(ErrInvalid, CodeUnreadable, "GDAL cannot open %s: it is damaged or not what its name says", what).
			withDetail(re.stderr)
	}
	return err
}
