package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

const (
	ctxRequestID = "gisd.request_id"
	ctxLogger    = "gisd.logger"
)

func requestID(c *gin.Context) string { return c.GetString(ctxRequestID) }

// logger returns the request's logger, which carries its request id.
func logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}

// withRequestID takes a well-formed X-Request-Id from the client or makes one, echoes it, and puts
// a logger carrying it on the context.
func withRequestID(base *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-Id")
		if !validRequestID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(ctxRequestID, id)
		c.Set(ctxLogger, base.With("request_id", id))
		c.Header("X-Request-Id", id)
		c.Next()
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// accessLog writes one line per request after it is served, and feeds the metrics.
func accessLog(m *metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		elapsed := time.Since(start)
		m.observe(c.Request.Method, route, status, c.GetString(ctxProblem), elapsed)
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		logger(c).Log(c.Request.Context(), level, "request",
			"method", c.Request.Method, "path", c.Request.URL.Path, "route", route, "caller", principal(c).Caller(),
			"status", status, "bytes", c.Writer.Size(), "ms", float64(elapsed.Microseconds())/1000)
	}
}

// recovery turns a panic into a logged 500 problem instead of a dropped connection.
func recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				err := fmt.Errorf("panic while serving request: %v", r)
				if c.Writer.Written() {
					logger(c).Error("request failed", "err", err)
					return
				}
				fail(c, err)
			}
		}()
		c.Next()
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
