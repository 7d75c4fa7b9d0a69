package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// The edge: what every request must satisfy before any handler reads it. Text that PostgreSQL
// cannot store (a NUL byte, invalid UTF-8) would fail deep down with SQLSTATE 22021; it is
// refused here instead, naming the parameter, and so is a head larger than gisd reads.

// MaxHeaderBytes bounds the request line and header fields gisd reads (1 MiB, net/http's own
// default). main gives http.Server a larger MaxHeaderBytes, so that a head between the two is
// answered here with a problem (431) rather than by net/http's plain-text 431.
const MaxHeaderBytes = 1 << 20

// textHeaders are the headers gisd reads as text (keys, cursors, tags, CRS names); invalid
// UTF-8 in them is refused. Other headers may carry obs-text (RFC 9110) and are only checked for
// NUL bytes.
var textHeaders = []string{"Authorization", "X-Api-Key", "Last-Event-Id", "If-Match", "If-None-Match", "Content-Crs"}

// edge refuses heads that are too large and text parameters that are not text.
func edge() gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		if n := headBytes(r); n > MaxHeaderBytes {
			fail(c, errorf(errHeadersTooLarge, "the request line and headers are %d bytes; at most %d are read", n, MaxHeaderBytes))
			return
		}
		if err := checkRequestText(c); err != nil {
			fail(c, err)
			return
		}
		c.Next()
	}
}

// headBytes is the size of the request line and header fields as they came over the wire
// (net/http keeps no count, so it is added up again).
func headBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	n += len("Host: ") + len(r.Host) + 2
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// checkText refuses a value PostgreSQL cannot store as text.
func checkText(name, v string) *ParamError {
	if strings.IndexByte(v, 0) >= 0 {
		return &ParamError{Name: name, Reason: "contains a NUL byte"}
	}
	if !utf8.ValidString(v) {
		return &ParamError{Name: name, Reason: "is not valid UTF-8"}
	}
	return nil
}

// printableName is a parameter name fit to be echoed in a problem.
func printableName(s string) string {
	return quoteForMessage(strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD"))
}

// checkRequestText checks the path parameters (named as the route names them), the path, every
// query parameter's name and values, and the headers.
func checkRequestText(c *gin.Context) *ParamError {
	for _, p := range c.Params {
		if err := checkText(strings.TrimPrefix(p.Key, "*"), p.Value); err != nil {
			return err
		}
	}
	if err := checkText("path", c.Request.URL.Path); err != nil {
		return err
	}
	// ParseQuery keeps what it could read next to its error; the handlers see the same values
	// through URL.Query.
	q, _ := url.ParseQuery(c.Request.URL.RawQuery)
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if checkText(k, k) != nil {
			return &ParamError{Name: printableName(k), Reason: "the parameter's name contains a NUL byte or is not valid UTF-8"}
		}
		for _, v := range q[k] {
			if err := checkText(k, v); err != nil {
				return err
			}
		}
	}
	for k, vs := range c.Request.Header {
		text := slices.Contains(textHeaders, k)
		for _, v := range vs {
			if strings.IndexByte(v, 0) >= 0 || text && !utf8.ValidString(v) {
				return &ParamError{Name: k, Reason: "the header contains a NUL byte or is not valid UTF-8"}
			}
		}
	}
	return nil
}

// checkJSONText refuses a JSON body that is not UTF-8 or whose strings hold a NUL byte ("\u0000"
// decodes to one): encoding/json would quietly replace the first with U+FFFD and PostgreSQL
// refuses the second.
func checkJSONText(raw []byte) *ParamError {
	if !utf8.Valid(raw) {
		return &ParamError{Name: "body", Reason: "is not valid UTF-8"}
	}
	if !bytes.Contains(raw, []byte(`\u0000`)) {
		return nil
	}
	// The escape may be text (`\\u0000`); decode to be sure.
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil // the decoder that follows says what is wrong
	}
	if path, ok := nulIn(v, "$"); ok {
		return &ParamError{Name: "body", Reason: "the string at " + path + " contains a NUL byte"}
	}
	return nil
}

// nulIn finds a string holding a NUL byte in a decoded JSON value.
func nulIn(v any, path string) (string, bool) {
	switch v := v.(type) {
	case string:
		return path, strings.IndexByte(v, 0) >= 0
	case []any:
		for i, x := range v {
			if p, ok := nulIn(x, path+"["+strconv.Itoa(i)+"]"); ok {
				return p, true
			}
		}
	case map[string]any:
		for k, x := range v {
			if strings.IndexByte(k, 0) >= 0 {
				return path, true
			}
			if p, ok := nulIn(x, path+"."+k); ok {
				return p, true
			}
		}
	}
	return "", false
}
