//go:build linux

package ogr

import (
	"os"
	"syscall"
)

// sysProcAttr puts GDAL in a process group of its own, so a kill reaches anything it starts,
// and has the kernel kill it if gisd dies first (no orphaned conversions).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func killGroup(p *os.Process) error { return syscall.Kill(-p.Pid, syscall.SIGKILL) }

// maxRSS is a finished process's peak resident set in bytes (Linux reports KiB).
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024
	}
	return 0
}
