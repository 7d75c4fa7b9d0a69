package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/api"
)

// A request head larger than gisd reads is answered 431 with a problem, over a real connection to
// the server serve builds: net/http's own plain-text 431 comes only beyond twice the limit.
func TestServe_HeadersTooLargeIsAProblem(t *testing.T) {
	cfg := serveConfig{Addr: "127.0.0.1:0", ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	srv := newHTTPServer(cfg, api.New(api.Config{Logger: slog.New(slog.DiscardHandler)}))
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })

	send := func(headerBytes int) (*http.Response, string) {
		t.Helper()
		conn, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
		w := bufio.NewWriter(conn)
		fmt.Fprintf(w, "GET /healthz HTTP/1.1\r\nHost: gisd\r\n")
		for n := 0; n < headerBytes; n += 8 << 10 {
			fmt.Fprintf(w, "X-Padding-%d: %s\r\n", n, strings.Repeat("a", 8<<10))
		}
		fmt.Fprintf(w, "Connection: close\r\n\r\n")
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(body)
	}

	if res, body := send(64 << 10); res.StatusCode != http.StatusOK {
		t.Fatalf("64 KiB of headers: %d %s, want 200", res.StatusCode, body)
	}
	res, body := send(api.MaxHeaderBytes + api.MaxHeaderBytes/2)
	var p api.Problem
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge || res.Header.Get("Content-Type") != "application/problem+json" ||
		json.Unmarshal([]byte(body), &p) != nil || p.Status != 431 || p.RequestID == "" {
		t.Errorf("1.5 MiB of headers: %d %q %.200s, want a 431 problem", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	// Beyond the server's own limit net/http answers before gisd sees the request.
	if res, _ := send(3 * api.MaxHeaderBytes); res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("3 MiB of headers: %d, want net/http's 431", res.StatusCode)
	}
}
