//go:build integration

package metricsource_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/metricsource"
)

// Model names of the scraped pods. escapedModel is an injection attempt: if
// the source did not quote it, the real PromQL parser would either reject the
// query or match other series.
const (
	model        = "ibm/granite-13b"
	otherModel   = "meta/llama-8b"
	escapedModel = "evil\"} or vector(1) or {x=\"\\\ttab\nnewline é"
)

// scrapedPod is one target: a path of the exporter that Prometheus scrapes
// with the namespace and pod target labels that Kubernetes service discovery
// would attach. Values holds per model the two vLLM gauges; a missing key is
// a gauge the pod does not export.
type scrapedPod struct {
	namespace, pod string
	values         map[string]map[string]float64 // model => metric => value
}

const (
	kv    = metricsource.MetricKvCacheUsage
	queue = metricsource.MetricQueueLength
)

// scrapedPods returns the fixture; llm/pod-a and other/pod-a share a pod name
// so that a missing namespace filter would show.
func scrapedPods() []scrapedPod {
	return []scrapedPod{
		{"llm", "pod-a", map[string]map[string]float64{model: {kv: 0.25, queue: 3}}},
		{"llm", "pod-b", map[string]map[string]float64{model: {kv: 0.5, queue: 0}, otherModel: {kv: 0.875, queue: 7}}},
		{"llm", "pod-c", map[string]map[string]float64{model: {kv: 0.75}}},
		{"llm", "pod-d", map[string]map[string]float64{model: {kv: math.NaN(), queue: 1}}},
		{"llm", "pod-e", map[string]map[string]float64{escapedModel: {kv: 0.125, queue: 5}}},
		{"other", "pod-a", map[string]map[string]float64{model: {kv: 0.99, queue: 42}}},
	}
}

