//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/zaplog"
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
	f := suite.newFixture("schedule")
	var (
		stub       va   // the model with metrics
		vas        []va // stub and others without metrics
		start, end time.Time
		stubReady  time.Time // the stub pod is Ready by then
		rv         string
	)

	feature := features.New("scheduled thresholds switch at the window's start").
		WithLabel("area", "schedule").WithLabel("size", "large").
		WithSetup("register cleanup", f.setup).
		WithSetup("load the stub and Prometheus images", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			suite.loadScaleUpImages(ctx, t)
			return ctx
		}).
		WithSetup("Prometheus scraping a vLLM stub at KV-cache usage 0.50", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			f.withoutConfigMap(ctx, t)
			ns := f.namespace(ctx, t)
			deployScrapedStub(ctx, t, ns, scheduleModel, scheduleKv)
			stubReady = time.Now()
			stub = va{namespace: ns, name: "scheduled", model: scheduleModel, target: stubName, min: 1, max: 2}
			vas = []va{stub,
				{namespace: ns, name: "other-a", model: "e2e/other-a"},
				{namespace: ns, name: "other-b", model: "e2e/other-b"},
				{namespace: ns, name: "other-c", model: "e2e/other-c"},
			}
			f.controllerOnPrometheus(ctx, t, ns, scheduleReconcileInterval)
			f.createVAs(ctx, t, len(vas), vas...)
			return ctx
		}).
		WithSetup("a default entry with a peak window starting 20-80 s from now", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			// After the stub's settle period, with a margin.
			settled := time.Until(stubReady.Add(scheduleReconcileInterval + promScrapeInterval + 5*time.Second))
			start = windowStart(time.Now().UTC(), max(windowLead, settled))
			end = start.Add(windowLength)
			cm, err := suite.putConfigMap(ctx, map[string]string{"default": entry(
				"kvCacheThreshold: 0.80",
				"queueLengthThreshold: 5",
				"kvSpareTrigger: 0.10",
				"queueSpareTrigger: 3",
				"schedules:",
				"  - name: peak",
				"    days: ["+start.Weekday().String()[:3]+"]",
				`    start: "`+start.Format("15:04")+`"`,
				`    end: "`+end.Format("15:04")+`"`,
				"    timeZone: UTC",
				"    kvSpareTrigger: 0.40",
			)})
			if err != nil {
				t.Fatal(err)
			}
			rv = cm.ResourceVersion
			t.Logf("window peak: %s to %s UTC, starting in %s", start.Format(time.RFC3339), end.Format(time.RFC3339), time.Until(start).Round(time.Millisecond))
			return ctx
		}).
		Assess("before the window, the entry's own thresholds apply and the model needs nothing", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			before := applied("0.80", 5, "0.10", 3, v1alpha1.ConfigSourceDefault, rv)
			waitFor(ctx, t, "VariantAutoscalings on the default entry, outside its window", time.Until(start), slowPoll,
				f.appliedConfigs(expectAll(vas, before)))
			waitFor(ctx, t, "the model's analysis: NoChange", time.Until(start), slowPoll, f.decision(stub, v1alpha1.DecisionNoChange, ""))
			// Nothing switches early: the window is not active yet.
			if hold := time.Until(start) - time.Second; hold > 0 {
				holdFor(ctx, t, "no VariantAutoscaling in the window before its start", hold, slowPoll,
					f.appliedConfigs(expectAll(vas, before)))
			}
			return ctx
		}).
		Assess("at the window's start every VariantAutoscaling applies its thresholds within 3 s", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			in := inheriting(applied("0.80", 5, "0.40", 3, "default#peak", rv),
				"kvCacheThreshold=default,queueLengthThreshold=default,queueSpareTrigger=default")
			in.Window, in.WindowEnds = "peak", &metav1.Time{Time: end}
			took := waitSince(ctx, t, "every VariantAutoscaling in window peak", start, boundaryDeadline, fastPoll,
				f.appliedConfigs(expectAll(vas, in)))
			suite.measure("feature 19: window start -> %d VariantAutoscalings on its thresholds", took, len(vas))
			lines := suite.waitLogs(ctx, t, start.Add(-time.Second), boundaryDeadline, zaplog.Query{
				Level: levelInfo, Msg: msgBoundary,
				Fields: map[string]string{"windows": `["default#peak"]`, "entries": `["default"]`},
			})
			count, _ := lines[0].Field("count")
			if n, err := strconv.Atoi(count); err != nil || n < len(vas) {
				t.Errorf("%q: count=%q, want at least %d", msgBoundary, count, len(vas))
			}
			return ctx
		}).
		Assess("the model becomes short of spare capacity: ScaleUp to 2 replicas", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			waitSince(ctx, t, "the model's analysis under the window: ScaleUp", start, boundaryDecisionDeadline, fastPoll,
				f.decision(stub, v1alpha1.DecisionScaleUp, "average spare KV capacity 0.30 is below kvSpareTrigger 0.40"))
			took := waitSince(ctx, t, "stub Deployment spec.replicas >= 2", start, boundaryDecisionDeadline, fastPoll, stubReplicas(stub, 2))
			suite.measure("feature 19: window start -> target scaled 1 -> 2", took)
			return ctx
		}).
		WithTeardown("restore the controller's args, delete the ConfigMap and the namespace", f.teardownStep).
		Feature()

	suite.env.Test(t, feature)
}

// decision is a poll.Condition that holds once v's last analysis decided
// want with a reason containing reason.
func (f *fixture) decision(v va, want, reason string) func(context.Context) (bool, string, error) {
	return func(ctx context.Context) (bool, string, error) {
		obj, err := f.getVA(ctx, v)
		if err != nil {
			return false, err.Error(), nil
		}
		a := obj.Status.LastAnalysis
		if a == nil {
			return false, describeAnalysis(a), nil
		}
		return a.Decision == want && strings.Contains(a.Reason, reason),
			fmt.Sprintf("%s (%s)", describeAnalysis(a), a.Reason), nil
	}
}
