package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

func runCmd(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// Invalid configuration stops the program at start with a message naming the setting.
func TestConfig_InvalidSettingsAreNamed(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"missing database", nil, []string{"serve"}, "DATABASE_URL"},
		{"bad addr", nil, []string{"serve", "--database-url", "postgres://x@127.0.0.1:1/x", "--addr", "nope"}, "--addr"},
		{"bad env duration", map[string]string{"GISD_STATEMENT_TIMEOUT": "soon"}, []string{"serve"}, "GISD_STATEMENT_TIMEOUT"},
		{"bad env integer", map[string]string{"GISD_DB_MAX_CONNS": "many"}, []string{"serve"}, "GISD_DB_MAX_CONNS"},
		{"negative lock timeout", nil, []string{"serve", "--database-url", "postgres://x@127.0.0.1:1/x", "--lock-timeout", "-1s"}, "--lock-timeout"},
		{"bad env lock timeout", map[string]string{"GISD_LOCK_TIMEOUT": "a while"}, []string{"serve"}, "GISD_LOCK_TIMEOUT"},
		{"pool too large", nil, []string{"serve", "--database-url", "postgres://x@127.0.0.1:1/x", "--db-max-conns", "0"}, "--db-max-conns"},
		{"bad log level", nil, []string{"serve", "--database-url", "postgres://x@127.0.0.1:1/x", "--log-level", "loud"}, "--log-level"},
		{"bad public url", nil, []string{"serve", "--database-url", "postgres://x@127.0.0.1:1/x", "--public-url", "ftp://x"}, "--public-url"},
		{"unknown flag", nil, []string{"serve", "--colour", "red"}, "colour"},
		{"stray argument", nil, []string{"serve", "now"}, `"now"`},
		{"migrate without action", nil, []string{"migrate", "--database-url", "postgres://x@127.0.0.1:1/x"}, "want up"},
		{"demo with zero parcels", nil, []string{"demo", "--database-url", "postgres://x@127.0.0.1:1/x", "--parcels", "0"}, "--parcels"},
		{"synth to an unknown CRS", nil, []string{"synth", "--parcels", "10", "--srid", "6956"}, "--srid"},
		{"unknown command", nil, []string{"frobnicate"}, "unknown command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DATABASE_URL", "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, _, stderr := runCmd(t, context.Background(), tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not name %q", stderr, tc.want)
			}
		})
	}
}

func TestHelp_ListsSettingsWithEnvironment(t *testing.T) {
	code, out, _ := runCmd(t, context.Background(), "--help")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "migrate") {
		t.Errorf("gisd --help: exit %d, %q", code, out)
	}
	_, _, stderr := runCmd(t, context.Background(), "serve", "--help")
	for _, want := range []string{"-database-url", "(env DATABASE_URL)", "-addr", "(env GISD_ADDR)", "-migrate"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("gisd serve --help lacks %q", want)
		}
	}
}

func TestServe_RefusesOutdatedSchema(t *testing.T) {
	u := storetest.Empty(t)
	code, _, stderr := runCmd(t, context.Background(), "serve", "--database-url", u, "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, "gisd migrate up") {
		t.Errorf("serve on an empty database: exit %d, stderr %q; want 1 and advice to migrate", code, stderr)
	}
}

// serve --migrate brings the schema up, answers /readyz, and on cancellation (SIGTERM) lets an
// in-flight request finish before returning.
func TestServe_MigrateReadyAndGracefulShutdown(t *testing.T) {
	u := storetest.Empty(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--database-url", u, "--addr", addr, "--migrate", "--log-level", "warn"}, &bytes.Buffer{}, &errb)
	}()
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("never ready: %v; stderr %s", err, errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	st, err := store.NewMigrator(u)
	if err != nil {
		t.Fatal(err)
	}
	status, _ := st.Status()
	st.Close()
	if !status.Current() {
		t.Errorf("after serve --migrate: %+v", status)
	}
	// A request in flight when the shutdown starts still completes. In flight for certain, not
	// by timing: the client sends its headers with "Expect: 100-continue" and holds the body
	// back; the server's "100 Continue" says a handler is reading it. Then the shutdown starts,
	// and only when the server refuses new connections (its listener is closed) does the body go.
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(60 * time.Second)); err != nil {
		t.Fatal(err)
	}
	body := `{"geometry":{"type":"Point","coordinates":[106.89,11.535]}}`
	fmt.Fprintf(conn, "POST /api/v1/query/intersects HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", addr, len(body))
	br := bufio.NewReader(conn)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("waiting for 100 Continue: %q, %v", line, err)
	}
	if line, err := br.ReadString('\n'); err != nil || line != "\r\n" {
		t.Fatalf("after 100 Continue: %q, %v", line, err)
	}
	cancel()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break // the listener is closed: the shutdown has begun
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections 30 s after the shutdown began")
		}
	}
	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatalf("sending the body during the shutdown: %v", err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the request in flight during the shutdown got no answer: %v", err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("the request in flight during the shutdown: %d %s, want 200", res.StatusCode, answer)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exit %d after shutdown; stderr %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
}

func TestKeys_CreateListRevoke(t *testing.T) {
	u := storetest.Migrated(t)
	ctx := context.Background()
	code, out, stderr := runCmd(t, ctx, "keys", "create", "--database-url", u, "--name", "Sở Xây dựng",
		"--scopes", "parcels:read,constructions:write", "--personal", "--expires", "2099-12-31")
	if code != 0 {
		t.Fatalf("keys create: exit %d, %s", code, stderr)
	}
	if !strings.Contains(out, "gisd_") || !strings.Contains(out, "parcels:personal") {
		t.Errorf("keys create printed %q, want the secret and the expanded scopes", out)
	}
	code, out, _ = runCmd(t, ctx, "keys", "list", "--database-url", u)
	if code != 0 || !strings.Contains(out, "Sở Xây dựng") || !strings.Contains(out, "active") || strings.Contains(out, "gisd_") {
		t.Errorf("keys list: exit %d, %q (must show the key but never a secret)", code, out)
	}
	code, _, stderr = runCmd(t, ctx, "keys", "revoke", "1", "--database-url", u)
	if code != 0 {
		t.Fatalf("keys revoke: exit %d %s", code, stderr)
	}
	if _, out, _ = runCmd(t, ctx, "keys", "list", "--database-url", u); !strings.Contains(out, "revoked") {
		t.Errorf("after revoke: %q", out)
	}
	for _, args := range [][]string{
		{"keys", "create", "--database-url", u, "--scopes", "parcels:read"},
		{"keys", "create", "--database-url", u, "--name", "x", "--scopes", "parcels:fly"},
		{"keys", "create", "--database-url", u, "--name", "x", "--scopes", "parcels:read", "--expires", "soon"},
		{"keys", "revoke", "--database-url", u},
		{"keys", "rotate", "--database-url", u},
	} {
		if code, _, stderr := runCmd(t, ctx, args...); code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", args, code, stderr)
		}
	}
	if code, _, stderr := runCmd(t, ctx, "keys", "revoke", "999", "--database-url", u); code != 1 || !strings.Contains(stderr, "not found") {
		t.Errorf("revoke of an unknown key: exit %d, %q", code, stderr)
	}
}