func TestPrometheusReplicaMetrics(t *testing.T) {
	pods := scrapedPods()
	promURL := startPrometheus(t, pods)
	source, err := metricsource.NewPrometheus(promURL, 10*time.Second, nil)
	if err != nil {
		t.Fatalf("NewPrometheus(%q): %v", promURL, err)
	}

	cases := map[string]struct {
		namespace, modelID string
		pods               []string
		want               []capacity.ReplicaMetrics
	}{
		"all pods of the model, in the order asked": {
			namespace: "llm", modelID: model, pods: []string{"pod-a", "pod-b", "pod-c", "pod-d"},
			want: []capacity.ReplicaMetrics{
				{Pod: "pod-a", KvCacheUsage: 0.25, HasKvCacheUsage: true, QueueLength: 3, HasQueueLength: true},
				{Pod: "pod-b", KvCacheUsage: 0.5, HasKvCacheUsage: true, QueueLength: 0, HasQueueLength: true},
				{Pod: "pod-c", KvCacheUsage: 0.75, HasKvCacheUsage: true},
				{Pod: "pod-d", QueueLength: 1, HasQueueLength: true}, // NaN counts as missing
			},
		},
		"a subset of pods, reordered": {
			namespace: "llm", modelID: model, pods: []string{"pod-c", "pod-a"},
			want: []capacity.ReplicaMetrics{
				{Pod: "pod-c", KvCacheUsage: 0.75, HasKvCacheUsage: true},
				{Pod: "pod-a", KvCacheUsage: 0.25, HasKvCacheUsage: true, QueueLength: 3, HasQueueLength: true},
			},
		},
		"a pod Prometheus never scraped": {
			namespace: "llm", modelID: model, pods: []string{"pod-z"},
			want: []capacity.ReplicaMetrics{{Pod: "pod-z"}},
		},
		"another namespace with the same pod name does not leak in": {
			namespace: "other", modelID: model, pods: []string{"pod-a", "pod-b"},
			want: []capacity.ReplicaMetrics{
				{Pod: "pod-a", KvCacheUsage: 0.99, HasKvCacheUsage: true, QueueLength: 42, HasQueueLength: true},
				{Pod: "pod-b"},
			},
		},
		"another model on the same pod does not leak in": {
			namespace: "llm", modelID: otherModel, pods: []string{"pod-a", "pod-b"},
			want: []capacity.ReplicaMetrics{
				{Pod: "pod-a"},
				{Pod: "pod-b", KvCacheUsage: 0.875, HasKvCacheUsage: true, QueueLength: 7, HasQueueLength: true},
			},
		},
		"a model name that needs escaping matches literally": {
			namespace: "llm", modelID: escapedModel, pods: []string{"pod-a", "pod-e"},
			want: []capacity.ReplicaMetrics{
				{Pod: "pod-a"},
				{Pod: "pod-e", KvCacheUsage: 0.125, HasKvCacheUsage: true, QueueLength: 5, HasQueueLength: true},
			},
		},
		"a namespace with no series": {
			namespace: "nowhere", modelID: model, pods: []string{"pod-a"},
			want: []capacity.ReplicaMetrics{{Pod: "pod-a"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			byPod, err := source.ModelMetrics(t.Context(), tc.namespace, tc.modelID)
			if err != nil {
				t.Fatalf("ModelMetrics(%q, %q): %v", tc.namespace, tc.modelID, err)
			}
			got := make([]capacity.ReplicaMetrics, len(tc.pods))
			for i, pod := range tc.pods {
				got[i] = byPod[pod]
				got[i].Pod = pod
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ReplicaMetrics(%q, %q, %q): -want +got:\n%s", tc.namespace, tc.modelID, tc.pods, diff)
			}
		})
	}
}

// exposition renders the gauges of one pod in the Prometheus text format, as
// a vLLM server exports them (model_name is its only label).
func exposition(p scrapedPod) string {
	escape := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	var b strings.Builder
	for _, metric := range []string{kv, queue} {
		fmt.Fprintf(&b, "# TYPE %s gauge\n", metric)
		models := make([]string, 0, len(p.values))
		for m := range p.values {
			models = append(models, m)
		}
		sort.Strings(models)
		for _, m := range models {
			if v, ok := p.values[m][metric]; ok {
				fmt.Fprintf(&b, "%s{model_name=\"%s\"} %s\n", metric, escape.Replace(m), strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
	}
	return b.String()
}

// startPrometheus serves the pods' metrics on 127.0.0.1, starts the binary
// named by PROMETHEUS_BINARY scraping them every second, waits until every
// series is queryable and returns the server's base URL. The server is
// stopped when the test ends.
func startPrometheus(t *testing.T, pods []scrapedPod) string {
	t.Helper()
	return startPrometheusWith(t, pods, webConfig{})
}

// webConfig is how Prometheus serves its API: with file, its
// --web.config.file (TLS, basic-auth users; Prometheus reads it on every
// request, so rewriting it rotates a password), over HTTPS when https is
// set; client is then what reaches it while the server starts.
type webConfig struct {
	file   string
	https  bool
	client *http.Client
}

// startPrometheusWith is startPrometheus with the web config of web, if any.
func startPrometheusWith(t *testing.T, pods []scrapedPod, web webConfig) string {
	t.Helper()
	binary := os.Getenv("PROMETHEUS_BINARY")
	if binary == "" {
		t.Fatal("PROMETHEUS_BINARY is not set: run `make test-prometheus`, which builds Prometheus and sets it")
	}
	if _, err := os.Stat(binary); err != nil {
		t.Fatalf("PROMETHEUS_BINARY=%q: %v", binary, err)
	}

	mux := http.NewServeMux()
	type targetGroup struct {
		Targets []string          `json:"targets"`
		Labels  map[string]string `json:"labels"`
	}
	var groups []targetGroup
	series := 0
	exporter := httptest.NewServer(mux) // binds 127.0.0.1
	t.Cleanup(exporter.Close)
	for _, p := range pods {
		path := "/" + p.namespace + "/" + p.pod + "/metrics"
		body := exposition(p)
		mux.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
			_, _ = w.Write([]byte(body))
		})
		groups = append(groups, targetGroup{
			Targets: []string{strings.TrimPrefix(exporter.URL, "http://")},
			Labels:  map[string]string{"__metrics_path__": path, "namespace": p.namespace, "pod": p.pod},
		})
		for _, metrics := range p.values {
			series += len(metrics)
		}
	}

	// JSON is YAML; it spares us quoting label values by hand.
	config, err := json.Marshal(map[string]any{
		"global": map[string]string{"scrape_interval": "1s", "evaluation_interval": "1s"},
		"scrape_configs": []map[string]any{{
			"job_name": "vllm", "scrape_timeout": "1s", "static_configs": groups,
		}},
	})
	if err != nil {
		t.Fatalf("encoding prometheus.yml: %v", err)
	}
	dir := t.TempDir()
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, config, 0o600); err != nil {
		t.Fatalf("writing %s: %v", configFile, err)
	}

	addr := freeAddress(t)
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatalf("creating Prometheus log: %v", err)
	}
	t.Cleanup(func() { _ = logFile.Close() })
	args := []string{
		"--config.file=" + configFile,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr,
	}
	if web.file != "" {
		args = append(args, "--web.config.file="+web.file)
	}
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", binary, err)
	}
	// exited is closed once the process is gone; waitErr is then its status.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { stopProcess(t, cmd, exited) })
	processExit := func() error { return waitErr } // read only after exited is closed

	baseURL := "http://" + addr
	if web.https {
		baseURL = "https://" + addr
	}
	dumpLog := func() {
		if out, err := os.ReadFile(logFile.Name()); err == nil {
			t.Logf("Prometheus log:\n%s", out)
		}
	}
	client := &http.Client{Timeout: 5 * time.Second}
	if web.client != nil {
		client = web.client
	}
	if err := waitFor(exited, processExit, 60*time.Second, func() (bool, string) {
		resp, err := client.Get(baseURL + "/-/ready")
		if err != nil {
			return false, err.Error()
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	}); err != nil {
		dumpLog()
		t.Fatalf("waiting for Prometheus at %s to be ready: %v", baseURL, err)
	}
	// Every target scraped at least once: each vLLM series has a sample (NaN
	// included) within the lookback window.
	query := fmt.Sprintf("count({__name__=~%q})", kv+"|"+queue)
	if err := waitFor(exited, processExit, 60*time.Second, func() (bool, string) {
		n, err := instantScalar(client, baseURL, query)
		if err != nil {
			return false, err.Error()
		}
		return n == float64(series), fmt.Sprintf("%s = %g, want %d", query, n, series)
	}); err != nil {
		dumpLog()
		t.Fatalf("waiting for the scraped series: %v", err)
	}
	return baseURL
}

