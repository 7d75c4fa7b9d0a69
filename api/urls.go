package api

import (
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// baseURL is the scheme://host prefix for links: the configured public URL, or what the request
// says (honouring X-Forwarded-Proto from a reverse proxy).
func baseURL(c *gin.Context, public string) string {
	if public != "" {
		return strings.TrimRight(public, "/")
	}
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	if p := c.GetHeader("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + c.Request.Host
}

// quoteForMessage quotes user input for an error message, cut short so a client cannot make us
// echo megabytes.
func quoteForMessage(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strconv.Quote(s)
}
