//go:build integration

package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/options"
)

// Timings of the scaling tests: short, so that a load cycle takes seconds.
const (
	scalingInterval = 500 * time.Millisecond
	scalingWindow   = 2 * time.Second
)

func scalingOptions(configNS string) options.Options {
	o := managerOptions(configNS)
	o.ReconcileInterval = scalingInterval
	o.ScaleDownStabilization = scalingWindow
	o.StartupGracePeriod = 10 * time.Second
	o.MetricsScrapeInterval = 0 // the source below reads the pods' state directly
	return o
}

// kubelet stands in for the controllers envtest does not run: every 20 ms it
// gives each Deployment of the namespace as many Ready pods as its
// spec.replicas (new pods Ready at once), and it records every replica count
// it saw, per Deployment.
type kubelet struct {
	namespace string
	mu        sync.Mutex
	seen      map[string][]int32 // Deployment => distinct successive spec.replicas
}

func startKubelet(t *testing.T, namespace string) *kubelet {
	t.Helper()
	k := &kubelet{namespace: namespace, seen: map[string][]int32{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if err := k.sync(ctx); err != nil && ctx.Err() == nil {
				t.Errorf("kubelet: %v", err)
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return k
}

func (k *kubelet) sync(ctx context.Context) error {
	deps := &appsv1.DeploymentList{}
	if err := k8s.List(ctx, deps, client.InNamespace(k.namespace)); err != nil {
		return err
	}
	for _, d := range deps.Items {
		want := *d.Spec.Replicas
		k.record(d.Name, want)
		pods := &corev1.PodList{}
		if err := k8s.List(ctx, pods, client.InNamespace(k.namespace), client.MatchingLabels{"app": d.Name}); err != nil {
			return err
		}
		have := map[int]*corev1.Pod{}
		for i := range pods.Items {
			var n int
			if _, err := fmt.Sscanf(strings.TrimPrefix(pods.Items[i].Name, d.Name+"-"), "%d", &n); err == nil {
				have[n] = &pods.Items[i]
			}
		}
		for i := range int(want) {
			if _, ok := have[i]; !ok {
				p := pod(k.namespace, d.Name, i)
				if err := k8s.Create(ctx, p); err != nil {
					return err
				}
				if err := markReady(ctx, p, time.Now()); err != nil {
					return err
				}
			}
		}
		for i, p := range have {
			if i >= int(want) {
				if err := k8s.Delete(ctx, p); client.IgnoreNotFound(err) != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (k *kubelet) record(name string, replicas int32) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.seen[name]
	if len(s) == 0 || s[len(s)-1] != replicas {
		k.seen[name] = append(s, replicas)
	}
}

// history returns the successive replica counts of a Deployment.
func (k *kubelet) history(name string) []int32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]int32(nil), k.seen[name]...)
}

// loadSource is a metrics source driven by an offered load: every Ready pod
// of the namespace gets load/pods of it, 0.1 of KV cache per unit. Under the
// default thresholds (0.80 / 5 / 0.10 / 3) a replica saturates at 8 units,
// the model scales up above 7 units per replica and scales down when the
// load fits in one replica fewer at 7 units each.
type loadSource struct {
	load atomic.Int64
	// missing pods report nothing (a scrape that fails).
	mu      sync.Mutex
	missing map[string]bool
}

func (s *loadSource) ModelMetrics(ctx context.Context, namespace, _ string) (map[string]capacity.ReplicaMetrics, error) {
	pods := &corev1.PodList{}
	if err := k8s.List(ctx, pods, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	var ready []string
	for _, p := range pods.Items {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && p.DeletionTimestamp.IsZero() {
				ready = append(ready, p.Name)
			}
		}
	}
	out := map[string]capacity.ReplicaMetrics{}
	if len(ready) == 0 {
		return out, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	perPod := float64(s.load.Load()) / float64(len(ready))
	for _, name := range ready {
		if s.missing[name] {
			continue
		}
		out[name] = capacity.ReplicaMetrics{Pod: name, KvCacheUsage: min(perPod*0.1, 1), HasKvCacheUsage: true, HasQueueLength: true}
	}
	return out, nil
}

func scalableVA(namespace, name, model, cost string, lo, hi int32) *v1alpha1.VariantAutoscaling {
	va := variantAutoscaling(namespace, name, model)
	va.Spec.VariantCost = cost
	va.Spec.MinReplicas = ptr.To(lo)
	va.Spec.MaxReplicas = ptr.To(hi)
	return va
}

func replicasOf(t *testing.T, namespace, name string) int32 {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, d); err != nil {
		t.Fatal(err)
	}
	return *d.Spec.Replicas
}

func replicasAre(t *testing.T, namespace, name string, want int32) func() string {
	return func() string {
		if got := replicasOf(t, namespace, name); got != want {
			st := getVA(t, namespace, name).Status
			reason := ""
			if !st.LastAnalysis.IsZero() {
				reason = st.LastAnalysis.Reason
			}
			return fmt.Sprintf("%s has %d replicas, want %d (VA desired %d: %s)", name, got, want, ptr.Deref(st.DesiredReplicas, -1), reason)
		}
		return ""
	}
}

// phases counts the runs of increases and decreases in a replica history.
func phases(history []int32) (up, down int) {
	dir := 0
	for i := 1; i < len(history); i++ {
		d := 1
		if history[i] < history[i-1] {
			d = -1
		}
		if d != dir {
			if d > 0 {
				up++
			} else {
				down++
			}
			dir = d
		}
	}
	return up, down
}

// scaleWrites records when the manager's /scale updates were sent, for
// those the API server accepted: the controller's own step times, which the
// test's polling of the Deployment would blur by its sampling and its reads'
// latency.
type scaleWrites struct {
	mu   sync.Mutex
	sent []time.Time
}

func (s *scaleWrites) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		sent := time.Now()
		resp, err := rt.RoundTrip(r)
		if err == nil && r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/scale") && resp.StatusCode < 300 {
			s.mu.Lock()
			s.sent = append(s.sent, sent)
			s.mu.Unlock()
		}
		return resp, err
	})
}

