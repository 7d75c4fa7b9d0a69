package ogr

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// checkKML reads the whole KML with Go's XML tokenizer, which expands no entities and loads no
// DTD, before GDAL (expat, libkml) sees it. It refuses a DOCTYPE (the only place entities and
// external references can be declared: billion-laughs and XXE live there), a root element that
// is not kml, and NetworkLink elements, which tell a KML reader to fetch other files.
func checkKML(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("ogr: %w", err)
	}
	defer f.Close()
	d := xml.NewDecoder(f)
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii":
			return charmap.ISO8859_1.NewDecoder().Reader(in), nil
		case "windows-1252", "cp1252":
			return charmap.Windows1252.NewDecoder().Reader(in), nil
		}
		return nil, fmt.Errorf("unsupported encoding %q", label)
	}
	root := true
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			if root {
				return newError(ErrInvalid, CodeUnreadable, "the KML has no kml element")
			}
			return nil
		}
		if err != nil {
			return newError(ErrInvalid, CodeUnreadable, "the KML is not well-formed XML: %s", printable(err.Error()))
		}
		switch t := tok.(type) {
		case xml.Directive:
			return newError(ErrUnsafe, CodeKMLDoctype,
				"the KML has a DOCTYPE or entity declaration, which KML never needs; it is refused before it is read")
		case xml.StartElement:
			if root && t.Name.Local != "kml" {
				return newError(ErrUnsupported, CodeUnsupported, "the XML file is not KML (its root element is %q)", printable(t.Name.Local))
			}
			root = false
			if t.Name.Local == "NetworkLink" {
				return newError(ErrUnsafe, CodeKMLLink,
					"the KML links to other files (NetworkLink); upload a KML that holds the data itself")
			}
		}
	}
}
