package store

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// Notification channels written by the schema's triggers.
const (
	channelChanges = "gisd_changes"
	channelCatalog = "gisd_catalog"
)

// ChangeEvent is one committed statement's effect on one layer, as the database announced it:
// the layer and the extent (lon/lat) of every old and new geometry the statement touched.
type ChangeEvent struct {
	Layer string
	BBox  orb.Bound
}

// ChangeSubscriber is told about committed changes. Reset is called whenever notifications may
// have been missed (the listening connection was lost and re-established): a subscriber holding
// derived data must then drop all of it.
type ChangeSubscriber interface {
	Changed(ChangeEvent)
	Reset()
}

type listeners struct {
	mu   sync.Mutex
	subs []ChangeSubscriber
}

func (l *listeners) add(s ChangeSubscriber) {
	l.mu.Lock()
	l.subs = append(l.subs, s)
	l.mu.Unlock()
}

func (l *listeners) each(fn func(ChangeSubscriber)) {
	l.mu.Lock()
	subs := l.subs
	l.mu.Unlock()
	for _, s := range subs {
		fn(s)
	}
}

// Subscribe registers s for change events delivered by Listen.
func (s *Store) Subscribe(sub ChangeSubscriber) { s.listeners.add(sub) }

// Listen keeps one dedicated connection LISTENing for catalog and feature changes until ctx is
// done. Changes made by any writer — this instance, another instance, or SQL typed by hand — reach
// every instance, because the triggers send them at commit. After each (re)connection it reloads
// the catalog and resets subscribers, since anything sent meanwhile is lost. ready, if not nil, is
// closed once the first LISTEN is in place.
func (s *Store) Listen(ctx context.Context, ready chan<- struct{}) error {
	backoff := 100 * time.Millisecond
	for {
		err := s.listenOnce(ctx, &ready)
		if ctx.Err() != nil {
			return nil
		}
		s.log.Warn("change listener lost its connection; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context, ready *chan<- struct{}) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, ch := range []string{channelChanges, channelCatalog} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return err
		}
	}
	if _, err := s.LoadCatalog(ctx); err != nil {
		return err
	}
	s.listeners.each(func(sub ChangeSubscriber) { sub.Reset() })
	if *ready != nil {
		close(*ready)
		*ready = nil
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		switch n.Channel {
		case channelCatalog:
			if _, err := s.LoadCatalog(ctx); err != nil {
				return err
			}
		case channelChanges:
			ev, err := parseChange(n.Payload)
			if err != nil {
				// A payload we cannot read must not leave stale data behind.
				s.log.Error("unreadable change notification; resetting caches", "err", err)
				s.listeners.each(func(sub ChangeSubscriber) { sub.Reset() })
				continue
			}
			s.listeners.each(func(sub ChangeSubscriber) { sub.Changed(ev) })
		}
	}
}

func parseChange(payload string) (ChangeEvent, error) {
	var p struct {
		Layer string     `json:"layer"`
		BBox  []*float64 `json:"bbox"`
	}
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		return ChangeEvent{}, err
	}
	if p.Layer == "" || len(p.BBox) != 4 {
		return ChangeEvent{}, errors.New("change notification without layer or bbox")
	}
	for _, v := range p.BBox {
		if v == nil { // a change with no geometry: be safe, treat it as the whole world
			return ChangeEvent{Layer: p.Layer, BBox: orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}}, nil
		}
	}
	return ChangeEvent{Layer: p.Layer, BBox: orb.Bound{
		Min: orb.Point{*p.BBox[0], *p.BBox[1]}, Max: orb.Point{*p.BBox[2], *p.BBox[3]},
	}}, nil
}
