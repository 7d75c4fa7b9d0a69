package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/store"
)

// Problem is an RFC 9457 problem detail. Every error gisd sends, 404s of unknown routes included,
// is one of these; none carries SQL text or an internal error message.
type Problem struct {
	Type          string         `json:"type"`
	Title         string         `json:"title"`
	Status        int            `json:"status"`
	Detail        string         `json:"detail,omitempty"`
	Instance      string         `json:"instance,omitempty"`
	RequestID     string         `json:"request_id,omitempty"`
	InvalidParams []InvalidParam `json:"invalid-params,omitempty"`
}

// InvalidParam names one request parameter that was wrong and why.
type InvalidParam struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

const problemContentType = "application/problem+json"

// problem writes a problem response and aborts the handler chain.
func problem(c *gin.Context, status int, detail string, params ...InvalidParam) {
	p := Problem{
		Type:          "about:blank",
		Title:         http.StatusText(status),
		Status:        status,
		Detail:        detail,
		Instance:      c.Request.URL.Path,
		RequestID:     requestID(c),
		InvalidParams: params,
	}
	c.Header("Content-Type", problemContentType)
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, p)
	// AbortWithStatusJSON sets application/json; restore the problem type.
	c.Writer.Header().Set("Content-Type", problemContentType)
}

// badParam answers 400 naming the parameter at fault.
func badParam(c *gin.Context, name, reason string) {
	problem(c, http.StatusBadRequest, "invalid parameter "+name+": "+reason, InvalidParam{Name: name, Reason: reason})
}

// ParamError is a validation failure of one named request parameter.
type ParamError struct {
	Name   string
	Reason string
}

func (e *ParamError) Error() string { return "invalid parameter " + e.Name + ": " + e.Reason }

// fail maps an error from the layers below to its HTTP status, in one place. Client mistakes
// carry their message (written for people, never containing SQL); anything else is logged once
// here with its cause and answered with a bare 500 or 503.
func fail(c *gin.Context, err error) {
	var pe *ParamError
	var dbe *store.DBError
	switch {
	case errors.As(err, &pe):
		badParam(c, pe.Name, pe.Reason)
	case errors.As(err, &dbe) && errors.Is(err, store.ErrInvalid):
		problem(c, http.StatusUnprocessableEntity, dbe.Message)
	case errors.As(err, &dbe) && errors.Is(err, store.ErrConflict):
		problem(c, http.StatusConflict, dbe.Message)
	case errors.As(err, &dbe) && errors.Is(err, store.ErrLocked):
		c.Header("Retry-After", "5")
		problem(c, http.StatusServiceUnavailable, dbe.Message)
	case errors.Is(err, store.ErrNotFound):
		problem(c, http.StatusNotFound, err.Error())
	case errors.Is(err, store.ErrInvalid):
		problem(c, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrConflict):
		problem(c, http.StatusConflict, err.Error())
	case errors.Is(err, c.Request.Context().Err()) && c.Request.Context().Err() != nil:
		// The client went away; nobody reads the answer. 499 is nginx's code for this.
		c.AbortWithStatus(499)
	default:
		logger(c).Error("request failed", "err", err)
		problem(c, http.StatusInternalServerError, "the server could not complete the request; it has been logged with this request id")
	}
}
