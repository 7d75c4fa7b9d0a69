package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/vntime"
)

type newKeyRequest struct {
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	Personal  bool     `json:"personal"`
	ExpiresAt string   `json:"expires_at"` // YYYY-MM-DD or RFC 3339
	RateLimit *int     `json:"rate_limit"`
}

// ExpandScopes checks scopes and, with personal, adds LAYER:personal for every layer the key
// reads or writes — the meaning of `gisd keys create --personal`.
func ExpandScopes(scopes []string, personal bool) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range scopes {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !ValidScope(s) {
			return nil, &ParamError{Name: "scopes", Reason: quoteForMessage(s) + " is not a scope; want LAYER:read, LAYER:write, LAYER:personal (LAYER may be *) or admin"}
		}
		add(s)
	}
	if personal {
		for _, s := range append([]string(nil), out...) {
			if layer, action, ok := strings.Cut(s, ":"); ok && (action == "read" || action == "write") {
				add(layer + ":personal")
			}
		}
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// ParseExpiry reads a key's expiry: a date means the end of that day in Vietnam (UTC+7).
func ParseExpiry(v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	if d, err := vntime.ParseDate(v); err == nil && inDatabaseRange(d) {
		end := d.AddDate(0, 0, 1)
		return &end, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil || !inDatabaseRange(t) {
		return nil, &ParamError{Name: "expires_at", Reason: "want a date (YYYY-MM-DD) or an RFC 3339 time"}
	}
	return &t, nil
}

// createKey answers POST /api/v1/keys (admin); the secret is in this response and nowhere else.
func (s *Server) createKey(c *gin.Context) {
	var req newKeyRequest
	if !decodeJSONBody(c, &req, 64<<10) {
		return
	}
	// The body has the right shape; a value in it that is refused is its content (422).
	scopes, err := ExpandScopes(req.Scopes, req.Personal)
	if err != nil {
		fail(c, content(err))
		return
	}
	// A key may only grant what its creator holds: an admin key without personal data cannot
	// mint one that has it. (gisd keys create, with the database's own credentials, may grant
	// anything.)
	p := principal(c)
	var withheld []string
	for _, sc := range scopes {
		if !p.MayGrant(sc) {
			withheld = append(withheld, sc)
		}
	}
	if len(withheld) > 0 {
		e := errorf(errForbidden, "this key may not grant %s: a key can only grant scopes it holds itself", strings.Join(withheld, ", "))
		e.params = []InvalidParam{{Name: "scopes", Reason: "not held by this key: " + strings.Join(withheld, ", ")}}
		s.auditWrite(c, "", nil, http.StatusForbidden, gin.H{"action": "create key", "scopes": scopes, "error": e.msg})
		fail(c, e)
		return
	}
	exp, err := ParseExpiry(req.ExpiresAt)
	if err != nil {
		fail(c, content(err))
		return
	}
	if req.RateLimit != nil && *req.RateLimit < 1 {
		badContent(c, "rate_limit", "want a positive number of requests per minute")
		return
	}
	k, secret, err := s.store.CreateKey(c.Request.Context(), store.NewKey{
		Name: req.Name, Scopes: scopes, RateLimit: req.RateLimit, ExpiresAt: exp, CreatedBy: p.Name(),
	})
	if err != nil {
		fail(c, content(err))
		return
	}
	s.auditWrite(c, "", []int64{k.ID}, http.StatusCreated, gin.H{"action": "create key", "scopes": scopes})
	c.JSON(http.StatusCreated, gin.H{"key": k, "secret": secret,
		"note": "store the secret now: gisd keeps only its hash and cannot show it again"})
}

func (s *Server) listKeys(c *gin.Context) {
	keys, err := s.store.Keys(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	if keys == nil {
		keys = []store.APIKey{}
	}
	c.JSON(http.StatusOK, gin.H{"keys": keys})
}

func (s *Server) revokeKey(c *gin.Context) {
	k, err := s.store.RevokeKey(c.Request.Context(), c.Param("key"))
	if err != nil {
		fail(c, err)
		return
	}
	s.auditWrite(c, "", []int64{k.ID}, http.StatusOK, gin.H{"action": "revoke key"})
	c.JSON(http.StatusOK, gin.H{"key": k})
}
