package ha

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// PGBin is where Debian's postgresql-15 package installs the server programs.
const PGBin = "/usr/lib/postgresql/15/bin"

// account is who the database processes run as: the `postgres` account when we are root
// (PostgreSQL, Patroni and PgBouncer refuse root), else ourselves.
type account struct {
	cred *syscall.Credential // nil: run as the current user
	uid  int
	gid  int
}

func currentAccount() (account, error) {
	if os.Geteuid() != 0 {
		return account{uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return account{}, fmt.Errorf("running as root needs the `postgres` account (Debian's postgresql package creates it): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return account{cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, uid: uid, gid: gid}, nil
}

// own gives path to the database account (a no-op when that is us).
func (a account) own(path string) error {
	if a.cred == nil {
		return nil
	}
	return os.Lchown(path, a.uid, a.gid)
}

// mkdir makes a directory the database account owns, private to it (PostgreSQL insists on 0700
// for a data directory).
func (a account) mkdir(path string) error {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return err
	}
	return a.own(path)
}

// writeFile writes a file the database account owns.
func (a account) writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.WriteFile(path, data, mode); err != nil {
		return err
	}
	return a.own(path)
}

// env is one harness instance's working area: a temporary directory the database account can
// reach, the guardian that cleans it up if the test binary dies, and the processes started in it.
type env struct {
	dir      string
	acct     account
	guardian *exec.Cmd
	guardIn  io.WriteCloser

	mu    sync.Mutex
	procs []*process
}

// newEnv makes a working directory under the system's temporary directory (or /var/tmp when the
// database account cannot reach that one) and starts its guardian.
func newEnv(prefix string) (*env, error) {
	acct, err := currentAccount()
	if err != nil {
		return nil, err
	}
	root := os.TempDir()
	if acct.cred != nil && !othersCanReach(root) {
		root = "/var/tmp"
	}
	dir, err := os.MkdirTemp(root, "gisd-ha-"+prefix+"-")
	if err != nil {
		return nil, err
	}
	// The directory holds data directories, sockets and logs of processes running as the
	// database account; 0711 lets it in without letting others list it.
	if err := os.Chmod(dir, 0o711); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	e := &env{dir: dir, acct: acct}
	if err := e.startGuardian(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return e, nil
}

// othersCanReach reports whether every directory on the way to path is searchable by anyone.
func othersCanReach(path string) bool {
	for p := filepath.Clean(path); ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm()&0o001 == 0 {
			return false
		}
		if p == "/" {
			return true
		}
	}
}

// guardianScript waits for its stdin to close — which happens when the test binary exits, however
// it exits — and then kills what is left in the directory: every PostgreSQL found by its
// postmaster.pid (Patroni starts PostgreSQL in a session of its own, out of reach of the kernel's
// parent-death signal) and every process group the harness recorded, and removes the directory.
// After an orderly shutdown it finds nothing left to kill.
const guardianScript = `
trap '' INT TERM HUP
dir=$1
cat >/dev/null
for f in "$dir"/*/postmaster.pid "$dir"/*/*/postmaster.pid; do
	[ -f "$f" ] || continue
	pid=$(head -n 1 "$f")
	[ -n "$pid" ] || continue
	# Backends call setsid: reach them by their parent.
	for c in $(ps -o pid= --ppid "$pid"); do kill -KILL "$c" 2>/dev/null; done
	kill -KILL "$pid" 2>/dev/null
done
for f in "$dir"/pgid/*; do
	[ -f "$f" ] || continue
	kill -KILL -- "-$(cat "$f")" 2>/dev/null
done
i=0
while [ $i -lt 50 ] && [ -n "$(find "$dir" -name postmaster.pid 2>/dev/null | head -n 1)" ]; do
	for f in $(find "$dir" -name postmaster.pid 2>/dev/null); do
		pid=$(head -n 1 "$f")
		kill -0 "$pid" 2>/dev/null || rm -f "$f"
	done
	sleep 0.1
	i=$((i+1))
done
[ "$GISD_HA_KEEP" = 1 ] || rm -rf "$dir"
`

func (e *env) startGuardian() error {
	if err := os.Mkdir(filepath.Join(e.dir, "pgid"), 0o700); err != nil {
		return err
	}
	cmd := exec.Command("/bin/sh", "-c", guardianScript, "guardian", e.dir)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "GISD_HA_KEEP=" + os.Getenv("GISD_HA_KEEP")}
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	// Its own session: a Ctrl-C sent to the test's process group must not kill it before the
	// test's own clean-up (or its own) has run.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the clean-up guardian: %w", err)
	}
	e.guardian, e.guardIn = cmd, in
	return nil
}

// close stops every process still running (SIGTERM, then SIGKILL after grace) and removes the
// directory, then lets the guardian go.
func (e *env) close(grace time.Duration) {
	e.mu.Lock()
	procs := append([]*process(nil), e.procs...)
	e.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].stop(syscall.SIGTERM, grace)
	}
	// What Patroni detached: PostgreSQL's of this directory, by their postmaster.pid.
	for _, pidfile := range postmasterPIDFiles(e.dir) {
		if pid, ok := readPID(pidfile); ok {
			killPostmaster(pid)
		}
	}
	if os.Getenv("GISD_HA_KEEP") == "1" {
		fmt.Fprintf(os.Stderr, "ha: GISD_HA_KEEP=1: keeping %s\n", e.dir)
	} else {
		_ = os.RemoveAll(e.dir)
	}
	if e.guardIn != nil {
		_ = e.guardIn.Close()
		done := make(chan struct{})
		go func() { _ = e.guardian.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	}
}

