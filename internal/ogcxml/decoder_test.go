package ogcxml

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll reads every token of doc through NewDecoder and returns the first error.
func readAll(doc string, lim Limits) error {
	d := NewDecoder(strings.NewReader(doc), lim)
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestNewDecoder_Refuses(t *testing.T) {
	deep := strings.Repeat("<a>", 65) + strings.Repeat("</a>", 65)
	many := "<r>" + strings.Repeat("<a/>", 11) + "</r>"
	attrs := `<r a1="1" a2="2" a3="3"/>`
	tests := []struct {
		name, doc string
		lim       Limits
		kind      error
		contains  string
	}{
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`,
			Limits{}, ErrMalformed, "DOCTYPE"},
		{"external entity", `<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>`,
			Limits{}, ErrMalformed, "DOCTYPE"},
		{"external DTD", `<!DOCTYPE Filter SYSTEM "http://example.com/filter.dtd"><Filter/>`, Limits{}, ErrMalformed, "DOCTYPE"},
		{"undefined entity", `<a>&foo;</a>`, Limits{}, ErrMalformed, "&foo;"},
		{"invalid utf-8 text", "<a>\xff</a>", Limits{}, ErrMalformed, "UTF-8"},
		{"invalid utf-8 attribute", "<a b=\"\xc3\"/>", Limits{}, ErrMalformed, "UTF-8"},
		{"NUL", "<a>\x00</a>", Limits{}, ErrMalformed, "U+0000"},
		{"NUL reference", "<a>&#0;</a>", Limits{}, ErrMalformed, "U+0000"},
		{"latin-1", `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, Limits{}, ErrMalformed, "only UTF-8"},
		{"too deep", deep, Limits{}, ErrLimit, "64 elements deep"},
		{"too many elements", many, Limits{MaxElements: 10}, ErrLimit, "more than 10 elements"},
		{"too many attributes", attrs, Limits{MaxAttrs: 2}, ErrLimit, "more than 2 attributes"},
		{"too large", "<a>" + strings.Repeat("x", 100) + "</a>", Limits{MaxBytes: 50}, ErrLimit, "larger than 50 bytes"},
		{"mismatched", `<a><b></a>`, Limits{}, ErrMalformed, "closed by </a>"},
		{"unclosed", `<a><b>`, Limits{}, ErrMalformed, "ends inside <b>"},
		{"second root", `<a/><b/>`, Limits{}, ErrMalformed, "second element"},
		{"text after root", `<a/>junk`, Limits{}, ErrMalformed, "outside the root"},
		{"empty", ``, Limits{}, ErrMalformed, "empty"},
		{"late declaration", `<!-- x --><?xml version="1.0"?><a/>`, Limits{}, ErrMalformed, "must come first"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := readAll(tc.doc, tc.lim)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %T %v, want *Error", err, err)
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("err = %v, want it to wrap %v", err, tc.kind)
			}
			if e.Code != OperationParsingFailed {
				t.Errorf("Code = %q, want %q", e.Code, OperationParsingFailed)
			}
			if !strings.Contains(e.Msg, tc.contains) {
				t.Errorf("Msg = %q, want it to mention %q", e.Msg, tc.contains)
			}
		})
	}
}

func TestNewDecoder_Accepts(t *testing.T) {
	doc := "\ufeff<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c --><?pi x?>\n" +
		`<f:Filter xmlns:f="http://www.opengis.net/fes/2.0"><f:Literal>a &amp; b &#x1EA1;</f:Literal></f:Filter>` + "\n"
	d := NewDecoder(strings.NewReader(doc), Limits{MaxBytes: int64(len(doc))})
	root, err := Root(d)
	if err != nil {
		t.Fatal(err)
	}
	if root.Name.Space != "http://www.opengis.net/fes/2.0" || root.Name.Local != "Filter" {
		t.Errorf("root = %v, want the fes:Filter with its namespace resolved", root.Name)
	}
	lit, err := Root(d)
	if err != nil {
		t.Fatal(err)
	}
	text, err := Text(d, lit)
	if err != nil {
		t.Fatal(err)
	}
	if text != "a & b ạ" {
		t.Errorf("Text = %q, want %q", text, "a & b ạ")
	}
	if _, err := d.Token(); err != nil { // </f:Filter>
		t.Fatal(err)
	}
	if err := End(d); err != nil {
		t.Errorf("End: %v", err)
	}
}

