package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// procStat is what the benchmark reads of a process from /proc/<pid>/stat.
type procStat struct {
	comm string
	ppid int
	cpu  float64 // user+system seconds
}

func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, fmt.Errorf("reading /proc/%d/stat: %w", pid, err)
	}
	// The command name (field 2) is in parentheses and may hold spaces; the
	// fields after it start with the state (field 3), so ppid (4), utime (14)
	// and stime (15) are at 1, 11 and 12.
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("malformed /proc/%d/stat: %q", pid, s)
	}
	fields := strings.Fields(s[end+1:])
	if len(fields) < 13 {
		return procStat{}, fmt.Errorf("short /proc/%d/stat: %q", pid, s)
	}
	ppid, err1 := strconv.Atoi(fields[1])
	utime, err2 := strconv.ParseInt(fields[11], 10, 64)
	stime, err3 := strconv.ParseInt(fields[12], 10, 64)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			return procStat{}, fmt.Errorf("parsing /proc/%d/stat: %w", pid, err)
		}
	}
	return procStat{comm: s[open+1 : end], ppid: ppid, cpu: float64(utime+stime) / clockTicks}, nil
}

// childCPU returns the CPU seconds of this process's children by command
// name (kube-apiserver and etcd, which envtest starts).
func childCPU() map[string]float64 {
	out := map[string]float64{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	self := os.Getpid()
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		st, err := readProcStat(pid)
		if err != nil || st.ppid != self {
			continue // gone meanwhile, or not ours
		}
		out[st.comm] += st.cpu
	}
	return out
}
