package ogr

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/dongnai-gis/gisd/text/vnenc"
)

// textMode says how attribute text reaches the stream.
type textMode int

const (
	// textRaw: each byte of the file's text is one code point U+0000-U+00FF in the stream.
	// Shapefiles get there through GDAL's ENCODING=ISO-8859-1 open option (the one encoding
	// that maps every byte, losslessly); CSV and DGN, which GDAL does not recode, through
	// latin1Expander on ogr2ogr's output. The bytes are then decoded once their encoding is
	// known: GDAL cannot decode TCVN3 or VNI.
	textRaw textMode = iota
	// textUnicode: GDAL decoded the text, which the format defines as Unicode (GeoPackage, KML).
	textUnicode
)

// textDecoder is the per-value transform handed to the pipeline.
type textDecoder struct {
	enc        vnenc.Encoding
	mode       textMode
	converted  atomic.Int64 // values decoded from a legacy encoding
	normalized atomic.Int64 // values only composed to NFC
}

// transform decodes one string value (or property name).
func (d *textDecoder) transform(s string) string {
	if printableASCII(s) {
		return s
	}
	switch {
	case d.mode == textRaw:
		b := latin1Bytes(s)
		out := d.enc.Decode(b)
		if d.enc.Legacy() {
			d.converted.Add(1)
		} else if out != string(b) {
			d.normalized.Add(1)
		}
		return out
	case d.enc.Legacy():
		// Legacy text a tool stored as the Windows-1252 characters the legacy font shows
		// ("NguyÔn"): only when the caller says so.
		if b, ok := cp1252Bytes(s); ok {
			d.converted.Add(1)
			return d.enc.Decode(b)
		}
	}
	out := norm.NFC.String(s)
	if out != s {
		d.normalized.Add(1)
	}
	return out
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x7f || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			return false
		}
	}
	return true
}

// latin1Bytes turns the code points U+0000-U+00FF of a raw-mode string back into the file's
// bytes. Anything above (which raw mode does not produce) is kept as UTF-8.
func latin1Bytes(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r <= 0xff {
			b = append(b, byte(r))
		} else {
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

// expandLatin1 turns each byte of s into the code point of the same value, as latin1Expander does
// to the stream.
func expandLatin1(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

// cp1252Specials are the characters Windows-1252 has at 0x80-0x9F.
var cp1252Specials = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, 'ˆ': 0x88, '‰': 0x89,
	'Š': 0x8A, '‹': 0x8B, 'Œ': 0x8C, 'Ž': 0x8E, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95,
	'–': 0x96, '—': 0x97, '˜': 0x98, '™': 0x99, 'š': 0x9A, '›': 0x9B, 'œ': 0x9C, 'ž': 0x9E, 'Ÿ': 0x9F,
}

// cp1252Bytes maps a string of Windows-1252 characters back to their bytes; ok is false when
// it holds anything else (then it is real Unicode text, not a legacy font's view).
func cp1252Bytes(s string) ([]byte, bool) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch c, special := cp1252Specials[r]; {
		case special:
			b = append(b, c)
		case r <= 0xff:
			b = append(b, byte(r))
		default:
			return nil, false
		}
	}
	return b, true
}

// detectText reads the layer's attributes once (ogr2ogr to CSV, no geometry) and feeds every
// value and field name to a vnenc.Detector, stopping when it has seen enough. recoded says
// GDAL turned each byte into a code point (Shapefiles); otherwise the CSV holds the file's
// bytes as they are (CSV, DGN).
func detectText(ctx context.Context, r *runner, args []string, recoded bool) (vnenc.Detection, error) {
	dctx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := r.command(dctx, r.ogr2ogr, append([]string{"-f", "CSV", "/vsistdout/"}, args...)...)
	var stderr limitedBuffer
	stderr.limit = 64 << 10
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return vnenc.Detection{}, fmt.Errorf("ogr: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return vnenc.Detection{}, fmt.Errorf("ogr: starting ogr2ogr: %w", err)
	}
	var d vnenc.Detector
	cr := csv.NewReader(out)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	full := false
	var readErr error
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		for _, v := range rec {
			if recoded {
				d.Add(latin1Bytes(v))
			} else {
				d.Add([]byte(v))
			}
		}
		if d.Full() {
			full = true
			stop() // enough: kill the scan
			break
		}
	}
	_, _ = io.Copy(io.Discard, out)
	werr := cmd.Wait()
	r.reaped(cmd)
	if full {
		return d.Result(), nil
	}
	if cerr := r.ctxErr(dctx); cerr != nil {
		return vnenc.Detection{}, cerr
	}
	if werr != nil || readErr != nil {
		return vnenc.Detection{}, newError(ErrInvalid, CodeUnreadable, "GDAL could not read the layer's attributes").
			withDetail(fmt.Sprint(werr, readErr, stderr.String()))
	}
	return d.Result(), nil
}