// since returns the writes sent after t.
func (s *scaleWrites) since(t time.Time) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Time
	for _, at := range s.sent {
		if at.After(t) {
			out = append(out, at)
		}
	}
	return out
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestLoadCycleScaleActuation: under load the model steps up to the replicas
// the load needs; once the load is gone it steps down to minReplicas, one
// step per stabilization window, with one up phase and one down phase.
func TestLoadCycleScaleActuation(t *testing.T) {
	cfgNS, ns := namespace(t, "cfg"), namespace(t, "cycle")
	create(t, deployment(ns, "granite", 1))
	k := startKubelet(t, ns)
	source := &loadSource{}
	source.load.Store(20) // needs 3 replicas (6.7 units each)
	writes := &scaleWrites{}
	cfg := rest.CopyConfig(restConfig)
	cfg.Wrap(writes.wrap)
	startManagerOn(t, cfg, scalingOptions(cfgNS), source, nil)
	create(t, scalableVA(ns, "granite", "ibm/granite-13b", "10", 1, 4))

	start := time.Now()
	eventually(t, 20*time.Second, "scaled up to 3", replicasAre(t, ns, "granite", 3))
	t.Logf("scaled 1 -> 3 in %s", time.Since(start).Round(time.Millisecond))
	// Steady load: no further step.
	steadyUntil := time.Now().Add(4 * scalingInterval)
	for time.Now().Before(steadyUntil) {
		if got := replicasOf(t, ns, "granite"); got != 3 {
			t.Fatalf("steady load moved the model to %d replicas (history %v)", got, k.history("granite"))
		}
		time.Sleep(50 * time.Millisecond) // sampling a state that must not change, not waiting for one
	}

	source.load.Store(0)
	idleAt := time.Now()
	eventually(t, 2*scalingWindow+4*time.Second, "stepped down to 2", replicasAre(t, ns, "granite", 2))
	eventually(t, scalingWindow+4*time.Second, "stepped down to 1", replicasAre(t, ns, "granite", 1))
	// The steps as the controller sent them: the first a full window after
	// the load went (the controller saw it at or after idleAt), the second a
	// full window after the first.
	steps := writes.since(idleAt)
	if len(steps) != 2 {
		t.Fatalf("%d /scale writes after the load stopped, want 2 (3 -> 2, 2 -> 1; history %v)", len(steps), k.history("granite"))
	}
	first, second := steps[0].Sub(idleAt), steps[1].Sub(steps[0])
	t.Logf("idle: 3 -> 2 written %s after the load stopped, 2 -> 1 %s later", first.Round(time.Millisecond), second.Round(time.Millisecond))
	if first < scalingWindow || second < scalingWindow {
		t.Errorf("steps %s and %s apart: each step needs a full window of %s", first, second, scalingWindow)
	}
	h := k.history("granite")
	if up, down := phases(h); up != 1 || down != 1 {
		t.Errorf("replica history %v: %d up and %d down phases, want 1 and 1", h, up, down)
	}
	for _, r := range h {
		if r < 1 || r > 4 {
			t.Errorf("replica history %v leaves [1, 4]", h)
		}
	}
}

