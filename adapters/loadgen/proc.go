package loadgen

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is the kernel's USER_HZ, the unit of CPU times in
// /proc/<pid>/stat: 100 on every Linux this runs on.
const clockTicks = 100

// procSample is one look at a process, or at the whole machine (pid 0).
type procSample struct {
	rssKB int64
	ticks int64 // CPU time used (process), or busy time (machine)
}

// sampleProc reads the resident memory and CPU time of pid ("self" for
// this process).
func sampleProc(pid string) (procSample, error) {
	var s procSample
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return s, err
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			s.rssKB, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return s, err
	}
	// The command name, in parentheses, may hold spaces: count fields after it.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, fmt.Errorf("/proc/%s/stat: unexpected format", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return s, fmt.Errorf("/proc/%s/stat: unexpected format", pid)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14 of the whole line
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	s.ticks = utime + stime
	return s, nil
}

// sampleMachine reads the CPU time all cores spent busy, in ticks.
func sampleMachine() (procSample, error) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return procSample{}, err
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return procSample{}, fmt.Errorf("/proc/stat: unexpected format")
	}
	var busy int64
	for k, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if k != 3 && k != 4 { // idle and iowait
			busy += n
		}
	}
	return procSample{ticks: busy}, nil
}

// findListener returns the process listening on TCP port on a loopback
// or wildcard address, found through the socket inodes of /proc/net/tcp*
// and the file descriptors of /proc/*/fd; 0 when none is visible.
func findListener(port int) int {
	inodes := map[string]bool{}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, _ := strings.Cut(fields[1], ":")
			if p, err := strconv.ParseInt(hexPort, 16, 32); err == nil && int(p) == port {
				inodes["socket:["+fields[9]+"]"] = true
			}
		}
		f.Close()
	}
	if len(inodes) == 0 {
		return 0
	}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if link, err := os.Readlink(fd); err == nil && inodes[link] {
			pid, _ := strconv.Atoi(strings.Split(fd, "/")[2])
			return pid
		}
	}
	return 0
}

// usage follows the server's processes' (one, or one per node) and the
// machine's CPU and memory over a window.
type usage struct {
	procs        []*procWindow // empty when no process is known
	self0, self1 procSample
	mach0, mach1 procSample
}

// procWindow is one server process over the window.
type procWindow struct {
	pid         string
	first, last procSample
	rssMax      int64
}

// newUsage follows the processes pids (zeros are left out: unknown).
func newUsage(pids ...int) *usage {
	u := &usage{}
	for _, pid := range pids {
		if pid > 0 {
			u.procs = append(u.procs, &procWindow{pid: strconv.Itoa(pid)})
		}
	}
	return u
}

// begin takes the window's first samples.
func (u *usage) begin() {
	u.self0, _ = sampleProc("self")
	u.mach0, _ = sampleMachine()
	for _, p := range u.procs {
		p.first, _ = sampleProc(p.pid)
		p.rssMax = p.first.rssKB
	}
}

// peek samples the servers' memory, for its maximum.
func (u *usage) peek() {
	for _, p := range u.procs {
		if s, err := sampleProc(p.pid); err == nil {
			p.rssMax = max(p.rssMax, s.rssKB)
		}
	}
}

// end takes the window's last samples.
func (u *usage) end() {
	u.self1, _ = sampleProc("self")
	u.mach1, _ = sampleMachine()
	for _, p := range u.procs {
		p.last, _ = sampleProc(p.pid)
		p.rssMax = max(p.rssMax, p.last.rssKB)
	}
}

// rss is the servers' resident memory now, summed, in KB.
func (u *usage) rss() int64 {
	var kb int64
	for _, p := range u.procs {
		if s, err := sampleProc(p.pid); err == nil {
			kb += s.rssKB
		}
	}
	return kb
}
