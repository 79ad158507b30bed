package load

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

	"github.com/wva-project/wva/e2e/internal/apply"
	"github.com/wva-project/wva/e2e/internal/cluster"
	"github.com/wva-project/wva/e2e/internal/emulator"
	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/loadgen"
	"github.com/wva-project/wva/e2e/internal/promquery"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/timeline"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/e2e/internal/workload"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// The controller's settings during the load features (11-13), and what
// follows from them.
const (
	LoadReconcileInterval = 5 * time.Second
	LoadWindow            = 20 * time.Second
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
	// ActuateKEDA: the controller only publishes wva_desired_replicas
	// (--actuation=metrics), Prometheus scrapes it and KEDA's HPA scales.
	ActuateKEDA actuation = "keda"
)

// hpaSyncPeriod is how often the HPA controller acts: kube-controller-
// manager's --horizontal-pod-autoscaler-sync-period, at its default on the
// suite's clusters.
const hpaSyncPeriod = 15 * time.Second

// Run is one load run: Prometheus and an emulated model in a namespace
// of the feature, the controller on that Prometheus, one
// VariantAutoscaling per variant, the timeline recorder and the load Job.
type Run struct {
	f *fixture.Fixture
	// name is the run in the summary line; test names its artifacts.
	name, test string
	// Mode is how decisions are applied; NewRun sets actuateScale.
	Mode    actuation
	Model   workload.Model
	Vas     []fixture.VA
	load    workload.Load
	Profile loadgen.Profile
	// thresholds are what the controller applies: the built-in defaults
	// (the run deletes the ConfigMap; SetUp checks the VAs show them).
	thresholds thresholds

	Rec       *timeline.Recorder
	LoadStart time.Time
	marks     []timeline.Mark
	written   bool
}

// NewRun describes a run of profile on a model with variants, each
// scaled by the VariantAutoscaling of the same index in vas (namespace,
// model and target are filled in by SetUp).
func NewRun(f *fixture.Fixture, t *testing.T, name, profile string, variants []workload.Variant, vas []fixture.VA) *Run {
	t.Helper()
	p, err := loadgen.ParseProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	if len(variants) != len(vas) {
		t.Fatalf("load run %s: %d variants, %d VariantAutoscalings", name, len(variants), len(vas))
	}
	return &Run{
		f: f, name: name, test: t.Name(), Profile: p, Vas: vas, Mode: actuateScale,
		Model: workload.Model{
			Name: "llm", ModelID: "e2e/emulated-" + name, Image: f.Suite.Opts.EmulatorImage,
			Engine: loadEngine, Request: loadRequest, Variants: variants,
		},
		load:       workload.Load{Name: "load", Image: f.Suite.Opts.LoadgenImage, Profile: profile},
		thresholds: builtinThresholds,
	}
}

