package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// browser is one headless Chromium tab driven over the DevTools protocol (chromedp), with what the
// browser tests need and a land officer's browser would do: a Vietnamese locale and time zone, a
// fresh profile, and no request leaving the server under test. Every request the page (or its
// workers) makes is paused by the Fetch domain; one for another origin is refused and recorded,
// so a page that reaches the internet fails the test instead of quietly working here.
type browser struct {
	ctx       context.Context // the tab; cancelling it closes the browser
	origin    string
	artifacts string
	shots     int

	mu         sync.Mutex
	outside    []string // requests to another origin, refused
	pageErrors []string // uncaught exceptions in the page
	console    []string // console errors and warnings, for the log
	requests   map[string]int

	refuseParcelsAt atomic.Bool // answer /api/v1/parcels/at as if the server were down
}

// browserFlags are the Chromium switches for a headless run on a build machine: no GPU (WebGL
// through SwiftShader, which MapLibre needs), no QUIC, no first-run, sync, component or
// background traffic, so the only requests are the page's own.
var browserFlags = []string{
	"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run", "no-default-browser-check",
	"disable-background-networking", "disable-component-update", "disable-sync", "disable-default-apps",
	"disable-extensions", "enable-unsafe-swiftshader", "disable-dev-shm-usage", "hide-scrollbars", "mute-audio",
}

// startBrowser starts Chromium (the binary at path) with a fresh profile and opens one tab on
// origin's pages. It stops the browser when ctx ends or the test finishes.
func startBrowser(t *testing.T, ctx context.Context, path, origin, artifacts string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 800),
		chromedp.Flag("lang", "vi-VN"),
	}
	for _, f := range browserFlags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	b := &browser{ctx: tab, origin: origin, artifacts: artifacts, requests: map[string]int{}}

	// Start the browser with no deadline: the first Run binds the browser's life to its context.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	paused := chromedp.Events(tab, fetch.RequestPaused)
	exceptions := chromedp.Events(tab, runtime.ExceptionThrown)
	console := chromedp.Events(tab, runtime.ConsoleAPICalled)
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			b.route(ev)
		}
	}()
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			b.record(&b.pageErrors, exceptionText(ev.ExceptionDetails))
		}
	}()
	go func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range ev.Args {
					if a.Description != "" {
						parts = append(parts, a.Description)
					} else {
						parts = append(parts, string(a.Value))
					}
				}
				b.record(&b.console, string(ev.Type)+": "+strings.Join(parts, " "))
			}
		}
	}()
	setup := func(ctx context.Context, t *chromedp.Target) error {
		// Every request pauses until route answers it (no patterns: all of them).
		if _, err := cdp.Call(ctx, t, fetch.Enable, fetch.EnableParams{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: "vi_VN"}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Ho_Chi_Minh"})
		return err
	}
	sctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.Func(setup), chromedp.EmulateViewport(1366, 800)); err != nil {
		t.Fatalf("set up the tab: %v", err)
	}
	return b
}

// route lets a paused request through to the server under test and refuses any other.
func (b *browser) route(ev fetch.EventRequestPaused) {
	url := ev.Request.URL
	reason := network.ErrorReason("")
	switch {
	case !strings.HasPrefix(url, b.origin+"/") && !strings.HasPrefix(url, "data:") && !strings.HasPrefix(url, "blob:"):
		b.record(&b.outside, url)
		reason = network.ErrorReasonBlockedByClient
	case b.refuseParcelsAt.Load() && strings.Contains(url, "/api/v1/parcels/at?"):
		reason = network.ErrorReasonConnectionRefused
	}
	b.mu.Lock()
	b.requests[requestKind(url)]++
	b.mu.Unlock()
	var err error
	if reason != "" {
		_, err = chromedp.Call(b.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: reason})
	} else {
		_, err = chromedp.Call(b.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
	}
	_ = err // the tab is closing; the request dies with it
}

// requestKind sorts a URL for the request count: tiles, API calls, assets, pages.
func requestKind(url string) string {
	switch {
	case strings.Contains(url, ".mvt"):
		return "tile"
	case strings.Contains(url, "/api/") || strings.Contains(url, "/ogc"):
		return "api"
	case strings.Contains(url, "/assets/"):
		return "asset"
	}
	return "other"
}

func (b *browser) record(list *[]string, s string) {
	b.mu.Lock()
	*list = append(*list, s)
	b.mu.Unlock()
}

// snapshot returns copies of what the browser recorded.
func (b *browser) snapshot() (outside, pageErrors, console []string, requests map[string]int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	requests = map[string]int{}
	for k, v := range b.requests {
		requests[k] = v
	}
	return append([]string(nil), b.outside...), append([]string(nil), b.pageErrors...), append([]string(nil), b.console...), requests
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "(no details)"
	}
	if d.Exception != nil && d.Exception.Description != "" {
		return d.Exception.Description
	}
	return fmt.Sprintf("%s (line %d, column %d of %s)", d.Text, d.LineNumber, d.ColumnNumber, d.URL)
}

// step runs one step of a walk through the pages as a subtest with its own deadline, and leaves a
// screenshot of the page after it (full length when full is set) in the artifacts folder. A
// failed step does not stop the steps after it, as a person would go on to the next task.
func (b *browser) step(t *testing.T, name string, full bool, timeout time.Duration, fn func(s *step)) (shot string) {
	t.Helper()
	b.shots++
	shot = fmt.Sprintf("%02d-%s.png", b.shots, name)
	t.Run(name, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(b.ctx, timeout)
		defer cancel()
		defer b.screenshot(t, shot, full)
		fn(&step{T: t, ctx: ctx, b: b})
	})
	return shot
}