func TestNewDecoder_ExactSizeAndSlowReader(t *testing.T) {
	doc := `<a b="1">` + strings.Repeat("y", 5000) + `</a>`
	d := NewDecoder(iotest.OneByteReader(strings.NewReader(doc)), Limits{MaxBytes: int64(len(doc))})
	if _, err := Root(d); err != nil {
		t.Fatal(err)
	}
	if err := d.Skip(); err != nil {
		t.Fatal(err)
	}
	if err := End(d); err != nil {
		t.Errorf("a document of exactly MaxBytes: %v", err)
	}
}

func TestNewDecoderBytes(t *testing.T) {
	if _, err := NewDecoderBytes([]byte("<a>\x00</a>"), Limits{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("NUL: err = %v, want ErrMalformed", err)
	}
	if _, err := NewDecoderBytes([]byte("<a>\xfe</a>"), Limits{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("invalid UTF-8: err = %v, want ErrMalformed", err)
	}
	if _, err := NewDecoderBytes(make([]byte, 20), Limits{MaxBytes: 10}); !errors.Is(err, ErrLimit) {
		t.Errorf("too large: err = %v, want ErrLimit", err)
	}
}

func TestText_RefusesChildren(t *testing.T) {
	d := NewDecoder(strings.NewReader(`<a>x<b/></a>`), Limits{})
	root, _ := Root(d)
	_, err := Text(d, root)
	var e *Error
	if !errors.As(err, &e) || e.Code != InvalidParameterValue || !strings.Contains(e.Msg, "text only") {
		t.Errorf("Text = %v, want InvalidParameterValue about text only", err)
	}
}

func TestFromXML(t *testing.T) {
	if err := FromXML(&xml.SyntaxError{Msg: "bad", Line: 3}); !strings.Contains(err.Error(), "line 3") || !errors.Is(err, ErrMalformed) {
		t.Errorf("FromXML(syntax) = %v", err)
	}
	secret := errors.New("/internal/path leaked")
	if err := FromXML(secret); strings.Contains(err.Error(), "internal") || !errors.Is(err, secret) {
		t.Errorf("FromXML(other) = %q: must not echo the cause, must wrap it", err)
	}
}

var decoderSeeds = []string{
	`<a b="1"><c>text</c></a>`,
	`<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`,
	`<?xml version="1.0" encoding="UTF-8"?><p:a xmlns:p="u"><p:b/></p:a>`,
	"<a>\xff</a>",
}

// FuzzNewDecoder checks that any input either reads to the end or fails with an *Error, never
// panicking. Seeds live in testdata/fuzz/FuzzNewDecoder.
func FuzzNewDecoder(f *testing.F) {
	for _, s := range decoderSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := readAll(s, Limits{MaxBytes: 4096, MaxDepth: 16, MaxElements: 200})
		if err == nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %T %v is not an *Error", err, err)
		}
		if e.Code == "" || e.Msg == "" {
			t.Fatalf("error %+v lacks a code or a message", e)
		}
	})
}

// TestEncodingXML_Entities records what encoding/xml itself does with entities, the reason the
// guard refuses declarations rather than trusting the tokenizer: it never expands an entity
// declared in a DTD (internal or external) and fails on the reference as if it were undefined.
// If a Go release changed that, this test says so before a client finds out.
func TestEncodingXML_Entities(t *testing.T) {
	for _, doc := range []string{
		`<!DOCTYPE a [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>`,
		`<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><a>&xxe;</a>`,
	} {
		d := xml.NewDecoder(strings.NewReader(doc))
		sawDirective := false
		var err error
		for {
			var tok xml.Token
			tok, err = d.Token()
			if err != nil {
				break
			}
			if _, ok := tok.(xml.Directive); ok {
				sawDirective = true
			}
			if cd, ok := tok.(xml.CharData); ok && len(cd) > 0 {
				t.Errorf("encoding/xml expanded an entity of %q into %q", doc, cd)
			}
		}
		var se *xml.SyntaxError
		if !sawDirective || !errors.As(err, &se) || !strings.Contains(se.Msg, "invalid character entity") {
			t.Errorf("encoding/xml on %q: directive %v, err %v; want the DTD passed through and the reference refused", doc, sawDirective, err)
		}
	}
}
