package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/store"
)

// healthz says the process is alive; it touches nothing else, so an orchestrator never restarts
// gisd because the database is slow.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// notReady is readyz's answer to a database that does not answer as it should: 503 whatever
// the cause, since a load balancer only needs to know not to send traffic here.
func notReady(msg string, err error) error {
	return &clientError{kind: store.ErrUnavailable, msg: msg, cause: err}
}

// readyz says whether gisd can serve: the database answers and its schema is the one this binary
// was built for. Load balancers send traffic only when it answers 200.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		fail(c, notReady("the database does not answer", err))
		return
	}
	st, err := s.store.SchemaStatus(ctx)
	if err != nil {
		fail(c, notReady("the schema version cannot be read", err))
		return
	}
	if !st.Current() {
		fail(c, &clientError{kind: store.ErrOutdated,
			msg: "the database schema is at version " + itoa(int(st.Version)) + ", this gisd needs " + itoa(int(st.Latest)) + "; run gisd migrate up"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "schema_version": st.Version})
}
