package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// healthz says the process is alive; it touches nothing else, so an orchestrator never restarts
// gisd because the database is slow.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz says whether gisd can serve: the database answers and its schema is the one this binary
// was built for. Load balancers send traffic only when it answers 200.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		logger(c).Warn("not ready: database", "err", err)
		problem(c, http.StatusServiceUnavailable, "the database does not answer")
		return
	}
	st, err := s.store.SchemaStatus(ctx)
	if err != nil {
		logger(c).Warn("not ready: schema", "err", err)
		problem(c, http.StatusServiceUnavailable, "the schema version cannot be read")
		return
	}
	if !st.Current() {
		problem(c, http.StatusServiceUnavailable,
			"the database schema is at version "+itoa(int(st.Version))+", this gisd needs "+itoa(int(st.Latest))+"; run gisd migrate up")
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "schema_version": st.Version})
}
