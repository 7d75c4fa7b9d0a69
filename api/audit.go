package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/store"
)

// audit appends an entry for this request. Personal data must not leave without its audit row,
// so callers that release personal fields check the result and fail the request if it failed.
func (s *Server) audit(c *gin.Context, e store.AuditEntry) error {
	p := principal(c)
	if !p.Anonymous() {
		e.KeyID, e.KeyName = &p.Key.ID, p.Key.Name
	}
	e.RequestID = requestID(c)
	e.Method = c.Request.Method
	if e.Route == "" {
		e.Route = c.FullPath()
	}
	return s.store.Audit(c.Request.Context(), e)
}

// auditPersonal records a read that returns personal fields; on failure it answers (500, or
// 503 when the database is unavailable) and returns false, and the caller must not send the data.
func (s *Server) auditPersonal(c *gin.Context, layer string, ids []int64, filter string) bool {
	err := s.auditPersonalRead(c, layer, ids, filter)
	if err != nil {
		fail(c, &clientError{kind: errAudit, msg: "personal data cannot be released because the audit log could not be written", cause: err})
		return false
	}
	return true
}

// auditPersonalQuiet is auditPersonal for responses already under way (streams): it logs a
// failure instead of answering it.
func (s *Server) auditPersonalQuiet(c *gin.Context, layer string, ids []int64, filter string) bool {
	if err := s.auditPersonalRead(c, layer, ids, filter); err != nil {
		logger(c).Error("audit of a personal read failed; withholding the data", "err", err)
		return false
	}
	return true
}

func (s *Server) auditPersonalRead(c *gin.Context, layer string, ids []int64, filter string) error {
	if len(ids) > 10000 {
		ids = ids[:10000]
	}
	return s.audit(c, store.AuditEntry{Layer: layer, FeatureIDs: ids, Filter: filter, Personal: true, Status: http.StatusOK})
}

// failWrite answers a write that failed, and records it in the audit log with the status and
// message the client gets (detail is what was attempted; "error" is added to it).
func (s *Server) failWrite(c *gin.Context, layer string, ids []int64, detail gin.H, err error) {
	d := gin.H{"error": describe(err).detail}
	for k, v := range detail {
		d[k] = v
	}
	s.auditWrite(c, layer, ids, statusOf(c, err), d)
	fail(c, err)
}

// auditWrite records a write after it happened (or was refused).
func (s *Server) auditWrite(c *gin.Context, layer string, ids []int64, status int, detail any) {
	var d json.RawMessage
	if detail != nil {
		d, _ = json.Marshal(detail)
	}
	if err := s.audit(c, store.AuditEntry{Layer: layer, FeatureIDs: ids, Status: status, Detail: d}); err != nil {
		logger(c).Error("audit of a write failed", "err", err)
	}
}

// listAudit answers GET /api/v1/audit (admin): key_id, layer, since, until, personal, limit,
// before (an entry id, for paging).
func (s *Server) listAudit(c *gin.Context) {
	var q store.AuditQuery
	for k, vs := range c.Request.URL.Query() {
		v := vs[0]
		switch k {
		case "key_id":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				badParam(c, k, "want a key id")
				return
			}
			q.KeyID = &n
		case "layer":
			q.Layer = v
		case "since", "until":
			t, err := parseTimeParam(v)
			if err != nil || !inDatabaseRange(t) {
				badParam(c, k, "want a date (YYYY-MM-DD) or an RFC 3339 time")
				return
			}
			if k == "since" {
				q.Since = &t
			} else {
				q.Until = &t
			}
		case "personal":
			b, err := strconv.ParseBool(v)
			if err != nil {
				badParam(c, k, "want true or false")
				return
			}
			q.PersonalOnly = b
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				badParam(c, k, "want an integer from 1 to 1000")
				return
			}
			q.Limit = n
		case "before":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				badParam(c, k, "want an entry id")
				return
			}
			q.BeforeID = n
		default:
			badParam(c, k, "unknown parameter; use key_id, layer, since, until, personal, limit or before")
			return
		}
	}
	entries, err := s.store.AuditLog(c.Request.Context(), q)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"entries": entries})
}

func parseTimeParam(v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, v)
}