// TestMetricsActuationScaleDownPersists: in metrics actuation the lowered
// desired count holds while the target stays above it, for longer than
// three windows, and the next step follows a window after the target
// reaches it.
func TestMetricsActuationScaleDownPersists(t *testing.T) {
	cfgNS, ns := namespace(t, "cfg"), namespace(t, "persist")
	create(t, deployment(ns, "granite", 3))
	startKubelet(t, ns)
	source := &loadSource{} // idle
	o := scalingOptions(cfgNS)
	o.Actuation = options.ActuationMetrics
	startManager(t, o, source)
	create(t, scalableVA(ns, "granite", "ibm/granite-13b", "10", 1, 4))

	desired := func() int32 { return ptr.Deref(getVA(t, ns, "granite").Status.DesiredReplicas, -1) }
	eventually(t, scalingWindow+5*time.Second, "desired 2", func() string {
		if d := desired(); d != 2 {
			return fmt.Sprintf("desired %d", d)
		}
		return ""
	})
	holdUntil := time.Now().Add(3*scalingWindow + time.Second)
	for time.Now().Before(holdUntil) {
		if d := desired(); d != 2 {
			t.Fatalf("desired replicas moved to %d while the target had 3: the lowered count must hold", d)
		}
		if r := replicasOf(t, ns, "granite"); r != 3 {
			t.Fatalf("metrics actuation changed the Deployment to %d replicas", r)
		}
		time.Sleep(100 * time.Millisecond) // sampling a state that must not change
	}
	// The HPA acts.
	d := &appsv1.Deployment{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "granite"}, d); err != nil {
		t.Fatal(err)
	}
	d.Spec.Replicas = ptr.To[int32](2)
	if err := k8s.Update(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	reached := time.Now()
	eventually(t, scalingWindow+5*time.Second, "desired 1", func() string {
		if d := desired(); d != 1 {
			return fmt.Sprintf("desired %d", d)
		}
		return ""
	})
	if since := time.Since(reached); since < scalingWindow {
		t.Errorf("second step %s after the target reached 2, want at least one window (%s)", since, scalingWindow)
	}
}

// TestPendingForeverPodDoesNotFreezeScaleUp: a pod that never becomes Ready
// counts as missing metrics after the startup grace; the saturated model
// still scales up, and the status names the pod.
func TestPendingForeverPodDoesNotFreezeScaleUp(t *testing.T) {
	cfgNS, ns := namespace(t, "cfg"), namespace(t, "pending")
	create(t, deployment(ns, "granite", 2))
	createReadyPod(t, ns, "granite", 0, time.Now().Add(-time.Hour))
	create(t, pod(ns, "granite", 1)) // Pending forever
	source := &loadSource{}
	source.load.Store(40)
	o := scalingOptions(cfgNS)
	o.StartupGracePeriod = 2 * time.Second
	startManager(t, o, source)
	create(t, scalableVA(ns, "granite", "ibm/granite-13b", "10", 1, 3))

	eventually(t, 15*time.Second, "scaled up past the Pending pod", replicasAre(t, ns, "granite", 3))
	eventually(t, 5*time.Second, "the status names the pod", func() string {
		a := getVA(t, ns, "granite").Status.LastAnalysis
		if a.IsZero() || !strings.Contains(a.Reason, "granite-1 (not Ready after the 2s startup grace period)") {
			return fmt.Sprintf("lastAnalysis %+v", a)
		}
		return ""
	})
}

// TestTwoVariantsCheapestUpMostExpensiveDown: scale-up goes to the cheapest
// variant, scale-down removes the most expensive one's replica first.
func TestTwoVariantsCheapestUpMostExpensiveDown(t *testing.T) {
	cfgNS, ns := namespace(t, "cfg"), namespace(t, "variants")
	create(t, deployment(ns, "granite-l4", 1))
	create(t, deployment(ns, "granite-a100", 1))
	k := startKubelet(t, ns)
	source := &loadSource{}
	source.load.Store(20) // 10 units each on 2 replicas: saturated
	startManager(t, scalingOptions(cfgNS), source)
	create(t, scalableVA(ns, "granite-l4", "ibm/granite-13b", "10", 1, 2))
	create(t, scalableVA(ns, "granite-a100", "ibm/granite-13b", "40", 0, 2))

	eventually(t, 15*time.Second, "the cheap variant scaled up", replicasAre(t, ns, "granite-l4", 2))
	if got := replicasOf(t, ns, "granite-a100"); got != 1 {
		t.Errorf("expensive variant has %d replicas, want 1: scale-up goes to the cheapest", got)
	}
	source.load.Store(0)
	eventually(t, scalingWindow+5*time.Second, "the expensive variant scaled down", replicasAre(t, ns, "granite-a100", 0))
	if got := replicasOf(t, ns, "granite-l4"); got != 2 {
		t.Errorf("cheap variant has %d replicas when the expensive one went to 0, want 2", got)
	}
	t.Logf("histories: l4 %v, a100 %v", k.history("granite-l4"), k.history("granite-a100"))
}