func postmasterPIDFiles(dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "postmaster.pid" {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// killPostmaster kills a PostgreSQL server and its processes. Every backend and auxiliary
// process calls setsid, so neither the postmaster's process group nor Patroni's reaches them:
// they are found by their parent.
func killPostmaster(pid int) {
	signalPostmaster(pid, syscall.SIGKILL)
	waitGone(pid, 5*time.Second)
}

// signalPostmaster sends sig to a postmaster and to its children.
func signalPostmaster(pid int, sig syscall.Signal) {
	if sig == syscall.SIGCONT {
		_ = syscall.Kill(pid, sig)
	}
	for _, c := range childrenOf(pid) {
		_ = syscall.Kill(c, sig)
	}
	if sig != syscall.SIGCONT {
		_ = syscall.Kill(pid, sig)
	}
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces, so read after the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, c)
		}
	}
	return out
}

func readPID(pidfile string) (int, bool) {
	b, err := os.ReadFile(pidfile)
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	return pid, err == nil && pid > 1
}

// waitGone waits until pid no longer exists (or has become a zombie of someone else's).
func waitGone(pid int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) || isZombie(pid) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...; comm may hold spaces, so look after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// process is one program the harness started, in a process group of its own.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

// start runs argv as the database account (asDB) or as ourselves, with output to logPath. The
// process leads its own group, so stop and kill reach its children too, and gets SIGKILL from
// the kernel when the test binary exits.
func (e *env) start(name string, asDB bool, logPath string, extraEnv []string, argv ...string) (*process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = e.dir
	cmd.Env = append(baseEnv(e.dir), extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if asDB {
		cmd.SysProcAttr.Credential = e.acct.cred
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	pgidFile := filepath.Join(e.dir, "pgid", fmt.Sprintf("%s-%d", sanitizeName(name), cmd.Process.Pid))
	_ = os.WriteFile(pgidFile, []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
	go func() {
		p.err = cmd.Wait()
		_ = os.Remove(pgidFile)
		close(p.done)
	}()
	e.mu.Lock()
	e.procs = append(e.procs, p)
	e.mu.Unlock()
	return p, nil
}

// baseEnv is a small, predictable environment: no PG* variables of the developer's leak in, and
// PATH starts with PostgreSQL's programs and Debian's python (a pyenv python3 earlier on PATH
// would lack Patroni's modules).
func baseEnv(home string) []string {
	return []string{
		"PATH=" + PGBin + ":/usr/bin:/bin:/usr/sbin:/sbin",
		"HOME=" + home,
		"LANG=C.UTF-8",
		"LC_ALL=C.UTF-8",
		"TZ=UTC",
	}
}

func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

func (p *process) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stop sends sig to the process group and waits up to grace, then kills the group.
func (p *process) stop(sig syscall.Signal, grace time.Duration) {
	if !p.running() {
		return
	}
	pid := p.cmd.Process.Pid
	_ = syscall.Kill(-pid, sig)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.done
	}
	// Children that outlived their leader (a backend finishing up) go too.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// terminate sends sig to the process (its leader only: PostgreSQL and Patroni stop their own
// children) and reports whether it exited within limit and ctx.
func (p *process) terminate(ctx context.Context, sig syscall.Signal, limit time.Duration) bool {
	_ = syscall.Kill(p.cmd.Process.Pid, sig)
	select {
	case <-p.done:
		return true
	case <-time.After(limit):
	case <-ctx.Done():
	}
	return false
}

// kill ends the process group at once, as a crash would.
func (p *process) kill() {
	if !p.running() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// exited describes how the process ended, with the end of its log.
func (p *process) exited() error {
	return fmt.Errorf("%s exited (%v); end of its log %s:\n%s", p.name, p.err, p.log, tail(p.log, 25))
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// run runs a program to completion (as the database account when asDB) and returns its error
// with its output.
func (e *env) run(ctx context.Context, asDB bool, extraEnv []string, argv ...string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = e.dir
	cmd.Env = append(baseEnv(e.dir), extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if asDB {
		cmd.SysProcAttr.Credential = e.acct.cred
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	if f, ferr := os.OpenFile(filepath.Join(e.dir, "commands.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); ferr == nil {
		fmt.Fprintf(f, "%s $ %s (%v)\n%s\n", time.Now().Format("15:04:05.000"), strings.Join(argv, " "), err, out)
		f.Close()
	}
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ports hands out free loopback ports, never the same one twice in this process. Another program
// may still take a port between our check and its use; starters retry on "address in use".
var ports struct {
	mu   sync.Mutex
	used map[int]bool
}

func freePort() (int, error) {
	ports.mu.Lock()
	defer ports.mu.Unlock()
	if ports.used == nil {
		ports.used = map[int]bool{}
	}
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !ports.used[port] {
			ports.used[port] = true
			return port, nil
		}
	}
	return 0, errors.New("no free loopback port")
}

// waitFor polls check every interval until it returns true, ctx ends or the deadline passes; the
// error names what it waited for and the last reason check gave.
func waitFor(ctx context.Context, what string, limit, interval time.Duration, check func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var last error
	for {
		ok, err := check(ctx)
		if ok {
			return nil
		}
		if stop := (errStop{}); errors.As(err, &stop) {
			return fmt.Errorf("ha: gave up waiting for %s: %w", what, stop.error)
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("ha: waited %v for %s: %w (last: %v)", limit, what, ctx.Err(), last)
			}
			return fmt.Errorf("ha: waited %v for %s: %w", limit, what, ctx.Err())
		case <-time.After(interval):
		}
	}
}
