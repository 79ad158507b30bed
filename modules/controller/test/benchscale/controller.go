package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errExitedEarly: the controller exited with status 0 before it was ready.
var errExitedEarly = errors.New("exited with status 0")

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// controllerProc is a running wva-controller binary.
type controllerProc struct {
	cmd        *exec.Cmd
	metricsURL string
	readyURL   string
	logPath    string
	done       chan error
}

// startController runs the binary against kubeconfig with the capacity
// ConfigMap in configNamespace, the fake Prometheus at promURL, HTTP
// metrics and probes on free loopback ports, and extra flags last (so they
// override). Its log goes to logPath.
func startController(bin, kubeconfig, promURL, logPath string, extra []string) (*controllerProc, error) {
	metricsAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	probeAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating the controller log: %w", err)
	}
	args := append([]string{
		"--kubeconfig=" + kubeconfig,
		"--capacity-config-namespace=" + configNamespace,
		"--prometheus-url=" + promURL,
		"--metrics-bind-address=" + metricsAddr,
		"--metrics-secure=false",
		"--health-probe-bind-address=" + probeAddr,
		// envtest has no Service to route admission requests through.
		"--config-admission=off",
	}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &controllerProc{
		cmd: cmd, logPath: logPath, done: make(chan error, 1),
		metricsURL: "http://" + metricsAddr + "/metrics", readyURL: "http://" + probeAddr + "/readyz",
	}
	go func() {
		p.done <- cmd.Wait()
		_ = logFile.Close()
	}()
	logger.Info("Started controller", "pid", cmd.Process.Pid, "args", strings.Join(args[1:], " "), "log", logPath)
	return p, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("releasing port %s: %w", addr, err)
	}
	return addr, nil
}

// waitReady polls /readyz until it answers 200, the process exits or ctx ends.
func (p *controllerProc) waitReady(ctx context.Context) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		resp, err := http.Get(p.readyURL) //nolint:noctx // loopback, short-lived
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case err := <-p.done:
			p.done <- err
			if err == nil {
				err = errExitedEarly
			}
			return fmt.Errorf("controller exited before it was ready (log: %s): %w", p.logPath, err)
		case <-ctx.Done():
			return fmt.Errorf("controller not ready (last seen: %s): %w", last, ctx.Err())
		case <-tick.C:
		}
	}
}

// cpuSeconds is the controller's user+system CPU time so far.
func (p *controllerProc) cpuSeconds() (float64, error) {
	st, err := readProcStat(p.cmd.Process.Pid)
	if err != nil {
		return 0, err
	}
	return st.cpu, nil
}

// memory is the controller's resident set: now (VmRSS) and its peak (VmHWM), in bytes.
func (p *controllerProc) memory() (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0, fmt.Errorf("reading the controller's status: %w", err)
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parsing %s: %w", name, err)
		}
		if name == "VmRSS" {
			rss = kb * 1024
		} else {
			peak = kb * 1024
		}
	}
	return rss, peak, sc.Err()
}

// scrape reads the controller's /metrics and returns the sum of the samples
// of each of the named metrics (all label sets).
func (p *controllerProc) scrape(ctx context.Context, names ...string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.metricsURL, nil)
	if err != nil {
		return nil, fmt.Errorf("building the metrics request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scraping the controller: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scraping the controller: %s", resp.Status)
	}
	return sumSamples(resp.Body, names)
}

// sumSamples parses the Prometheus text format just enough to add up the
// samples of the named metrics.
func sumSamples(r io.Reader, names []string) (map[string]float64, error) {
	out := make(map[string]float64, len(names))
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
		out[n] = 0
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		end := strings.IndexAny(line+" ", "{ ")
		if !want[line[:end]] {
			continue
		}
		rest := line[end:]
		if i := strings.LastIndexByte(rest, '}'); i >= 0 {
			rest = rest[i+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("parsing sample %q: %w", line, err)
		}
		out[line[:end]] += v
	}
	return out, sc.Err()
}

// sumMatching adds up the samples of metric whose labels contain must and
// one of anyOf (e.g. `verb="GET"`, `verb="LIST"`).
func sumMatching(r io.Reader, metric, must string, anyOf ...string) (float64, error) {
	var sum float64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric+"{") || !strings.Contains(line, must) {
			continue
		}
		matched := false
		for _, a := range anyOf {
			matched = matched || strings.Contains(line, a)
		}
		if !matched {
			continue
		}
		fields := strings.Fields(line[strings.LastIndexByte(line, '}')+1:])
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, fmt.Errorf("parsing sample %q: %w", line, err)
		}
		sum += v
	}
	return sum, sc.Err()
}

// requests is the number of API requests the controller has sent.
func (p *controllerProc) requests(ctx context.Context) (float64, error) {
	m, err := p.scrape(ctx, metricRequests)
	if err != nil {
		return 0, err
	}
	return m[metricRequests], nil
}

const (
	metricRequests  = "rest_client_requests_total"
	metricHeapInuse = "go_memstats_heap_inuse_bytes"
)

// waitQuiet returns once the controller has sent no API request for one
// quiet period (polled with a deadline): the passes a change caused are over.
func (p *controllerProc) waitQuiet(ctx context.Context, quiet time.Duration) error {
	last, err := p.requests(ctx)
	if err != nil {
		return err
	}
	tick := time.NewTicker(quiet)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("controller still sending requests (%.0f so far): %w", last, ctx.Err())
		case <-tick.C:
		}
		now, err := p.requests(ctx)
		if err != nil {
			return err
		}
		if now == last {
			return nil
		}
		last = now
	}
}

// stop sends SIGTERM and waits for the process, killing it after 30 s.
func (p *controllerProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			logger.Warn("Controller exited with an error", "err", err, "log", p.logPath)
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		if err := <-p.done; err != nil {
			logger.Warn("Controller killed after 30 s", "err", err, "log", p.logPath)
		}
	}
}