// TestConfigReachesStatusWhilePrometheusHangs: with a Prometheus that
// answers nothing until the query times out, a ConfigMap change still
// reaches every VariantAutoscaling's status.appliedConfig within the fan-out
// bound.
func TestConfigReachesStatusWhilePrometheusHangs(t *testing.T) {
	const count = 200
	hanging := startHangingPrometheus(t)
	cfgNS, ns := namespace(t, "cfg"), namespace(t, "hang")
	cm := capacityConfigMap(cfgNS, defaultEntry)
	create(t, cm)
	for i := range count {
		name := fmt.Sprintf("variant-%03d", i)
		create(t, deployment(ns, name, 1))
		create(t, variantAutoscaling(ns, name, fmt.Sprintf("model-%d", i)))
	}
	o := managerOptions(cfgNS)
	o.PrometheusURL = hanging.url
	o.PrometheusTimeout = 5 * time.Second
	o.ReconcileInterval = 30 * time.Second
	m := startManager(t, o, nil)
	for i := range count {
		eventually(t, 30*time.Second, "startup config in status",
			appliedIs(t, ns, fmt.Sprintf("variant-%03d", i), "default", cm.ResourceVersion))
	}

	took := updateAndWaitAll(t, cm, ns, count)
	t.Logf("ConfigMap update reached %d VariantAutoscalings in %s with Prometheus hanging (%d queries waiting)",
		count, took.Round(time.Millisecond), hanging.waiting.Load())
	if hanging.started.Load() == 0 {
		t.Error("the hanging Prometheus was never queried: the test proves nothing")
	}
	m.stop()
}

// TestFailoverKeepsTheLatestConfig runs two managers on one lease. A
// ConfigMap change made while the second is standby reaches its Store at
// once; after the leader stops, the second applies it without another
// change, and its own watch then serves later changes.
func TestFailoverKeepsTheLatestConfig(t *testing.T) {
	ctx := context.Background()
	cfgNS, ns := namespace(t, "cfg"), namespace(t, "failover")
	cm := capacityConfigMap(cfgNS, defaultEntry)
	create(t, cm)
	create(t, variantAutoscaling(ns, "granite", "ibm/granite-13b"))
	o := managerOptions(cfgNS)
	o.LeaderElect = true
	a := startManager(t, o, nil)
	select {
	case <-a.mgr.Elected():
	case <-time.After(30 * time.Second):
		t.Fatal("first manager not elected within 30s")
	}
	b := startManager(t, o, nil)
	eventually(t, 10*time.Second, "startup config in status", appliedIs(t, ns, "granite", "default", cm.ResourceVersion))

	cm.Data["default"] = "kvCacheThreshold: 0.85\n"
	if err := k8s.Update(ctx, cm); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the standby reloaded", hasLine(b.logs, "info", "Capacity scaling ConfigMap changed, reloading cache",
		map[string]any{"resourceVersion": cm.ResourceVersion}))
	select {
	case <-b.mgr.Elected():
		t.Fatal("the second manager is leader while the first runs")
	default:
	}
	changedWhileStandby := cm.ResourceVersion

	a.stop()
	select {
	case <-b.mgr.Elected():
	case <-time.After(30 * time.Second):
		t.Fatal("second manager not elected within 30s of the first stopping")
	}
	eventually(t, 10*time.Second, "the new leader shows the change made while it was standby",
		appliedIs(t, ns, "granite", "default", changedWhileStandby))
	if msg := hasLine(b.logs, "info", "Triggering reconciliation for all VariantAutoscaling resources due to ConfigMap change", nil)(); msg == "" {
		t.Error("the standby enqueued VariantAutoscalings: only the leader reconciles")
	}

	if err := k8s.Delete(ctx, cm); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the new leader's watch serves a delete", appliedIs(t, ns, "granite", "builtin", ""))
}

// hangingPrometheus answers every query only when the client gives up.
type hangingPrometheus struct {
	url              string
	started, waiting atomic.Int64
}

func startHangingPrometheus(t *testing.T) *hangingPrometheus {
	t.Helper()
	h := &hangingPrometheus{}
	srv := newHangingServer(h)
	t.Cleanup(srv.Close) // registered before the manager: it stops first
	h.url = srv.URL
	return h
}

func newHangingServer(h *hangingPrometheus) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.started.Add(1)
		h.waiting.Add(1)
		defer h.waiting.Add(-1)
		// The server notices a client that gave up only once the request
		// body is read (then it watches the connection).
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
}
