package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/store/storetest"
)

// The README runs. TestREADME takes every shell example (```sh blocks) of README.md and
// web/README.md, in order, and runs each block as a bash script in one working folder, as a reader
// pasting them into a terminal would, against `gisd serve` on a copy of the demo database:
//
//   - localhost:8080 is the test's server; `make db-up` answers with the test database's URL
//     (and `make` does nothing else); bin/gisd and gisd are this binary; testdata/ is the
//     repository's. Nothing else is set up: a block that needs a key, an ID, a file or
//     DATABASE_URL must make it itself or follow the block that does (exported variables carry
//     over from block to block, as in one terminal).
//   - Every curl must answer 2xx, or the status its comment states (`# 401`, `# 201, ETag: ...`),
//     with an answer that is not empty (what curl prints, or the file it writes); a GeoJSON
//     answer must hold features, an answer with lists something in one of them, and a comment
//     that is a JSON object must match the answer's fields. Every gisd and ogrinfo command must
//     succeed and say something.
//   - A block preceded by `<!-- readme-test: skip REASON -->` is not run (make run and make test
//     themselves, an outside server); make test-fresh runs those.
//
// Examples added to the READMEs later are run the same way, with no change here. The shell
// examples must not use here-documents (a command is a line, or lines joined by a backslash).
func TestREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("the README examples are not short")
	}
	var blocks []readmeBlock
	for _, file := range readmeFiles {
		bs, err := readmeBlocks(filepath.Join("..", "..", file))
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, bs...)
	}
	if len(blocks) < 5 {
		t.Fatalf("found %d shell blocks in %v; the extraction is broken", len(blocks), readmeFiles)
	}
	tools := map[string]string{}
	for _, name := range []string{"bash", "curl", "ogrinfo"} {
		p, err := exec.LookPath(name)
		if err != nil {
			if os.Getenv("GISD_REQUIRE_DB") == "1" {
				t.Fatalf("the README examples need %s (scripts/test-deps.sh installs it)", name)
			}
			t.Skipf("the README examples need %s", name)
		}
		tools[name] = p
	}
	dbURL := storetest.Demo(t)
	base := startServer(t, dbURL)

	work := t.TempDir()
	sandbox := newReadmeSandbox(t, work, dbURL, tools)
	for _, b := range blocks {
		name := fmt.Sprintf("%s:%d", b.file, b.line)
		if b.skip != "" {
			t.Logf("%s: skipped: %s", name, b.skip)
			continue
		}
		t.Run(name, func(t *testing.T) {
			sandbox.run(t, b, base)
		})
	}
}

// readmeFiles are the READMEs whose examples run, in the order a reader meets them.
var readmeFiles = []string{"README.md", "web/README.md"}

// readmeBlock is one ```sh block: its file, its first line in the file, its lines, and why it is
// skipped, if it is.
type readmeBlock struct {
	file  string
	line  int
	lines []string
	skip  string
}

var skipMarker = regexp.MustCompile(`^<!--\s*readme-test:\s*skip\b\s*(.*?)\s*-->$`)

// readmeBlocks returns the shell blocks of a Markdown file.
func readmeBlocks(path string) ([]readmeBlock, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(b), "\n")
	var blocks []readmeBlock
	for i := 0; i < len(lines); i++ {
		fence := strings.TrimSpace(lines[i])
		if fence != "```sh" && fence != "```bash" && fence != "```shell" {
			continue
		}
		blk := readmeBlock{file: filepath.ToSlash(strings.TrimPrefix(path, filepath.Join("..", "..")+string(filepath.Separator))), line: i + 2}
		for j := i - 1; j >= 0; j-- {
			prev := strings.TrimSpace(lines[j])
			if prev == "" {
				continue
			}
			if m := skipMarker.FindStringSubmatch(prev); m != nil {
				blk.skip = m[1]
				if blk.skip == "" {
					blk.skip = "(no reason given)"
				}
			}
			break
		}
		j := i + 1
		for ; j < len(lines) && strings.TrimSpace(lines[j]) != "```"; j++ {
			blk.lines = append(blk.lines, lines[j])
		}
		if j == len(lines) {
			return nil, fmt.Errorf("%s:%d: the block is never closed", path, i+1)
		}
		blocks = append(blocks, blk)
		i = j
	}
	return blocks, nil
}

// readmeCommand is one logical command of a block (continuation lines joined) with its trailing
// comment.
type readmeCommand struct {
	line    int    // README line of its first line
	text    string // the command, continuations joined, comment removed
	comment string // the comment after it, without '#'
}

