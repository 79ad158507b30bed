//go:build e2e

package e2e

import (
	"context"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/zaplog"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Feature 2: applying the ConfigMap is logged within 2 s (changed, cache
// updated, reconciliation triggered) and reaches every VariantAutoscaling's
// status within 5 s, including one whose target Deployment does not exist.
func TestConfigMapApplyReachesEveryVA(t *testing.T) {
	f := suite.newFixture("reload")
	var (
		vas       []va
		noTarget  va
		appliedAt time.Time // when the ConfigMap was created
		rv        string    // its resourceVersion
	)

	feature := features.New("apply the ConfigMap: hot reload").
		WithLabel("area", "reload").WithLabel("size", "small").
		WithSetup("register cleanup", f.setup).
		WithSetup("no ConfigMap", f.noConfigMap).
		WithSetup("create VariantAutoscalings, one with a running target", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			ns := f.namespace(ctx, t)
			target := pauseDeployment(ns, "granite-l4", 1)
			if _, err := suite.kube.AppsV1().Deployments(ns).Create(ctx, target, metav1.CreateOptions{FieldManager: fieldManager}); err != nil {
				t.Fatalf("creating target Deployment: %v", err)
			}
			noTarget = va{namespace: ns, name: "granite-a100", model: "ibm/granite-13b", target: "does-not-exist"}
			vas = []va{
				{namespace: ns, name: "granite-l4", model: "ibm/granite-13b", target: "granite-l4"},
				noTarget,
				{namespace: ns, name: "llama", model: "meta/llama-70b"},
			}
			f.createVAs(ctx, t, len(vas), vas...)
			// Reconciled once on the built-in defaults, so that what follows
			// measures the reload, not a first reconcile.
			waitFor(ctx, t, "VariantAutoscalings on the built-in defaults", reconcileDeadline, slowPoll, f.appliedConfigs(expectAll(vas, builtin)))
			return ctx
		}).
		Assess("the reload is logged within 2s", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			appliedAt = time.Now()
			cm, err := suite.putConfigMap(ctx, map[string]string{"default": entry(
				"kvCacheThreshold: 0.75",
				"queueLengthThreshold: 10",
				"kvSpareTrigger: 0.15",
				"queueSpareTrigger: 5",
			)})
			if err != nil {
				t.Fatal(err)
			}
			rv = cm.ResourceVersion
			lines := suite.waitLogs(ctx, t, appliedAt, reloadLogDeadline,
				zaplog.Query{Level: levelInfo, Msg: msgChanged},
				zaplog.Query{Level: levelInfo, Msg: msgCacheUpdated, Fields: map[string]string{"entries": "1", "has_default": "true"}},
				zaplog.Query{Level: levelInfo, Msg: msgTriggerAll},
			)
			logged := checkReloadLines(t, lines, appliedAt, len(vas))
			suite.measure("feature 2: ConfigMap create -> reload logged (runtime timestamps)", logged)
			return ctx
		}).
		Assess("every VariantAutoscaling shows the new resourceVersion and values within 5s", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			want := applied("0.75", 10, "0.15", 5, v1alpha1.ConfigSourceDefault, rv)
			took := waitSince(ctx, t, "status.appliedConfig at the new resourceVersion", appliedAt, applyDeadline, fastPoll,
				f.appliedConfigs(expectAll(vas, want)))
			suite.measure("feature 2: ConfigMap create -> %d VariantAutoscalings updated", took, len(vas))
			return ctx
		}).
		Assess("the VariantAutoscaling without a target says so", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			got, err := f.listVAs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c := condition(got[noTarget.key()], v1alpha1.ConditionTargetResolved)
			if c == nil || c.Status != metav1.ConditionFalse || c.Reason != v1alpha1.ReasonTargetNotFound {
				t.Errorf("%s: condition TargetResolved: got %s, want False with reason %s", noTarget.key(), describeCondition(c), v1alpha1.ReasonTargetNotFound)
			}
			return ctx
		}).
		WithTeardown("delete the ConfigMap and the namespace", f.teardownStep).
		Feature()

	suite.env.Test(t, feature)
}

// checkReloadLines checks the three reload lines found after a ConfigMap
// change at changedAt: in the spec's order, each written within
// reloadLogDeadline of the change (by the container runtime's clock, the
// host's own on kind), and the trigger line counting at least minCount
// VariantAutoscalings (other features' may still exist in existing mode).
// It returns when the last line was written, from changedAt.
func checkReloadLines(t *testing.T, lines []zaplog.Entry, changedAt time.Time, minCount int) time.Duration {
	t.Helper()
	changed, updated, trigger := lines[0], lines[1], lines[2]
	if updated.Time.Before(changed.Time) || trigger.Time.Before(updated.Time) {
		t.Errorf("reload lines out of order: %s, then %s, then %s", changed, updated, trigger)
	}
	for _, e := range lines {
		if d := e.Time.Sub(changedAt); d > reloadLogDeadline {
			t.Errorf("%q logged %s after the change, deadline %s", e.Msg, d.Round(time.Millisecond), reloadLogDeadline)
		}
	}
	count, ok := trigger.Field("count")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || n < minCount {
		t.Errorf("%q: count=%q, want a number >= %d", trigger.Msg, count, minCount)
	}
	logged := trigger.Time.Sub(changedAt)
	t.Logf("reload logged %s after the change (runtime timestamps)", logged.Round(time.Millisecond))
	return logged
}

// expectAll expects the same applied config on every VA of vas.
func expectAll(vas []va, want v1alpha1.AppliedCapacityConfig) map[types.NamespacedName]v1alpha1.AppliedCapacityConfig {
	out := make(map[types.NamespacedName]v1alpha1.AppliedCapacityConfig, len(vas))
	for _, v := range vas {
		out[v.key()] = want
	}
	return out
}
