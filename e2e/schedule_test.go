//go:build e2e

package e2e

import (
	"context"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/e2e/internal/zaplog"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Deadlines and settings of the scheduled-thresholds feature.
const (
	// windowLead is the least time from the ConfigMap write to the window's
	// start (longer if the stub's settle period needs it); the start is the
	// next whole minute after it (windows are HH:MM), so 20 to 80 s.
	windowLead = 20 * time.Second
	// windowLength keeps the window active through the feature.
	windowLength = 10 * time.Minute
	// boundaryDeadline: from the window's start, every VariantAutoscaling
	// shows the window's thresholds (the bound).
	boundaryDeadline = 3 * time.Second
	// boundaryDecisionDeadline: from the window's start, the model's
	// analysis under the window's thresholds decides ScaleUp and its target
	// gets a second replica.
	boundaryDecisionDeadline = 15 * time.Second
	// scheduleReconcileInterval is the controller's, as in production. A
	// new replica's metrics count once it has been Ready for one scrape
	// plus one reconcile interval (the settle period), so the window starts
	// after the stub's has passed: the model decides under the entry's own
	// thresholds first. The boundary's INFO line shows that its timer, not
	// a periodic pass, switched the VariantAutoscalings.
	scheduleReconcileInterval = 30 * time.Second
	scheduleModel             = "e2e/scheduled-model"
	// scheduleKv leaves a spare KV capacity of 0.30 under kvCacheThreshold
	// 0.80: enough for kvSpareTrigger 0.10, short of the window's 0.40.
	scheduleKv = 0.50
	// msgBoundary is the controller's line at a schedule boundary.
	msgBoundary = "Capacity scaling schedule boundary, reconciling the VariantAutoscalings it switches"
)

// windowStart is the first whole minute at least lead after now.
func windowStart(now time.Time, lead time.Duration) time.Time {
	at := now.Add(lead)
	start := at.Truncate(time.Minute)
	if start.Before(at) {
		start = start.Add(time.Minute)
	}
	return start
}

// Feature 19: a scheduled window of the default entry starts 20-80 s after
// the ConfigMap is written. At its start every VariantAutoscaling switches
// to the window's thresholds within 3 s (the controller's boundary timer,
// which logs the boundary's INFO line), and a model with real metrics whose
// spare KV capacity meets the entry's kvSpareTrigger but not the window's
// becomes short of spare capacity: ScaleUp, and its target gets a replica.
func TestScheduledThresholds(t *testing.T) {
	f := fixture.New(suite, "schedule")
	var (
		// The model with metrics; its namespace and target are set when the
		// stub is deployed.
		stub      = fixture.VA{Name: "scheduled", Model: scheduleModel, Min: 1, Max: 2}
		vas       []fixture.VA   // stub and others without metrics
		stubReady time.Time      // the stub pod is Ready by then
		created   fixture.Change // the VariantAutoscalings' creates
		written   fixture.Change // the ConfigMap with the window
		start     fixture.Change // At: the window's start, which the VAs apply
		logFrom   fixture.Change // At: a second before the window's start
		end       time.Time      // the window's end
	)

	feature := features.New("scheduled thresholds switch at the window's start").
		WithLabel("area", "schedule").WithLabel("size", "large").
		WithSetup("register cleanup", f.Setup).
		WithSetup("load the stub and Prometheus images", f.ScaleUpImagesLoaded).
		WithSetup("Prometheus scraping a vLLM stub at KV-cache usage 0.50", fixture.Steps(
			f.NoConfigMap,
			f.ScrapedStubDeployed(&stub, scheduleKv, &stubReady, nil),
			f.ControllerOnPrometheusOf(&stub.Namespace, scheduleReconcileInterval),
			f.VAsCreated(&created, &vas, 0, 0, func([]string) []fixture.VA {
				ns := stub.Namespace
				return []fixture.VA{stub,
					{Namespace: ns, Name: "other-a", Model: "e2e/other-a"},
					{Namespace: ns, Name: "other-b", Model: "e2e/other-b"},
					{Namespace: ns, Name: "other-c", Model: "e2e/other-c"},
				}
			}),
		)).
		WithSetup("a default entry with a peak window starting 20-80 s from now", peakWindowWritten(f, &stubReady, &written, &start, &logFrom, &end)).
		Assess("before the window, the entry's own thresholds apply and the model needs nothing", entryThresholdsUntilStart(f, &vas, &stub, &written, &start)).
		Assess("at the window's start every VariantAutoscaling applies its thresholds within 3 s", fixture.Steps(
			f.VAsApplyConfigWithin(boundaryDeadline, waits.Fast, &start, "every VariantAutoscaling in window peak",
				fixture.All(&vas, func() v1alpha1.AppliedCapacityConfig { return inPeakWindow(written.ResourceVersion, end) }),
				func(took time.Duration) {
					suite.Measure("feature 19: window start -> %d VariantAutoscalings on its thresholds", took, len(vas))
				}),
			f.ControllerLogsWithin(boundaryDeadline, &logFrom, boundaryCountsAll(&vas), zaplog.Query{
				Level: spec.LevelInfo, Msg: msgBoundary,
				Fields: map[string]string{"windows": `["default#peak"]`, "entries": `["default"]`},
			}),
		)).
		Assess("the model becomes short of spare capacity: ScaleUp to 2 replicas", fixture.Steps(
			f.VADecidesWithin(boundaryDecisionDeadline, &start, "the model's analysis under the window: ScaleUp", &stub,
				v1alpha1.DecisionScaleUp, "average spare KV capacity 0.30 is below kvSpareTrigger 0.40"),
			f.StubReplicasWithin(boundaryDecisionDeadline, waits.Fast, &start, "stub Deployment spec.replicas >= 2", &stub, 2, func(took time.Duration) {
				suite.Measure("feature 19: window start -> target scaled 1 -> 2", took)
			}),
		)).
		WithTeardown("restore the controller's args, delete the ConfigMap and the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}

// peakWindowWritten is a setup step that plans window peak, starting at
// the first whole minute at least windowLead from now and after the
// stub's settle period from *stubReady (with a margin), windowLength
// long: its start in start (and a second before it in logFrom, whence
// the boundary's log line is read), its end in *end. Then it writes the
// default entry with the window, recorded in written, and logs the plan.
func peakWindowWritten(f *fixture.Fixture, stubReady *time.Time, written, start, logFrom *fixture.Change, end *time.Time) features.Func {
	planned := func(ctx context.Context, _ *testing.T, _ *envconf.Config) context.Context {
		// After the stub's settle period, with a margin.
		settled := time.Until(stubReady.Add(scheduleReconcileInterval + fixture.PromScrapeInterval + 5*time.Second))
		start.At = windowStart(time.Now().UTC(), max(windowLead, settled))
		logFrom.At = start.At.Add(-time.Second)
		*end = start.At.Add(windowLength)
		return ctx
	}
	logged := func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		t.Logf("window peak: %s to %s UTC, starting in %s", start.At.Format(time.RFC3339), end.Format(time.RFC3339), time.Until(start.At).Round(time.Millisecond))
		return ctx
	}
	return fixture.Steps(planned, f.ConfigMapPutOf(written, func() map[string]string {
		return map[string]string{"default": fixture.Entry(
			"kvCacheThreshold: 0.80",
			"queueLengthThreshold: 5",
			"kvSpareTrigger: 0.10",
			"queueSpareTrigger: 3",
			"schedules:",
			"  - name: peak",
			"    days: ["+start.At.Weekday().String()[:3]+"]",
			`    start: "`+start.At.Format("15:04")+`"`,
			`    end: "`+end.Format("15:04")+`"`,
			"    timeZone: UTC",
			"    kvSpareTrigger: 0.40",
		)}
	}), logged)
}

// entryThresholdsUntilStart is a step that waits, until the window's start,
// for every VariantAutoscaling of *vas to show the default entry's own
// thresholds at the resourceVersion of written and for *stub's analysis to
// decide NoChange, then fails if any of them switches before the last
// second before the start.
func entryThresholdsUntilStart(f *fixture.Fixture, vas *[]fixture.VA, stub *fixture.VA, written, start *fixture.Change) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		before := fixture.Applied("0.80", 5, "0.10", 3, v1alpha1.ConfigSourceDefault, written.ResourceVersion)
		waits.For(ctx, t, "VariantAutoscalings on the default entry, outside its window", time.Until(start.At), waits.Slow,
			f.AppliedConfigs(fixture.ExpectAll(*vas, before)))
		waits.For(ctx, t, "the model's analysis: NoChange", time.Until(start.At), waits.Slow, f.Decision(*stub, v1alpha1.DecisionNoChange, ""))
		// Nothing switches early: the window is not active yet.
		if hold := time.Until(start.At) - time.Second; hold > 0 {
			waits.Hold(ctx, t, "no VariantAutoscaling in the window before its start", hold, waits.Slow,
				f.AppliedConfigs(fixture.ExpectAll(*vas, before)))
		}
		return ctx
	}
}

// inPeakWindow is the status.appliedConfig of a VariantAutoscaling in
// window peak (until end) of the default entry at resourceVersion rv.
func inPeakWindow(rv string, end time.Time) v1alpha1.AppliedCapacityConfig {
	in := fixture.Inheriting(fixture.Applied("0.80", 5, "0.40", 3, "default#peak", rv),
		"kvCacheThreshold=default,queueLengthThreshold=default,queueSpareTrigger=default")
	in.Window, in.WindowEnds = "peak", &metav1.Time{Time: end}
	return in
}

// boundaryCountsAll checks that the boundary's line counts at least every
// VariantAutoscaling of *vas.
func boundaryCountsAll(vas *[]fixture.VA) func(t *testing.T, lines []zaplog.Entry) {
	return func(t *testing.T, lines []zaplog.Entry) {
		count, _ := lines[0].Field("count")
		if n, err := strconv.Atoi(count); err != nil || n < len(*vas) {
			t.Errorf("%q: count=%q, want at least %d", msgBoundary, count, len(*vas))
		}
	}
}
