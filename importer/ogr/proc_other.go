//go:build !unix

package ogr

import (
	"os"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(p *os.Process) error { return p.Kill() }

func maxRSS(*os.ProcessState) int64 { return 0 }
