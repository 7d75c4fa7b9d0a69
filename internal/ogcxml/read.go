package ogcxml

import (
	"encoding/xml"
	"io"
	"strings"
)

// Root reads up to the root element of a document and returns its start tag.
func Root(d *xml.Decoder) (xml.StartElement, error) {
	for {
		t, err := d.Token()
		if err != nil {
			return xml.StartElement{}, FromXML(err)
		}
		if s, ok := t.(xml.StartElement); ok {
			return s, nil
		}
	}
}

// End reads the rest of a document after its root element has been consumed, so that
// whatever follows the root (a second element, stray text) is refused rather than ignored.
func End(d *xml.Decoder) error {
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return FromXML(err)
		}
	}
}

// Text reads the character content of the element opened by start, up to and including its
// end tag. An element inside it is refused: the callers read values (a literal, a property
// name, a coordinate list) that have no structure.
func Text(d *xml.Decoder, start xml.StartElement) (string, error) {
	var b strings.Builder
	for {
		t, err := d.Token()
		if err != nil {
			return "", FromXML(err)
		}
		switch t := t.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			return "", Invalid(start.Name.Local, "<%s> must contain text only, not <%s>", start.Name.Local, t.Name.Local)
		case xml.EndElement:
			return b.String(), nil
		}
	}
}

// Children calls fn for each child element of the element opened by start, which fn must
// read to its end tag, until start's own end tag. Text between the children must be white
// space: these are elements whose content is structure, not values.
func Children(d *xml.Decoder, start xml.StartElement, fn func(child xml.StartElement) error) error {
	for {
		t, err := d.Token()
		if err != nil {
			return FromXML(err)
		}
		switch t := t.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return Invalid(start.Name.Local, "<%s> holds text where elements are expected", start.Name.Local)
			}
		case xml.EndElement:
			return nil
		}
	}
}

// Attr returns the value of the attribute local without a namespace (srsName, rid, uom ...),
// or with a namespace when space is not empty.
func Attr(start xml.StartElement, space, local string) (string, bool) {
	for _, a := range start.Attr {
		if a.Name.Local == local && a.Name.Space == space {
			return a.Value, true
		}
	}
	return "", false
}