// instantScalar runs a query whose result is a single sample (or none, 0).
func instantScalar(client *http.Client, baseURL, query string) (float64, error) {
	resp, err := client.Get(baseURL + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, fmt.Errorf("decoding response (HTTP %d): %w", resp.StatusCode, err)
	}
	if body.Status != "success" {
		return 0, fmt.Errorf("query failed: %s", body.Error)
	}
	if len(body.Data.Result) == 0 {
		return 0, nil
	}
	s, ok := body.Data.Result[0].Value[1].(string)
	if !ok {
		return 0, fmt.Errorf("sample value %v: want a string", body.Data.Result[0].Value[1])
	}
	return strconv.ParseFloat(s, 64)
}

// waitFor polls cond every 100ms until it holds, the deadline passes or the
// process exits; the error carries what cond last reported.
func waitFor(exited <-chan struct{}, exitErr func() error, timeout time.Duration, cond func() (bool, string)) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, last := cond()
		if ok {
			return nil
		}
		select {
		case <-exited:
			err := exitErr()
			if err == nil {
				err = errors.New("exit status 0")
			}
			return fmt.Errorf("prometheus exited (%w); last seen: %s", err, last)
		case <-ctx.Done():
			return fmt.Errorf("not done after %s; last seen: %s", timeout, last)
		case <-tick.C:
		}
	}
}

// stopProcess sends SIGTERM and, if the process has not exited after 10s,
// SIGKILL.
func stopProcess(t *testing.T, cmd *exec.Cmd, exited <-chan struct{}) {
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("stopping Prometheus: %v", err)
	}
	select {
	case <-exited:
		return
	case <-time.After(10 * time.Second):
	}
	t.Logf("Prometheus did not exit 10s after SIGTERM; killing it")
	_ = cmd.Process.Kill()
	<-exited
}

// freeAddress returns a 127.0.0.1 address with a port that was free a moment
// ago; Prometheus binds it itself.
func freeAddress(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("closing %s: %v", addr, err)
	}
	return addr
}
