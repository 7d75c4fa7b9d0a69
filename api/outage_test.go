package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/api"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
	"github.com/dongnai-gis/gisd/tiles"
)

// tcpProxy forwards connections to a PostgreSQL server until it is stopped; stopping it cuts
// every connection, as a database host that goes down does.
type tcpProxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func (p *tcpProxy) start(t *testing.T) {
	t.Helper()
	addr := p.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			go func() { _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
}

func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// A database outage is 503 with Retry-After on every surface, and /readyz says so; when the
// database is back, so is gisd, without a restart.
func TestOutage_DatabaseDownIs503(t *testing.T) {
	u, err := url.Parse(storetest.Demo(t))
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{target: u.Host}
	p.start(t)
	t.Cleanup(p.stop)
	u.Host = p.addr

	st := storetest.StoreWith(t, store.Config{URL: u.String(), MaxConns: 4})
	svc := tiles.New(st, tiles.Options{Logger: slog.New(slog.DiscardHandler)})
	h := api.New(api.Config{Store: st, Logger: slog.New(slog.DiscardHandler), Tiles: svc})

	targets := []string{"/readyz", "/api/v1/layers", "/ogc/collections/parcels/items?limit=1",
		"/api/v1/parcels/at?lon=106.89&lat=11.535", "/tiles/parcels/16/52225/30700.mvt", "/api/v1/search?q=dong+xoai"}
	for _, target := range targets {
		if res, body := get(t, h, "GET", target); res.StatusCode >= 300 {
			t.Fatalf("GET %s with the database up: %d %s", target, res.StatusCode, body)
		}
	}

	p.stop()
	for _, target := range targets {
		done := make(chan struct{})
		go func() {
			defer close(done)
			res, body := get(t, h, "GET", target)
			var prob api.Problem
			_ = json.Unmarshal(body, &prob)
			if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
				res.Header.Get("Content-Type") != "application/problem+json" || !strings.HasSuffix(prob.Type, "/unavailable") {
				t.Errorf("GET %s with the database down: %d Retry-After %q %s, want 503, Retry-After and the unavailable problem",
					target, res.StatusCode, res.Header.Get("Retry-After"), body)
			}
			for _, leak := range []string{"pgx", "SQLSTATE", "connect", "127.0.0.1"} {
				if strings.Contains(string(body), leak) {
					t.Errorf("GET %s: the answer leaks %q: %s", target, leak, body)
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("GET %s with the database down did not answer within 30 s", target)
		}
	}

	p.start(t) // the same address: the database is back
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, body := get(t, h, "GET", "/readyz")
		if res.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz 30 s after the database came back: %d %s", res.StatusCode, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, target := range targets {
		if res, body := get(t, h, "GET", target); res.StatusCode >= 300 {
			t.Errorf("GET %s with the database back: %d %s", target, res.StatusCode, body)
		}
	}
}
