package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// decodeJSONBody reads a JSON object of at most limit bytes into v, rejecting unknown fields,
// trailing data and text PostgreSQL cannot store; on failure it answers 400/413 and returns
// false.
func decodeJSONBody(c *gin.Context, v any, limit int64) bool {
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(c, errorf(errTooLarge, "the request body is larger than %d bytes", limit))
			return false
		}
		fail(c, errorf(errBadRequest, "the request body cannot be read"))
		return false
	}
	if perr := checkJSONText(raw); perr != nil {
		fail(c, perr)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		fail(c, errorf(errBadRequest, "the request body is not the expected JSON: %s", jsonErrorText(err)))
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		fail(c, errorf(errBadRequest, "the request body has data after its JSON value"))
		return false
	}
	return true
}

// jsonErrorText describes a decoding error without echoing the body.
func jsonErrorText(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "syntax error at byte " + itoa(int(syn.Offset))
	case errors.As(err, &typ):
		return "member " + quoteForMessage(typ.Field) + " has the wrong type"
	case errors.Is(err, io.EOF):
		return "the body is empty"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is cut short"
	}
	// encoding/json has no type for an unknown member (DisallowUnknownFields); its message is
	// `json: unknown field "name"`, and the name is what the client needs to hear.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown member " + name
	}
	return "malformed JSON"
}
