package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// decodeJSONBody reads a JSON object of at most limit bytes into v, rejecting unknown fields and
// trailing data; on failure it answers 400/413 and returns false.
func decodeJSONBody(c *gin.Context, v any, limit int64) bool {
	body := http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			problem(c, http.StatusRequestEntityTooLarge, "the request body is larger than the limit")
			return false
		}
		problem(c, http.StatusBadRequest, "the request body is not the expected JSON: "+jsonErrorText(err))
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		problem(c, http.StatusBadRequest, "the request body has data after its JSON value")
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
		return "field " + quoteForMessage(typ.Field) + " has the wrong type"
	case errors.Is(err, io.EOF):
		return "the body is empty"
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}
