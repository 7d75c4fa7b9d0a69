package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/store"
)

// changeSignal wakes change-feed streams when the database announces a commit. It is a store
// ChangeSubscriber, so writes by any instance or by plain SQL wake them.
type changeSignal struct {
	mu sync.Mutex
	ch chan struct{}
}

func newChangeSignal() *changeSignal { return &changeSignal{ch: make(chan struct{})} }

// wait returns a channel closed at the next change.
func (s *changeSignal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

func (s *changeSignal) fire() {
	s.mu.Lock()
	close(s.ch)
	s.ch = make(chan struct{})
	s.mu.Unlock()
}

func (s *changeSignal) Changed(store.ChangeEvent) { s.fire() }
func (s *changeSignal) Reset()                    { s.fire() }

const maxChangeLimit = 10000

// streamRecheck is how often a change stream checks that its key is still valid. A var so that
// a test can shorten it.
var streamRecheck = 15 * time.Second

// changeQuery reads since/cursor, layers and limit, and limits the layers to those the caller
// may read.
func (s *Server) changeQuery(c *gin.Context, since string) (store.ChangeQuery, bool) {
	for k := range c.Request.URL.Query() {
		switch k {
		case "since", "layers", "limit":
		default:
			badParam(c, k, "unknown parameter; this endpoint takes since, layers and limit")
			return store.ChangeQuery{}, false
		}
	}
	p := principal(c)
	cur, err := store.ParseChangeCursor(since)
	if err != nil {
		badParam(c, "since", "not a cursor of this feed; start from 0 or use the next cursor of a previous page")
		return store.ChangeQuery{}, false
	}
	q := store.ChangeQuery{Since: cur, Limit: 1000, Attributes: p.Attributes}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxChangeLimit {
			badParam(c, "limit", fmt.Sprintf("want an integer from 1 to %d", maxChangeLimit))
			return store.ChangeQuery{}, false
		}
		q.Limit = n
	}
	cat := s.store.Catalog()
	if v := c.Query("layers"); v != "" {
		for _, id := range strings.Split(v, ",") {
			l, ok := cat.Layer(id)
			if !ok || !p.CanRead(l) {
				badParam(c, "layers", "no layer called "+quoteForMessage(id))
				return store.ChangeQuery{}, false
			}
			q.Layers = append(q.Layers, l)
		}
	} else {
		q.Layers = p.ReadableLayers(cat)
		if q.Layers == nil {
			q.Layers = []*store.Layer{}
		}
	}
	return q, true
}

// personalLayers names the layers among q's whose personal attributes the caller receives.
func personalLayers(p *Principal, layers []*store.Layer) []string {
	var out []string
	for _, l := range layers {
		if p.CanSeePersonal(l) {
			out = append(out, l.ID)
		}
	}
	return out
}

// listChanges answers GET /api/v1/changes: committed changes after a cursor, in commit order.
// A client that starts at 0 and applies every page ends with exactly the current layers.
func (s *Server) listChanges(c *gin.Context) {
	q, ok := s.changeQuery(c, c.DefaultQuery("since", "0"))
	if !ok {
		return
	}
	page, err := s.store.Changes(c.Request.Context(), q)
	if err != nil {
		changeError(c, err)
		return
	}
	if pl := personalLayers(principal(c), q.Layers); len(pl) > 0 && len(page.Changes) > 0 {
		if !s.auditPersonal(c, strings.Join(pl, ","), changeIDs(page.Changes), "changes since "+q.Since.String()) {
			return
		}
	}
	base := baseURL(c, s.cfg.PublicURL)
	next := c.Request.URL.Query()
	next.Set("since", page.Next)
	c.JSON(http.StatusOK, gin.H{
		"changes": page.Changes,
		"next":    page.Next,
		"links": []link{
			{Href: base + c.Request.URL.Path + "?" + c.Request.URL.RawQuery, Rel: "self", Type: "application/json"},
			{Href: base + c.Request.URL.Path + "?" + next.Encode(), Rel: "next", Type: "application/json"},
		},
	})
}

func changeIDs(changes []store.Change) []int64 {
	ids := make([]int64, len(changes))
	for i, ch := range changes {
		ids[i] = ch.FeatureID
	}
	return ids
}

func changeError(c *gin.Context, err error) {
	if errors.Is(err, store.ErrInvalid) {
		badParam(c, "since", "the cursor is ahead of the feed: it was not issued by this server")
		return
	}
	fail(c, err)
}

// streamChanges answers GET /api/v1/changes/stream with Server-Sent Events: the same changes as
// listChanges, pushed as they commit. A reconnecting client resumes from Last-Event-ID.
func (s *Server) streamChanges(c *gin.Context) {
	since := c.DefaultQuery("since", "0")
	if id := c.GetHeader("Last-Event-ID"); id != "" {
		since = id
	}
	q, ok := s.changeQuery(c, since)
	if !ok {
		return
	}
	// Validate the cursor before committing to a 200 stream.
	q.Limit = 500
	page, err := s.store.Changes(c.Request.Context(), q)
	if err != nil {
		changeError(c, err)
		return
	}
	w := c.Writer
	// A stream outlives the server's write timeout by design; liveness comes from the heartbeat.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ctx := c.Request.Context()
	heartbeat := time.NewTicker(min(15*time.Second, streamRecheck))
	defer heartbeat.Stop()
	p := principal(c)
	personal := personalLayers(p, q.Layers)
	checked := time.Now()
	for {
		// Take the wake-up channel before reading, so a commit between the read and the wait is
		// not missed.
		woke := s.changes.wait()
		// The key or token was checked when the stream opened; a stream may last for days. It
		// ends when its credential expires or is revoked (checked at most every streamRecheck).
		if !p.Anonymous() && (time.Since(checked) >= streamRecheck || !p.expires.IsZero() && !time.Now().Before(p.expires)) {
			if ok, err := s.stillValid(ctx, p); err != nil || !ok {
				if err != nil && ctx.Err() == nil {
					logger(c).Warn("change stream: cannot recheck the caller's key; closing", "caller", p.Caller(), "err", err)
				}
				_, _ = fmt.Fprint(w, "event: error\ndata: {\"detail\":\"the credential of this stream is no longer valid; reconnect with a valid one\"}\n\n")
				w.Flush()
				return
			}
			checked = time.Now()
		}
		if len(page.Changes) > 0 {
			if len(personal) > 0 && !s.auditPersonalQuiet(c, strings.Join(personal, ","), changeIDs(page.Changes), "change stream") {
				return
			}
			for _, ch := range page.Changes {
				data, _ := json.Marshal(ch)
				if _, err := fmt.Fprintf(w, "id: %s\nevent: change\ndata: %s\n\n", ch.Cursor, data); err != nil {
					return
				}
			}
			w.Flush()
			q.Since, _ = store.ParseChangeCursor(page.Next)
		}
		if len(page.Changes) < q.Limit {
			select {
			case <-ctx.Done():
				return
			case <-heartbeat.C:
				if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
					return
				}
				w.Flush()
			case <-woke:
			}
		}
		page, err = s.store.Changes(ctx, q)
		if err != nil {
			if ctx.Err() == nil {
				logger(c).Error("change stream", "err", err)
			}
			return
		}
	}
}
