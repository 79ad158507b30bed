//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wva-project/wva/e2e/apply"
	"github.com/wva-project/wva/e2e/internal/emulator"
	"github.com/wva-project/wva/e2e/internal/loadgen"
	"github.com/wva-project/wva/e2e/internal/promquery"
	"github.com/wva-project/wva/e2e/internal/timeline"
	"github.com/wva-project/wva/e2e/workload"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// The controller's settings during the load features (11-13), and what
// follows from them.
const (
	loadReconcileInterval = 5 * time.Second
	loadWindow            = 20 * time.Second
	// loadMargin is the slack of the settle-down budget beyond the request
	// time (the last requests drain): the pass that takes the step, its
	// /scale write and the watch that sees it take well under a second.
	loadMargin = time.Second
	// loadReactionSlack is the slack of the reaction budget beyond one
	// reconcile and one scrape interval: half a request for the engine to
	// fill (its running count follows the offered rate of half a request
	// earlier), the pass's queries and write.
	loadReactionSlack = 2 * time.Second
	// loadStartDeadline: the load generator's pod is scheduled and starts.
	loadStartDeadline = time.Minute
	loadPoll          = 250 * time.Millisecond
)

// loadEngine is one replica of every emulated model: 8 batch slots and a KV
// cache of exactly 8 requests of loadRequest (40 prompt + 60 output tokens,
// 1.505 s each). One running request is 12.5% of the cache, so a replica
// signals scale-up at 6 running (75%: spare 5% < kvSpareTrigger 10%), is
// saturated at 7 (87.5% >= kvCacheThreshold 80%) and completes at most 5.3
// requests per second; 3.7 req/s per replica keep it at the scale-up
// threshold (70%). Loads of 10 and 16 req/s need 3 and 5 replicas.
// thresholds are the capacity thresholds the load features predict WVA's
// decisions with.
type thresholds struct{ kv, kvSpare float64 }

// builtinThresholds are the built-in kvCacheThreshold and kvSpareTrigger
// (the queue thresholds never matter here: a replica queues only when its
// KV cache is full, which already saturates it).
var builtinThresholds = thresholds{kv: 0.80, kvSpare: 0.10}

// tolerance is the controller's tolerance of comparisons.
const tolerance = 1e-9

var (
	loadEngine  = emulator.Config{KVCacheTokens: 800, MaxNumSeqs: 8, PrefillTokensPerSecond: 8000, DecodeTokensPerSecond: 40}
	loadRequest = emulator.Request{PromptTokens: 40, OutputTokens: 60}
)

// actuation is how a load run's decisions reach the Deployments, the mode
// of its summary line.
type actuation string

const (
	// actuateScale: the controller writes /scale (--actuation=scale).
	actuateScale actuation = "scale"
	// actuateKEDA: the controller only publishes wva_desired_replicas
	// (--actuation=metrics), Prometheus scrapes it and KEDA's HPA scales.
	actuateKEDA actuation = "keda"
)

// hpaSyncPeriod is how often the HPA controller acts: kube-controller-
// manager's --horizontal-pod-autoscaler-sync-period, at its default on the
// suite's clusters.
const hpaSyncPeriod = 15 * time.Second

// loadRun is one load run: Prometheus and an emulated model in a namespace
// of the feature, the controller on that Prometheus, one
// VariantAutoscaling per variant, the timeline recorder and the load Job.
type loadRun struct {
	f *fixture
	// name is the run in the summary line; test names its artifacts.
	name, test string
	// mode is how decisions are applied; newLoadRun sets actuateScale.
	mode    actuation
	model   workload.Model
	vas     []va
	load    workload.Load
	profile loadgen.Profile
	// thresholds are what the controller applies: the built-in defaults
	// (the run deletes the ConfigMap; setUp checks the VAs show them).
	thresholds thresholds

	rec       *timeline.Recorder
	loadStart time.Time
	marks     []timeline.Mark
	written   bool
}

// newLoadRun describes a run of profile on a model with variants, each
// scaled by the VariantAutoscaling of the same index in vas (namespace,
// model and target are filled in by setUp).
func newLoadRun(f *fixture, t *testing.T, name, profile string, variants []workload.Variant, vas []va) *loadRun {
	t.Helper()
	p, err := loadgen.ParseProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	if len(variants) != len(vas) {
		t.Fatalf("load run %s: %d variants, %d VariantAutoscalings", name, len(variants), len(vas))
	}
	return &loadRun{
		f: f, name: name, test: t.Name(), profile: p, vas: vas, mode: actuateScale,
		model: workload.Model{
			Name: "llm", ModelID: "e2e/emulated-" + name, Image: suite.opts.emulatorImage,
			Engine: loadEngine, Request: loadRequest, Variants: variants,
		},
		load:       workload.Load{Name: "load", Image: suite.opts.loadgenImage, Profile: profile},
		thresholds: builtinThresholds,
	}
}