// SetUp loads the images, deploys Prometheus and the model in a new
// namespace, waits until Prometheus has every replica's metrics, points
// the controller at that Prometheus (restored at teardown), creates the
// VariantAutoscalings, waits for their first analysis and starts the
// recorder. It is a feature's Setup step.
func (r *Run) SetUp(ctx context.Context, t *testing.T) {
	t.Helper()
	r.f.Suite.LoadImages(ctx, t, r.f.Suite.LoadRunImages()...)
	r.f.WithoutConfigMap(ctx, t)
	ns := r.f.Namespace(ctx, t)
	r.Model.Namespace = ns
	for i := range r.Vas {
		v := &r.Vas[i]
		v.Namespace, v.Model = ns, r.Model.ModelID
		v.Name = r.Model.DeploymentName(r.Model.Variants[i].Name)
		v.Target = v.Name
	}
	targets := fixture.ScrapeWorkloads
	if r.Mode == ActuateKEDA {
		targets = fixture.ScrapeWorkloadsAndController
		if err := r.f.AllowControllerScrape(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	if err := fixture.DeployPrometheus(ctx, r.f.Suite, ns, r.f.Suite.Opts.PromImage, targets); err != nil {
		t.Fatal(err)
	}
	applier, err := apply.New(r.f.Suite.REST, cluster.FieldManager)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Model.Apply(ctx, applier); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	replicas := int32(0)
	for _, name := range append([]string{fixture.PromName}, r.deployments()...) {
		if _, err := apply.WaitDeploymentAvailable(ctx, r.f.Suite.Kube, ns, name, spec.RolloutDeadline, waits.Slow); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range r.Model.Variants {
		replicas += v.Replicas
	}
	t.Logf("Prometheus and %d emulator replicas available after %s", replicas, time.Since(start).Round(time.Millisecond))
	query := fmt.Sprintf("count(vllm:kv_cache_usage_perc{namespace=%q,model_name=%q})", ns, r.Model.ModelID)
	took := waits.For(ctx, t, "Prometheus has every emulator replica's KV-cache usage", spec.ScrapeDeadline, waits.Slow,
		func(ctx context.Context) (bool, string, error) {
			got, err := r.prometheus().Query(ctx, query)
			if err != nil {
				return false, err.Error(), nil
			}
			n, ok, err := got.Scalar()
			return ok && err == nil && n == float64(replicas), fmt.Sprintf("%s -> %v", query, got), nil
		})
	r.f.Suite.Measure("load run %s: emulator available -> scraped by Prometheus", took, r.name)

	r.setController(ctx, t)
	created := time.Now()
	for _, v := range r.Vas {
		if err := r.f.CreateVA(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	waits.Since(ctx, t, "every VariantAutoscaling analysed with MetricsAvailable=True", created, spec.ReconcileDeadline, waits.Fast,
		func(ctx context.Context) (bool, string, error) {
			var seen []string
			ok := true
			for _, v := range r.Vas {
				obj, err := r.f.GetVA(ctx, v)
				if err != nil {
					return false, err.Error(), nil
				}
				c := fixture.Condition(obj, v1alpha1.ConditionMetricsAvailable)
				ok = ok && c != nil && c.Status == metav1.ConditionTrue && !obj.Status.LastAnalysis.IsZero() &&
					obj.Status.AppliedConfig == fixture.Builtin
				seen = append(seen, v.Name+": "+fixture.DescribeCondition(c)+" appliedConfig "+fixture.DescribeApplied(obj.Status.AppliedConfig))
			}
			return ok, strings.Join(seen, "; "), nil
		})

	variants := make([]timeline.Variant, len(r.Vas))
	for i, v := range r.Vas {
		variants[i] = timeline.Variant{Name: r.Model.Variants[i].Name, Deployment: v.Target, VariantAutoscaling: v.Name}
	}
	rec, err := timeline.Start(ctx, r.f.Suite.Kube, r.f.Suite.Dyn, timeline.Config{
		Namespace: ns, ModelID: r.Model.ModelID, Variants: variants, Prometheus: r.prometheus(),
	})
	if err != nil {
		t.Fatal(err)
	}
	r.Rec = rec
	// Whatever happens, the timeline is written before the namespace goes.
	r.f.OnTeardown("writing the timeline", func(context.Context) error {
		_, err := r.writeTimeline(t)
		return err
	})
}

// setController restarts the controller on the run's Prometheus with the
// load features' settings; the teardown restores its args.
func (r *Run) setController(ctx context.Context, t *testing.T) {
	t.Helper()
	orig, err := r.f.Suite.ControllerArgs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.f.OnTeardown("restoring the controller's args", func(ctx context.Context) error {
		took, err := r.f.Suite.SetControllerArgs(ctx, orig, spec.RolloutDeadline)
		if err == nil {
			t.Logf("controller rolled back to args %q in %s", orig, took.Round(time.Millisecond))
		}
		return err
	})
	args := cluster.WithFlags(orig,
		fmt.Sprintf("--prometheus-url=http://%s.%s.svc:%d", fixture.PromName, r.Model.Namespace, fixture.PromPort),
		"--reconcile-interval="+LoadReconcileInterval.String(),
		"--scale-down-stabilization="+LoadWindow.String(),
		"--metrics-scrape-interval="+fixture.PromScrapeInterval.String(),
		"--actuation="+r.controllerActuation())
	took, err := r.f.Suite.SetControllerArgs(ctx, args, spec.RolloutDeadline)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("controller rolled out with args %q in %s", args, took.Round(time.Millisecond))
}

// controllerActuation is the controller's --actuation in the run's mode.
func (r *Run) controllerActuation() string {
	if r.Mode == ActuateKEDA {
		return "metrics"
	}
	return "scale"
}

func (r *Run) prometheus() promquery.Client {
	return promquery.Client{REST: r.f.Suite.Kube.CoreV1().RESTClient(), Namespace: r.Model.Namespace, Service: fixture.PromName, Port: fixture.PromPort}
}

func (r *Run) deployments() []string {
	var out []string
	for _, v := range r.Model.Variants {
		if v.Replicas > 0 {
			out = append(out, r.Model.DeploymentName(v.Name))
		}
	}
	return out
}

// Start creates the load Job and waits until the load generator has
// started its profile; the run's times count from then.
func (r *Run) Start(ctx context.Context, t *testing.T) {
	t.Helper()
	applier, err := apply.New(r.f.Suite.REST, cluster.FieldManager)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Model.StartLoad(ctx, applier, r.load); err != nil {
		t.Fatal(err)
	}
	ns := r.Model.Namespace
	waits.For(ctx, t, "the load generator's first log line", loadStartDeadline, waits.Slow, func(ctx context.Context) (bool, string, error) {
		log, err := workload.LoadLog(ctx, r.f.Suite.Kube, ns, r.load.Name)
		if err != nil {
			return false, err.Error(), nil
		}
		start, ok, err := workload.StartTime(log)
		if err != nil {
			return false, "", err
		}
		r.LoadStart = start
		return ok, fmt.Sprintf("%d bytes of log", len(log)), nil
	})
	t.Logf("load generator started its profile %s at %s (%s after the recorder)", r.Profile,
		r.LoadStart.Format(time.RFC3339Nano), r.LoadStart.Sub(r.Rec.Snapshot().Start).Round(time.Millisecond))
	r.Mark("load starts", r.LoadStart)
	if at, ok := r.saturation(1); ok {
		r.Mark("saturation", at)
	}
	r.Mark("load stops", r.LoadStops())
}

// LoadStops is when the profile's last request is due.
func (r *Run) LoadStops() time.Time { return r.LoadStart.Add(r.Profile.Duration()) }

// Mark adds a labelled moment to the plot.
func (r *Run) Mark(label string, at time.Time) {
	r.marks = append(r.marks, timeline.Mark{Label: label, At: at})
}

// TotalReplicas is a poll.Condition that holds when the model's variants
// have want replicas in all (spec.replicas) and fails at once when a
// variant is outside its VariantAutoscaling's bounds.
func (r *Run) TotalReplicas(want func(total int32, byVariant map[string]int32) bool) func(context.Context) (bool, string, error) {
	return func(ctx context.Context) (bool, string, error) {
		var total int32
		by := map[string]int32{}
		var seen []string
		for i, v := range r.Vas {
			d, err := r.f.Suite.Kube.AppsV1().Deployments(v.Namespace).Get(ctx, v.Target, metav1.GetOptions{})
			if err != nil {
				return false, err.Error(), nil
			}
			n := fixture.ReplicasOf(d.Spec.Replicas)
			if n < v.Min || (v.Max > 0 && n > v.Max) {
				return false, "", fmt.Errorf("%s has %d replicas, outside [%d, %d]", v.Target, n, v.Min, v.Max)
			}
			by[r.Model.Variants[i].Name] = n
			total += n
			seen = append(seen, fmt.Sprintf("%s=%d (ready %d)", r.Model.Variants[i].Name, n, d.Status.ReadyReplicas))
		}
		return want(total, by), strings.Join(seen, " "), nil
	}
}

// WaitTotal waits until the model has want replicas in all, within
// deadline of since.
func (r *Run) WaitTotal(ctx context.Context, t *testing.T, what string, want int32, since time.Time, deadline time.Duration) time.Duration {
	t.Helper()
	return r.WaitVariants(ctx, t, what, since, deadline, TotalIs(want))
}

// Finish waits for the load Job to complete, returns the load generator's
// summary and writes the timeline.
func (r *Run) Finish(ctx context.Context, t *testing.T) (workload.Summary, timeline.Series) {
	t.Helper()
	ns, name := r.Model.Namespace, r.load.Name
	deadline := r.Profile.Duration() + 30*time.Second + time.Minute
	waits.Since(ctx, t, "the load Job finished", r.LoadStart, deadline, waits.Slow, func(ctx context.Context) (bool, string, error) {
		job, err := r.f.Suite.Kube.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		return job.Status.Succeeded+job.Status.Failed > 0,
			fmt.Sprintf("active %d, succeeded %d, failed %d", job.Status.Active, job.Status.Succeeded, job.Status.Failed), nil
	})
	log, err := workload.LoadLog(ctx, r.f.Suite.Kube, ns, name)
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
	waits.For(ctx, t, "a timeline sample after the last check", 3*time.Second, waits.Fast, func(context.Context) (bool, string, error) {
		samples := r.Rec.Snapshot().Samples
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
func (r *Run) writeTimeline(t *testing.T) (timeline.Series, error) {
	if r.Rec == nil {
		return timeline.Series{}, nil
	}
	s := r.Rec.Stop()
	if !r.LoadStart.IsZero() {
		s.SetOffered(func(at time.Time) float64 {
			d := at.Sub(r.LoadStart)
			if d < 0 || d > r.Profile.Duration() {
				return 0
			}
			return r.Profile.RateAt(d)
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
		Title: fmt.Sprintf("load-cycle mode=%s run=%s: %s on %s", r.Mode, r.name, r.Profile, r.Model.ModelID),
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

func (r *Run) artifactDir() string { return r.f.Suite.ArtifactPath(r.test) }

func (r *Run) writeFile(name string, data []byte) error {
	dir := r.artifactDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("artifacts directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
