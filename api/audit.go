package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/store"
)

// audit appends an entry for this request. Personal data must not leave without its audit row,
// so callers that release personal fields check the result and fail the request if it failed.
func (s *Server) audit(c *gin.Context, e store.AuditEntry) error {
	p := principal(c)
	if p.Key != nil {
		e.KeyID = &p.Key.ID
	}
	e.Caller, e.KeyName = p.Caller(), p.Name()
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

// auditFilter is how the audit log records what selected the features of a read: the whole
// filter, queryables given as query parameters included, as canonical CQL2 text (which
// maskFilter can read back).
func auditFilter(e cql2.Expr) string {
	if e == nil {
		return ""
	}
	return e.String()
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
		case "caller":
			if !validCaller(v) {
				badParam(c, k, `want a caller as the log names it: "key:12", "lgsp:<client>" or "anonymous"`)
				return
			}
			q.Caller = v
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
			badParam(c, k, "unknown parameter; use key_id, caller, layer, since, until, personal, limit or before")
			return
		}
	}
	entries, err := s.store.AuditLog(c.Request.Context(), q)
	if err != nil {
		fail(c, err)
		return
	}
	p, cat := principal(c), s.store.Catalog()
	for i := range entries {
		entries[i].Filter = maskFilter(p, cat, entries[i])
	}
	c.JSON(http.StatusOK, gin.H{"entries": entries})
}

func validCaller(v string) bool {
	if v == "anonymous" {
		return true
	}
	if id, ok := strings.CutPrefix(v, "key:"); ok {
		n, err := strconv.ParseInt(id, 10, 64)
		return err == nil && n > 0
	}
	id, ok := strings.CutPrefix(v, "lgsp:")
	return ok && id != "" && len(id) <= 256
}

// maskedValue stands for a personal value in a filter an audit reader may not see.
const maskedValue = "***"

// withheldFilter replaces a filter that names personal data and cannot be masked piece by piece.
const withheldFilter = "(withheld: it names personal data, which this key may not read)"

// maskFilter is the filter of audit entry e as reader p may see it. The audit log keeps what a
// personal read asked for — an ID number searched for, an owner's name — and that is personal data
// itself: a reader without the personal scope on the entry's layers sees the filter with every
// value compared to a personal attribute replaced by '***' ("owner_id_number = '***'"). A filter
// that is not CQL2 text is shown only if it names no personal attribute of those layers; one on
// a layer no longer in the catalog is withheld.
func maskFilter(p *Principal, cat *store.Catalog, e store.AuditEntry) string {
	if e.Filter == "" || e.Layer == "" {
		return e.Filter
	}
	personal := map[string]bool{}
	for _, id := range strings.Split(e.Layer, ",") {
		l, ok := cat.Layer(id)
		if !ok {
			return withheldFilter
		}
		if p.CanSeePersonal(l) {
			continue
		}
		for _, a := range l.Attributes {
			if a.Visibility == store.VisibilityPersonal {
				personal[a.Name] = true
			}
		}
	}
	if len(personal) == 0 {
		return e.Filter
	}
	expr, err := cql2.Parse(e.Filter)
	if err != nil {
		// gisd's own descriptions ("changes since …") and filters of other languages.
		lower := strings.ToLower(e.Filter)
		for name := range personal {
			if strings.Contains(lower, name) {
				return withheldFilter
			}
		}
		return e.Filter
	}
	masked, ok := maskPredicates(expr, personal)
	if !ok {
		return withheldFilter
	}
	return masked.String()
}

// maskPredicates replaces the literals of every predicate of e that names a personal property.
// ok is false for a node it does not know, which the caller then withholds whole.
func maskPredicates(e cql2.Expr, personal map[string]bool) (cql2.Expr, bool) {
	switch e.(type) {
	case cql2.And, cql2.Or, cql2.Not:
		return rebuild(e, func(x cql2.Expr) (cql2.Expr, bool) { return maskPredicates(x, personal) })
	}
	if !namesPersonal(e, personal) {
		return e, true
	}
	return maskLiterals(e)
}

