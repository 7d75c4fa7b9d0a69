package ha

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestGuardian_CleansUpAfterCrash runs itself as a child that starts two processes the way the
// harness does — one directly (Pdeathsig), one detached in a session of its own with its pid in
// a postmaster.pid, as Patroni starts PostgreSQL — and then dies by SIGKILL, so no clean-up code
// of its own runs. The guardian must kill both and remove the directory.
func TestGuardian_CleansUpAfterCrash(t *testing.T) {
	if os.Getenv("GISD_HA_GUARDIAN_CHILD") == "1" {
		guardianChild()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestGuardian_CleansUpAfterCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GISD_HA_GUARDIAN_CHILD=1", "GISD_HA_KEEP=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var dir string
	var pids []int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			switch k {
			case "dir":
				dir = v
			case "pid":
				pid, _ := strconv.Atoi(v)
				pids = append(pids, pid)
			}
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v; want it killed by SIGKILL", err)
	}
	if dir == "" || len(pids) != 2 {
		t.Fatalf("child reported dir %q and pids %v; want a directory and two pids", dir, pids)
	}
	for _, pid := range pids {
		if !waitGone(pid, 10*time.Second) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("process %d outlived the crashed test binary by 10s", pid)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%s still exists 10s after the test binary crashed", dir)
			_ = os.RemoveAll(dir)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func guardianChild() {
	e, err := newEnv("guardian")
	if err != nil {
		fmt.Println("error=" + err.Error())
		os.Exit(1)
	}
	direct, err := e.start("sleep", true, filepath.Join(e.dir, "sleep.log"), nil, "/bin/sleep", "300")
	if err != nil {
		fmt.Println("error=" + err.Error())
		os.Exit(1)
	}
	detached := exec.Command("/bin/sleep", "300")
	detached.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := detached.Start(); err != nil {
		fmt.Println("error=" + err.Error())
		os.Exit(1)
	}
	data := filepath.Join(e.dir, "node", "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		fmt.Println("error=" + err.Error())
		os.Exit(1)
	}
	_ = os.WriteFile(filepath.Join(data, "postmaster.pid"), []byte(fmt.Sprintf("%d\n%s\n", detached.Process.Pid, data)), 0o600)
	fmt.Printf("dir=%s\npid=%d\npid=%d\n", e.dir, direct.cmd.Process.Pid, detached.Process.Pid)
	_ = os.Stdout.Sync()
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}