// commands splits a block into its commands; whole-line comments and blank lines are left out.
func (b readmeBlock) commands() []readmeCommand {
	var out []readmeCommand
	for i := 0; i < len(b.lines); i++ {
		start := i
		joined := b.lines[i]
		for strings.HasSuffix(strings.TrimRight(joined, " \t"), `\`) && i+1 < len(b.lines) {
			joined = strings.TrimSuffix(strings.TrimRight(joined, " \t"), `\`) + " " + b.lines[i+1]
			i++
		}
		text, comment := splitComment(joined)
		if strings.TrimSpace(text) == "" {
			continue
		}
		out = append(out, readmeCommand{line: b.line + start, text: strings.TrimSpace(text), comment: strings.TrimSpace(comment)})
	}
	return out
}

// splitComment cuts a shell line at its comment: a # that starts a word outside quotes.
func splitComment(s string) (code, comment string) {
	var quote rune
	prevSpace := true
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && prevSpace:
			return s[:i], s[i+1:]
		}
		prevSpace = r == ' ' || r == '\t'
	}
	return s, ""
}

var wrappedTool = regexp.MustCompile(`(^|[\s;|&(])(curl|gisd|bin/gisd|ogrinfo|make)\s`)

// expectation is what a command's comment promises: a status, and fields of a JSON answer.
type expectation struct {
	status int            // 0: any 2xx
	fields map[string]any // from a comment that is a JSON object
}

var leadingStatus = regexp.MustCompile(`^(\d{3})\b[\s,]*(.*)$`)

func expect(comment string) expectation {
	var e expectation
	rest := comment
	if m := leadingStatus.FindStringSubmatch(comment); m != nil {
		e.status, _ = strconv.Atoi(m[1])
		rest = m[2]
	}
	if strings.HasPrefix(rest, "{") {
		var fields map[string]any
		if json.Unmarshal([]byte(rest), &fields) == nil {
			e.fields = fields
		}
	}
	return e
}

// startServer runs `gisd serve` (this binary's run) on a free port and returns its base URL.
func startServer(t *testing.T, dbURL string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &lineWriter{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--database-url", dbURL, "--addr", "127.0.0.1:0", "--log-level", "info"}, io.Discard, logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("gisd serve did not stop within 30 s")
		}
	})
	serving := regexp.MustCompile(`msg=serving addr=(\S+)`)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := serving.FindStringSubmatch(logs.String()); m != nil {
			return "127.0.0.1:" + m[1][strings.LastIndex(m[1], ":")+1:]
		}
		select {
		case code := <-done:
			t.Fatalf("gisd serve exited with %d: %s", code, logs.String())
		default:
		}
	}
	t.Fatalf("gisd serve did not start listening within 60 s: %s", logs.String())
	return ""
}

// lineWriter collects what the server logs, for the address and for failures.
type lineWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// readmeSandbox is the working folder the blocks run in, with the wrappers that stand in for
// curl, gisd, ogrinfo and make and record what each call did.
type readmeSandbox struct {
	work, bin, state, records string
}

func newReadmeSandbox(t *testing.T, work, dbURL string, tools map[string]string) *readmeSandbox {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := &readmeSandbox{work: work, bin: filepath.Join(work, ".readme-bin"), state: filepath.Join(work, ".readme-env"),
		records: filepath.Join(work, ".readme-records")}
	for _, d := range []string{s.bin, filepath.Join(work, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(repo, "testdata"), filepath.Join(work, "testdata")); err != nil {
		t.Fatal(err)
	}
	wrapper := func(as string) []byte {
		return fmt.Appendf(nil, "#!/bin/sh\nGISD_README_AS=%s GISD_README_RECORDS=%s GISD_README_DB=%s GISD_README_CURL=%s GISD_README_OGRINFO=%s exec %s \"$@\"\n",
			as, shellQuote(s.records), shellQuote(dbURL), shellQuote(tools["curl"]), shellQuote(tools["ogrinfo"]), shellQuote(self))
	}
	for path, as := range map[string]string{
		filepath.Join(s.bin, "curl"): "curl", filepath.Join(s.bin, "ogrinfo"): "ogrinfo", filepath.Join(s.bin, "make"): "make",
		filepath.Join(s.bin, "gisd"): "gisd", filepath.Join(work, "bin", "gisd"): "gisd",
	} {
		if err := os.WriteFile(path, wrapper(as), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// record is what one wrapped call did.
type record struct {
	Line   int      `json:"line"`
	Tool   string   `json:"tool"`
	Args   []string `json:"args"`
	Exit   int      `json:"exit"`
	Status int      `json:"status,omitempty"` // curl: the last HTTP status
	Out    int64    `json:"out"`              // bytes of answer: stdout, and the -o file
	Body   string   `json:"body,omitempty"`   // curl: the start of the answer, for JSON checks
	Err    string   `json:"err,omitempty"`
}

// run runs one block as a script and checks what each of its commands did.
func (s *readmeSandbox) run(t *testing.T, b readmeBlock, addr string) {
	t.Helper()
	cmds := b.commands()
	var script strings.Builder
	fmt.Fprintf(&script, "set -e -o pipefail\n[ -f %s ] && . %s\ntrap 'export -p > %s' EXIT\n",
		shellQuote(s.state), shellQuote(s.state), shellQuote(s.state))
	next := 0
	for i, l := range b.lines {
		if next < len(cmds) && cmds[next].line == b.line+i {
			fmt.Fprintf(&script, "export README_LINE=%d\n", cmds[next].line)
			next++
		}
		script.WriteString(strings.ReplaceAll(l, "localhost:8080", addr) + "\n")
	}
	_ = os.Remove(s.records)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = s.work
	cmd.Env = []string{"PATH=" + s.bin + ":/usr/local/bin:/usr/bin:/bin", "HOME=" + s.work, "LANG=C.UTF-8", "TERM=dumb"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	byLine := map[int][]record{}
	if f, err := os.Open(s.records); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var r record
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("record %q: %v", sc.Text(), err)
			}
			byLine[r.Line] = append(byLine[r.Line], r)
		}
		f.Close()
	}
	for _, c := range cmds {
		where := fmt.Sprintf("%s:%d: %s", b.file, c.line, abbreviate(c.text))
		recs := byLine[c.line]
		if len(recs) == 0 {
			if wrappedTool.MatchString(" " + c.text + " ") {
				t.Errorf("%s: did not run", where)
			}
			continue
		}
		e := expect(c.comment)
		for _, r := range recs {
			checkRecord(t, where, e, r)
		}
	}
	if runErr != nil {
		t.Errorf("the block stopped: %v\nstdout:\n%s\nstderr:\n%s", runErr, tail(stdout.String(), 3000), tail(stderr.String(), 3000))
	} else if t.Failed() {
		t.Logf("stdout:\n%s\nstderr:\n%s", tail(stdout.String(), 3000), tail(stderr.String(), 3000))
	}
}

func checkRecord(t *testing.T, where string, e expectation, r record) {
	t.Helper()
	if r.Err != "" {
		t.Errorf("%s: %s %v: %s", where, r.Tool, r.Args, r.Err)
		return
	}
	switch r.Tool {
	case "curl":
		switch {
		case r.Exit != 0:
			t.Errorf("%s: curl exited with %d", where, r.Exit)
		case e.status != 0 && r.Status != e.status:
			t.Errorf("%s: status %d, the README says %d (answer %s)", where, r.Status, e.status, abbreviate(r.Body))
		case e.status == 0 && (r.Status < 200 || r.Status > 299):
			t.Errorf("%s: status %d, want 2xx (answer %s)", where, r.Status, abbreviate(r.Body))
		case r.Out == 0:
			t.Errorf("%s: status %d with an empty answer", where, r.Status)
		}
		var doc map[string]any
		if json.Unmarshal([]byte(r.Body), &doc) == nil {
			if fs, ok := doc["features"].([]any); ok && doc["type"] == "FeatureCollection" && len(fs) == 0 && r.Status == 200 {
				t.Errorf("%s: the answer holds no features: the example shows nothing", where)
			} else if r.Status == 200 && onlyEmptyLists(doc) {
				t.Errorf("%s: every list in the answer is empty: the example shows nothing (%s)", where, abbreviate(r.Body))
			}
			for k, want := range e.fields {
				if got, ok := doc[k]; !ok || fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: the answer has %s = %v, the README says %v", where, k, got, want)
				}
			}
		} else if e.fields != nil {
			t.Errorf("%s: the README shows a JSON answer, the answer is %s", where, abbreviate(r.Body))
		}
	default:
		if r.Exit != 0 {
			t.Errorf("%s: %s exited with %d", where, r.Tool, r.Exit)
		} else if r.Out == 0 {
			t.Errorf("%s: %s said nothing", where, r.Tool)
		}
	}
}

// onlyEmptyLists reports whether a JSON answer has lists and all of them are empty, as a search
// that finds nothing has.
func onlyEmptyLists(doc map[string]any) bool {
	lists := 0
	for _, v := range doc {
		if l, ok := v.([]any); ok {
			if len(l) > 0 {
				return false
			}
			lists++
		}
	}
	return lists > 0
}

func abbreviate(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		return s[:197] + "..."
	}
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// readmeExec is this binary standing in for a tool in a README example (GISD_README_AS names
// it): it runs the tool and appends what the call did to GISD_README_RECORDS.
func readmeExec(tool string, args []string) int {
	line, _ := strconv.Atoi(os.Getenv("README_LINE"))
	r := record{Line: line, Tool: tool, Args: args}
	stdout := &countWriter{w: os.Stdout, keep: 64 << 10}
	stderr := &countWriter{w: os.Stderr}
	switch tool {
	case "gisd":
		r.Exit = run(context.Background(), args, stdout, stderr)
		r.Out = stdout.n + stderr.n
	case "make":
		// Only `make db-up`: the database is the test's. make run and make test are not
		// examples this test runs (make test-fresh does).
		targets := makeTargets(args)
		if len(targets) == 1 && targets[0] == "db-up" {
			fmt.Fprintf(stdout, "DATABASE_URL=%s\n", os.Getenv("GISD_README_DB"))
			r.Out = stdout.n
		} else {
			fmt.Fprintf(stderr, "the README test runs only `make db-up`, not make %s\n", strings.Join(args, " "))
			r.Exit, r.Err = 2, "make "+strings.Join(args, " ")+": only make db-up runs in the README test"
		}
	case "ogrinfo", "curl":
		path := os.Getenv("GISD_README_" + strings.ToUpper(tool))
		var headers string
		cargs := args
		if tool == "curl" {
			f, err := os.CreateTemp("", "readme-headers-")
			if err != nil {
				r.Err = err.Error()
				break
			}
			headers = f.Name()
			f.Close()
			defer os.Remove(headers)
			cargs = append([]string{"-D", headers}, args...)
		}
		cmd := exec.Command(path, cargs...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
		if err := cmd.Run(); err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				r.Exit = ee.ExitCode()
			} else {
				r.Exit, r.Err = 127, err.Error()
			}
		}
		r.Out = stdout.n
		if tool == "ogrinfo" {
			r.Out += stderr.n
		}
		if tool == "curl" {
			r.Status = lastStatus(headers)
			r.Body = stdout.kept.String()
			if out := curlOutput(args); out != "" && out != "/dev/null" && out != "-" {
				if fi, err := os.Stat(out); err == nil {
					r.Out += fi.Size()
					if r.Body == "" {
						b, _ := os.ReadFile(out)
						if len(b) > 64<<10 {
							b = b[:64<<10]
						}
						r.Body = string(b)
					}
				}
			}
		}
	default:
		r.Exit, r.Err = 127, "unknown tool "+tool
	}
	if f, err := os.OpenFile(os.Getenv("GISD_README_RECORDS"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		b, _ := json.Marshal(r)
		f.Write(append(b, '\n'))
		f.Close()
	}
	return r.Exit
}

// makeTargets returns the arguments that are not flags (make's targets).
func makeTargets(args []string) []string {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			out = append(out, a)
		}
	}
	return out
}

// lastStatus reads the status of the last response from curl's -D file.
func lastStatus(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	status := 0
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && strings.HasPrefix(f[0], "HTTP/") {
			status, _ = strconv.Atoi(f[1])
		}
	}
	return status
}

// curlOutput is the file of curl's -o/--output, if any.
func curlOutput(args []string) string {
	for i, a := range args {
		switch {
		case (a == "-o" || a == "--output") && i+1 < len(args):
			return args[i+1]
		case strings.HasPrefix(a, "--output="):
			return strings.TrimPrefix(a, "--output=")
		case strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "o"):
			// Short flags run together (-so t.mvt): o takes the next argument, or the rest.
			if k := strings.IndexByte(a, 'o'); k == len(a)-1 && i+1 < len(args) {
				return args[i+1]
			} else if k < len(a)-1 {
				return a[k+1:]
			}
		}
	}
	return ""
}

// countWriter passes bytes through, counting them and keeping the first keep of them.
type countWriter struct {
	w    io.Writer
	n    int64
	keep int
	kept bytes.Buffer
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	if room := c.keep - c.kept.Len(); room > 0 {
		c.kept.Write(p[:min(room, len(p))])
	}
	return c.w.Write(p)
}

func TestMain(m *testing.M) {
	// This test binary stands in for gisd, curl, ogrinfo and make in the README's examples.
	if as := os.Getenv("GISD_README_AS"); as != "" {
		os.Exit(readmeExec(as, os.Args[1:]))
	}
	os.Exit(m.Run())
}