// setUp loads the images, deploys Prometheus and the model in a new
// namespace, waits until Prometheus has every replica's metrics, points
// the controller at that Prometheus (restored at teardown), creates the
// VariantAutoscalings, waits for their first analysis and starts the
// recorder. It is a feature's Setup step.
func (r *loadRun) setUp(ctx context.Context, t *testing.T) {
	t.Helper()
	suite.loadImages(ctx, t, suite.loadRunImages()...)
	r.f.withoutConfigMap(ctx, t)
	ns := r.f.namespace(ctx, t)
	r.model.Namespace = ns
	for i := range r.vas {
		v := &r.vas[i]
		v.namespace, v.model = ns, r.model.ModelID
		v.name = r.model.DeploymentName(r.model.Variants[i].Name)
		v.target = v.name
	}
	targets := scrapeWorkloads
	if r.mode == actuateKEDA {
		targets = scrapeWorkloadsAndController
		if err := r.f.allowControllerScrape(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	if err := deployPrometheus(ctx, ns, suite.opts.promImage, targets); err != nil {
		t.Fatal(err)
	}
	applier, err := apply.New(suite.rest, fieldManager)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.model.Apply(ctx, applier); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	replicas := int32(0)
	for _, name := range append([]string{promName}, r.deployments()...) {
		if _, err := apply.WaitDeploymentAvailable(ctx, suite.kube, ns, name, rolloutDeadline, slowPoll); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range r.model.Variants {
		replicas += v.Replicas
	}
	t.Logf("Prometheus and %d emulator replicas available after %s", replicas, time.Since(start).Round(time.Millisecond))
	query := fmt.Sprintf("count(vllm:kv_cache_usage_perc{namespace=%q,model_name=%q})", ns, r.model.ModelID)
	took := waitFor(ctx, t, "Prometheus has every emulator replica's KV-cache usage", scrapeDeadline, slowPoll,
		func(ctx context.Context) (bool, string, error) {
			got, err := r.prometheus().Query(ctx, query)
			if err != nil {
				return false, err.Error(), nil
			}
			n, ok, err := got.Scalar()
			return ok && err == nil && n == float64(replicas), fmt.Sprintf("%s -> %v", query, got), nil
		})
	suite.measure("load run %s: emulator available -> scraped by Prometheus", took, r.name)

	r.setController(ctx, t)
	created := time.Now()
	for _, v := range r.vas {
		if err := r.f.createVA(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	waitSince(ctx, t, "every VariantAutoscaling analysed with MetricsAvailable=True", created, reconcileDeadline, fastPoll,
		func(ctx context.Context) (bool, string, error) {
			var seen []string
			ok := true
			for _, v := range r.vas {
				obj, err := r.f.getVA(ctx, v)
				if err != nil {
					return false, err.Error(), nil
				}
				c := condition(obj, v1alpha1.ConditionMetricsAvailable)
				ok = ok && c != nil && c.Status == metav1.ConditionTrue && obj.Status.LastAnalysis != nil &&
					obj.Status.AppliedConfig != nil && *obj.Status.AppliedConfig == builtin
				seen = append(seen, v.name+": "+describeCondition(c)+" appliedConfig "+describeApplied(obj.Status.AppliedConfig))
			}
			return ok, strings.Join(seen, "; "), nil
		})

	variants := make([]timeline.Variant, len(r.vas))
	for i, v := range r.vas {
		variants[i] = timeline.Variant{Name: r.model.Variants[i].Name, Deployment: v.target, VariantAutoscaling: v.name}
	}
	rec, err := timeline.Start(ctx, suite.kube, suite.dyn, timeline.Config{
		Namespace: ns, ModelID: r.model.ModelID, Variants: variants, Prometheus: r.prometheus(),
	})
	if err != nil {
		t.Fatal(err)
	}
	r.rec = rec
	// Whatever happens, the timeline is written before the namespace goes.
	r.f.onTeardown("writing the timeline", func(context.Context) error {
		_, err := r.writeTimeline(t)
		return err
	})
}

// setController restarts the controller on the run's Prometheus with the
// load features' settings; the teardown restores its args.
func (r *loadRun) setController(ctx context.Context, t *testing.T) {
	t.Helper()
	orig, err := suite.controllerArgs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.f.onTeardown("restoring the controller's args", func(ctx context.Context) error {
		took, err := suite.setControllerArgs(ctx, orig, rolloutDeadline)
		if err == nil {
			t.Logf("controller rolled back to args %q in %s", orig, took.Round(time.Millisecond))
		}
		return err
	})
	args := withFlags(orig,
		fmt.Sprintf("--prometheus-url=http://%s.%s.svc:%d", promName, r.model.Namespace, promPort),
		"--reconcile-interval="+loadReconcileInterval.String(),
		"--scale-down-stabilization="+loadWindow.String(),
		"--metrics-scrape-interval="+promScrapeInterval.String(),
		"--actuation="+r.controllerActuation())
	took, err := suite.setControllerArgs(ctx, args, rolloutDeadline)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("controller rolled out with args %q in %s", args, took.Round(time.Millisecond))
}

// controllerActuation is the controller's --actuation in the run's mode.
func (r *loadRun) controllerActuation() string {
	if r.mode == actuateKEDA {
		return "metrics"
	}
	return "scale"
}

func (r *loadRun) prometheus() promquery.Client {
	return promquery.Client{REST: suite.kube.CoreV1().RESTClient(), Namespace: r.model.Namespace, Service: promName, Port: promPort}
}

func (r *loadRun) deployments() []string {
	var out []string
	for _, v := range r.model.Variants {
		if v.Replicas > 0 {
			out = append(out, r.model.DeploymentName(v.Name))
		}
	}
	return out
}

// start creates the load Job and waits until the load generator has
// started its profile; the run's times count from then.
func (r *loadRun) start(ctx context.Context, t *testing.T) {
	t.Helper()
	applier, err := apply.New(suite.rest, fieldManager)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.model.StartLoad(ctx, applier, r.load); err != nil {
		t.Fatal(err)
	}
	ns := r.model.Namespace
	waitFor(ctx, t, "the load generator's first log line", loadStartDeadline, slowPoll, func(ctx context.Context) (bool, string, error) {
		log, err := workload.LoadLog(ctx, suite.kube, ns, r.load.Name)
		if err != nil {
			return false, err.Error(), nil
		}
		start, ok, err := workload.StartTime(log)
		if err != nil {
			return false, "", err
		}
		r.loadStart = start
		return ok, fmt.Sprintf("%d bytes of log", len(log)), nil
	})
	t.Logf("load generator started its profile %s at %s (%s after the recorder)", r.profile,
		r.loadStart.Format(time.RFC3339Nano), r.loadStart.Sub(r.rec.Snapshot().Start).Round(time.Millisecond))
	r.mark("load starts", r.loadStart)
	if at, ok := r.saturation(1); ok {
		r.mark("saturation", at)
	}
	r.mark("load stops", r.loadStops())
}

// loadStops is when the profile's last request is due.
func (r *loadRun) loadStops() time.Time { return r.loadStart.Add(r.profile.Duration()) }

// mark adds a labelled moment to the plot.
func (r *loadRun) mark(label string, at time.Time) {
	r.marks = append(r.marks, timeline.Mark{Label: label, At: at})
}

// totalReplicas is a poll.Condition that holds when the model's variants
// have want replicas in all (spec.replicas) and fails at once when a
// variant is outside its VariantAutoscaling's bounds.
func (r *loadRun) totalReplicas(want func(total int32, byVariant map[string]int32) bool) func(context.Context) (bool, string, error) {
	return func(ctx context.Context) (bool, string, error) {
		var total int32
		by := map[string]int32{}
		var seen []string
		for i, v := range r.vas {
			d, err := suite.kube.AppsV1().Deployments(v.namespace).Get(ctx, v.target, metav1.GetOptions{})
			if err != nil {
				return false, err.Error(), nil
			}
			n := replicasOf(d.Spec.Replicas)
			if n < v.min || (v.max > 0 && n > v.max) {
				return false, "", fmt.Errorf("%s has %d replicas, outside [%d, %d]", v.target, n, v.min, v.max)
			}
			by[r.model.Variants[i].Name] = n
			total += n
			seen = append(seen, fmt.Sprintf("%s=%d (ready %d)", r.model.Variants[i].Name, n, d.Status.ReadyReplicas))
		}
		return want(total, by), strings.Join(seen, " "), nil
	}
}

// waitTotal waits until the model has want replicas in all, within
// deadline of since.
func (r *loadRun) waitTotal(ctx context.Context, t *testing.T, what string, want int32, since time.Time, deadline time.Duration) time.Duration {
	t.Helper()
	return waitSince(ctx, t, what, since, deadline, loadPoll,
		r.totalReplicas(func(total int32, _ map[string]int32) bool { return total == want }))
}

// finish waits for the load Job to complete, returns the load generator's
// summary and writes the timeline.
func (r *loadRun) finish(ctx context.Context, t *testing.T) (workload.Summary, timeline.Series) {
	t.Helper()
	ns, name := r.model.Namespace, r.load.Name
	deadline := r.profile.Duration() + 30*time.Second + time.Minute
	waitSince(ctx, t, "the load Job finished", r.loadStart, deadline, slowPoll, func(ctx context.Context) (bool, string, error) {
		job, err := suite.kube.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		return job.Status.Succeeded+job.Status.Failed > 0,
			fmt.Sprintf("active %d, succeeded %d, failed %d", job.Status.Active, job.Status.Succeeded, job.Status.Failed), nil
	})
	log, err := workload.LoadLog(ctx, suite.kube, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	summary, err := workload.ParseSummary(log)
	if err != nil {
		t.Fatalf("load generator: %v; its log:\n%s", err, log)
	}
	t.Logf("load generator: %d scheduled, %d succeeded, %d failed, %d skipped, %.2f%% errors, latency p50 %.2fs p99 %.2fs, achieved %.2f req/s",
		summary.Scheduled, summary.Succeeded, summary.Failed, summary.Skipped, summary.ErrorRatePercent,
		summary.LatencySeconds.P50, summary.LatencySeconds.P99, summary.AchievedRPS)
	if err := r.writeFile("loadgen.log", log); err != nil {
		t.Error(err)
	}
	// The timeline ends with a sample of the final state.
	last := time.Now()
	waitFor(ctx, t, "a timeline sample after the last check", 3*time.Second, fastPoll, func(context.Context) (bool, string, error) {
		samples := r.rec.Snapshot().Samples
		if len(samples) == 0 {
			return false, "no samples", nil
		}
		at := samples[len(samples)-1].At
		return at.After(last), "last sample at " + at.Format(time.RFC3339Nano), nil
	})
	series, err := r.writeTimeline(t)
	if err != nil {
		t.Error(err)
	}
	return summary, series
}

// writeTimeline stops the recorder and writes timeline.csv and
// timeline.png to the test's artifacts directory (once); it returns the
// series.
func (r *loadRun) writeTimeline(t *testing.T) (timeline.Series, error) {
	if r.rec == nil {
		return timeline.Series{}, nil
	}
	s := r.rec.Stop()
	if !r.loadStart.IsZero() {
		s.SetOffered(func(at time.Time) float64 {
			d := at.Sub(r.loadStart)
			if d < 0 || d > r.profile.Duration() {
				return 0
			}
			return r.profile.RateAt(d)
		})
	}
	if r.written {
		return s, nil
	}
	r.written = true
	if s.Failed > 0 {
		t.Logf("timeline: %d of %d samples incomplete; last error: %s", s.Failed, len(s.Samples), s.LastError)
	}
	var csv, png bytes.Buffer
	if err := s.WriteCSV(&csv); err != nil {
		return s, err
	}
	kvSignal := r.thresholds.kv - r.thresholds.kvSpare
	opts := timeline.PlotOptions{
		Title: fmt.Sprintf("load-cycle mode=%s run=%s: %s on %s", r.mode, r.name, r.profile, r.model.ModelID),
		KVLines: []timeline.Reference{
			{Label: "kvCacheThreshold (saturated)", Value: r.thresholds.kv},
			{Label: "scale-up above", Value: kvSignal},
		},
		Marks: r.marks,
	}
	if err := s.WritePNG(&png, opts); err != nil {
		return s, err
	}
	if err := r.writeFile("timeline.csv", csv.Bytes()); err != nil {
		return s, err
	}
	if err := r.writeFile("timeline.png", png.Bytes()); err != nil {
		return s, err
	}
	t.Logf("timeline (%d samples, %d replica changes): %s", len(s.Samples), len(s.Steps()), r.artifactDir())
	return s, nil
}

func (r *loadRun) artifactDir() string { return suite.artifactPath(r.test) }

func (r *loadRun) writeFile(name string, data []byte) error {
	dir := r.artifactDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("artifacts directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