// maskLiterals replaces every value literal of e, down through function calls, with '***'.
func maskLiterals(e cql2.Expr) (cql2.Expr, bool) {
	switch e.(type) {
	case cql2.String, cql2.Number, cql2.Bool, cql2.Date, cql2.Timestamp:
		return cql2.String{Value: maskedValue}, true
	}
	return rebuild(e, maskLiterals)
}

// namesPersonal reports whether a personal property appears anywhere in e.
func namesPersonal(e cql2.Expr, personal map[string]bool) bool {
	if p, ok := e.(cql2.Property); ok {
		return personal[p.Name]
	}
	found := false
	_, _ = rebuild(e, func(x cql2.Expr) (cql2.Expr, bool) {
		found = found || namesPersonal(x, personal)
		return x, true
	})
	return found
}

// rebuild is e with each operand replaced by f's answer; ok is false when f refuses one, or e is
// a node rebuild does not know. Leaves (properties, literals, geometries) come back as they are.
func rebuild(e cql2.Expr, f func(cql2.Expr) (cql2.Expr, bool)) (cql2.Expr, bool) {
	var kids []cql2.Expr
	var build func([]cql2.Expr) cql2.Expr
	switch e := e.(type) {
	case cql2.Property, cql2.String, cql2.Number, cql2.Bool, cql2.Date, cql2.Timestamp, cql2.Geometry, cql2.BBox:
		return e, true
	case cql2.And:
		kids, build = e.Args, func(k []cql2.Expr) cql2.Expr { return cql2.And{Args: k} }
	case cql2.Or:
		kids, build = e.Args, func(k []cql2.Expr) cql2.Expr { return cql2.Or{Args: k} }
	case cql2.Not:
		kids, build = []cql2.Expr{e.Arg}, func(k []cql2.Expr) cql2.Expr { return cql2.Not{Arg: k[0]} }
	case cql2.Comparison:
		kids, build = []cql2.Expr{e.Left, e.Right}, func(k []cql2.Expr) cql2.Expr { return cql2.Comparison{Op: e.Op, Left: k[0], Right: k[1]} }
	case cql2.Like:
		kids, build = []cql2.Expr{e.Arg, e.Pattern}, func(k []cql2.Expr) cql2.Expr { return cql2.Like{Arg: k[0], Pattern: k[1], Not: e.Not} }
	case cql2.Between:
		kids, build = []cql2.Expr{e.Arg, e.Low, e.High}, func(k []cql2.Expr) cql2.Expr {
			return cql2.Between{Arg: k[0], Low: k[1], High: k[2], Not: e.Not}
		}
	case cql2.In:
		kids, build = append([]cql2.Expr{e.Arg}, e.List...), func(k []cql2.Expr) cql2.Expr { return cql2.In{Arg: k[0], List: k[1:], Not: e.Not} }
	case cql2.IsNull:
		kids, build = []cql2.Expr{e.Arg}, func(k []cql2.Expr) cql2.Expr { return cql2.IsNull{Arg: k[0], Not: e.Not} }
	case cql2.Spatial:
		kids, build = []cql2.Expr{e.Left, e.Right}, func(k []cql2.Expr) cql2.Expr { return cql2.Spatial{Op: e.Op, Left: k[0], Right: k[1]} }
	case cql2.DWithin:
		kids, build = []cql2.Expr{e.Left, e.Right}, func(k []cql2.Expr) cql2.Expr {
			return cql2.DWithin{Left: k[0], Right: k[1], Distance: e.Distance}
		}
	case cql2.Func:
		kids, build = e.Args, func(k []cql2.Expr) cql2.Expr { return cql2.Func{Name: e.Name, Args: k} }
	default:
		return nil, false
	}
	out := make([]cql2.Expr, len(kids))
	for i, k := range kids {
		var ok bool
		if out[i], ok = f(k); !ok {
			return nil, false
		}
	}
	return build(out), true
}

func parseTimeParam(v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, v)
}