func (b *browser) screenshot(t *testing.T, file string, full bool) {
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	shoot := chromedp.CaptureScreenshot()
	if full {
		shoot = chromedp.FullScreenshot(100) // 100: PNG
	}
	png, err := chromedp.Run(ctx, shoot)
	if err == nil {
		err = os.WriteFile(filepath.Join(b.artifacts, file), png, 0o644)
	}
	if err != nil {
		t.Logf("no screenshot %s: %v", file, err)
	}
}

// step is what a step's function drives the page with. Each method fails the step, saying what it
// was doing, when the page does not do it before the step's deadline.
type step struct {
	*testing.T
	ctx context.Context
	b   *browser
}

// do runs chromedp actions, failing the step with what on error.
func (s *step) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	s.Helper()
	if err := chromedp.Do(s.ctx, actions...); err != nil {
		s.Fatalf("%s: %v", what, err)
	}
}

// jsCall is the expression that calls the JavaScript function fn with args, each passed as JSON
// (as Playwright's evaluate passes its argument).
func jsCall(fn string, args ...any) string {
	var enc []string
	for _, a := range args {
		b, err := json.Marshal(a)
		if err != nil {
			panic(err)
		}
		enc = append(enc, string(b))
	}
	return "(" + fn + ")(" + strings.Join(enc, ", ") + ")"
}

// eval evaluates a JavaScript expression in the page and decodes its value into T.
func eval[T any](s *step, expr string) T {
	s.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		s.Fatalf("evaluate %s: %v", abbrev(expr), err)
	}
	return v
}

// waitFor polls a JavaScript expression every 200 ms until it is true, and fails the step with
// what it was waiting for when the step's deadline passes first. An expression that throws (the
// page is navigating, say) counts as false; the last error is reported at the deadline.
func (s *step) waitFor(what, expr string) {
	s.Helper()
	var lastErr error
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := chromedp.Run(s.ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		if err == nil && ok {
			return
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			lastErr = err
		}
		select {
		case <-s.ctx.Done():
			if lastErr != nil {
				s.Fatalf("timed out waiting for %s (last error: %v)", what, lastErr)
			}
			s.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

// goTo opens a page of the server and waits for its document.
func (s *step) goTo(path string) {
	s.Helper()
	s.do("open "+path, chromedp.Navigate(s.b.origin+path))
}

// click clicks the element sel as a mouse would, at its centre.
func (s *step) click(sel string) {
	s.Helper()
	s.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// clickAt moves the mouse to CSS pixel (x, y) and clicks there, as a hand on a mouse does (the
// map's cursor readout follows the move).
func (s *step) clickAt(x, y float64) {
	s.Helper()
	s.do(fmt.Sprintf("click at (%.0f, %.0f)", x, y),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y), chromedp.MouseClickXY(x, y))
}

// moveTo moves the mouse to CSS pixel (x, y).
func (s *step) moveTo(x, y float64) {
	s.Helper()
	s.do(fmt.Sprintf("move the mouse to (%.0f, %.0f)", x, y), chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y))
}

// fill replaces the value of the input sel with text: typed text for text inputs (the page sees
// input events as from a keyboard), the value and input/change events for date inputs, which
// take no typing.
func (s *step) fill(sel, text string) {
	s.Helper()
	typed := eval[bool](s, jsCall(`([sel, v]) => {
		const el = document.querySelector(sel);
		if (!el) throw new Error('no element ' + sel);
		el.focus();
		if (['date', 'time', 'datetime-local', 'month', 'week', 'color', 'range'].includes(el.type)) {
			el.value = v;
			el.dispatchEvent(new Event('input', { bubbles: true }));
			el.dispatchEvent(new Event('change', { bubbles: true }));
			return false;
		}
		el.select();
		return true;
	}`, []string{sel, text}))
	if typed {
		s.do("type into "+sel, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
			return err
		}))
	}
}

// press focuses sel and presses Enter.
func (s *step) pressEnter(sel string) {
	s.Helper()
	s.do("press Enter in "+sel, chromedp.Focus(chromedp.CSS(sel)), chromedp.KeyEvent(kb.Enter))
}

// selectOption chooses the option with value in the select sel, as a person picking it would
// (input and change events).
func (s *step) selectOption(sel, value string) {
	s.Helper()
	eval[bool](s, jsCall(`([sel, v]) => {
		const el = document.querySelector(sel);
		if (!el) throw new Error('no element ' + sel);
		if (![...el.options].some((o) => o.value === v)) throw new Error(sel + ' has no option ' + v);
		el.value = v;
		el.dispatchEvent(new Event('input', { bubbles: true }));
		el.dispatchEvent(new Event('change', { bubbles: true }));
		return true;
	}`, []string{sel, value}))
}

// setFiles chooses files in the file input sel.
func (s *step) setFiles(sel string, files ...string) {
	s.Helper()
	s.do("choose "+strings.Join(files, ", ")+" in "+sel, chromedp.SetUploadFiles(chromedp.CSS(sel), files))
}

// viewport resizes the page's viewport.
func (s *step) viewport(w, h int64) {
	s.Helper()
	s.do(fmt.Sprintf("resize the viewport to %d×%d", w, h), chromedp.EmulateViewport(w, h))
}

// check fails the step with msg when cond is false, and goes on.
func (s *step) check(cond bool, format string, args ...any) {
	s.Helper()
	if !cond {
		s.Errorf(format, args...)
	}
}

func abbrev(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}
