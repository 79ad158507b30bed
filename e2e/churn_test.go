//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/cluster"
	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/manifests"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/e2e/internal/zaplog"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// The burst of feature 18: churnUpdates ConfigMap updates, churnParallel
// in flight, all within churnWindow.
const (
	churnUpdates  = 50
	churnParallel = 10
	churnWindow   = 5 * time.Second
)

// Feature 18: ConfigMap churn. The ConfigMap is deleted and re-created at
// once, then updated 50 times within 5 s (10 writers at a time). After
// each, every VariantAutoscaling shows the final content within the usual
// 5 s and keeps it; the controller neither restarts nor logs anything
// fatal. The feature measures how the reloads coalesce: the controller's
// reload lines and each VariantAutoscaling's status writes (a watch)
// against the 50 updates.
func TestConfigMapChurn(t *testing.T) {
	f := fixture.New(suite, "churn")
	var (
		vas       []fixture.VA
		ns        string
		before    cluster.ControllerIdentity
		deleted   fixture.Change // the first fault, for the log check
		recreated fixture.Change
		run       churnRun
	)
	recreatedWant := func() v1alpha1.AppliedCapacityConfig {
		return fixture.Applied("0.71", 13, "0.21", 3, v1alpha1.ConfigSourceDefault, recreated.ResourceVersion)
	}
	lastWant := func() v1alpha1.AppliedCapacityConfig {
		return fixture.Applied("0.70", churnQueue(run.last), "0.20", 4, v1alpha1.ConfigSourceDefault, run.landed.ResourceVersion)
	}

	feature := features.New("ConfigMap churn: delete + re-create, 50 updates in 5s").
		WithLabel("area", "faults").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("no ConfigMap", f.NoConfigMap).
		WithSetup("VariantAutoscalings on a ConfigMap", f.VAsOnDefaultConfigMap(&vas, nil, func(namespace string) []fixture.VA {
			ns = namespace
			return []fixture.VA{
				{Namespace: ns, Name: "granite-l4", Model: "ibm/granite-13b"},
				{Namespace: ns, Name: "granite-a100", Model: "ibm/granite-13b"},
				{Namespace: ns, Name: "llama", Model: "meta/llama-70b"},
				{Namespace: ns, Name: "mistral", Model: "mistral/mistral-7b"},
			}
		})).
		WithSetup("the controller's pod", f.ControllerIdentified(&before)).
		Assess("delete and at once re-create the ConfigMap: every VariantAutoscaling on the new one within 5s", fixture.Steps(
			f.ConfigMapDeleted(&deleted),
			f.ConfigMapPut(&recreated, map[string]string{"default": fixture.Entry(
				"kvCacheThreshold: 0.71",
				"queueLengthThreshold: 13",
				"kvSpareTrigger: 0.21",
				"queueSpareTrigger: 3",
			)}),
			fixture.Logf("ConfigMap deleted and re-created (resourceVersion %s) in %s", func() []any {
				return []any{recreated.ResourceVersion, time.Since(deleted.At).Round(time.Millisecond)}
			}),
			f.VAsConsistentWithin(spec.ApplyDeadline, waits.Fast, &deleted, "every VariantAutoscaling on the re-created ConfigMap, status consistent", &vas, recreatedWant,
				func(took time.Duration) {
					suite.Measure("feature 18: ConfigMap delete + re-create -> %d VariantAutoscalings on the new one", took, len(vas))
				}),
			f.VAsHold(time.Second, waits.Fast, "every VariantAutoscaling stays on the re-created ConfigMap", fixture.All(&vas, recreatedWant)),
			f.ControllerLogsOfWithin(spec.ApplyDeadline, &deleted, deleteHandledFirst, func() []zaplog.Query {
				return []zaplog.Query{
					{Level: spec.LevelWarn, Msg: spec.MsgDeleted},
					{Level: spec.LevelInfo, Msg: spec.MsgChanged, Fields: map[string]string{"resourceVersion": recreated.ResourceVersion}},
				}
			}),
		)).
		Assess("50 updates within 5s: every VariantAutoscaling shows the last; count the reloads", fixture.Steps(
			churnBurstLanded(f, &ns, &run),
			f.VAsConsistentWithin(spec.ApplyDeadline, waits.Fast, &run.landed, "every VariantAutoscaling on the last update, status consistent", &vas, lastWant,
				func(took time.Duration) { run.settle = took }),
			f.VAsHold(time.Second, waits.Fast, "every VariantAutoscaling stays on the last update", fixture.All(&vas, lastWant)),
			churnReloadsCounted(&vas, &run),
		)).
		Assess("no crash: same pod, no restart, nothing fatal logged", f.ControllerUnchanged(&before, &deleted.At)).
		WithTeardown("delete the ConfigMap and the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}

// deleteHandledFirst checks the lines of the ConfigMap's delete and of its
// re-creation's load: the delete was handled first.
func deleteHandledFirst(t *testing.T, lines []zaplog.Entry) {
	if lines[1].Time.Before(lines[0].Time) {
		t.Errorf("the re-created ConfigMap was loaded (%s) before the delete was handled (%s)", lines[1], lines[0])
	}
}

// churnRun is what the burst of feature 18 wrote and what its steps saw.
type churnRun struct {
	// statusWrites stops the watch of the VariantAutoscalings' status
	// writes and returns their counts by name.
	statusWrites func() map[string]int
	versions     map[string]int // the resourceVersion each update wrote, with its number
	start        time.Time      // of the burst
	burst        time.Duration  // its length
	landed       fixture.Change // the last update to land, at the burst's end
	last         int            // its number
	settle       time.Duration  // from the burst's end until every VA showed it
}

// churnBurstLanded is a step that watches the status writes of the
// VariantAutoscalings of *ns, writes the burst (churnBurst) and checks that
// the ConfigMap then holds one of its updates, recorded in run.
func churnBurstLanded(f *fixture.Fixture, ns *string, run *churnRun) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		var err error
		if run.statusWrites, err = f.WatchApplied(ctx, *ns); err != nil {
			t.Fatal(err)
		}
		run.start = time.Now()
		if run.versions, err = churnBurst(ctx); err != nil {
			t.Fatal(err)
		}
		run.landed.At = time.Now()
		run.burst = run.landed.At.Sub(run.start)
		if run.burst > churnWindow {
			// The writes' latency is the cluster's: on a loaded machine
			// the burst is spread wider. What follows holds either way.
			t.Logf("%d updates took %s, more than %s: the cluster is slow to write (machine load)", churnUpdates, run.burst.Round(time.Millisecond), churnWindow)
		}
		// Concurrent writers: the last to land is the one the
		// ConfigMap holds now.
		final, err := suite.Kube.CoreV1().ConfigMaps(manifests.Namespace).Get(ctx, manifests.ConfigMapName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		last, ok := run.versions[final.ResourceVersion]
		if !ok || final.Data["default"] != churnEntry(last) {
			t.Fatalf("the ConfigMap holds resourceVersion %s, not one the burst wrote, or not its content: %q", final.ResourceVersion, final.Data)
		}
		run.last, run.landed.ResourceVersion = last, final.ResourceVersion
		t.Logf("%d updates (%d in flight) in %s; the last to land: update %d, resourceVersion %s", churnUpdates, churnParallel, run.burst.Round(time.Millisecond), last, final.ResourceVersion)
		return ctx
	}
}

// churnReloadsCounted is a step, run once every VariantAutoscaling of *vas
// settled on the burst's last update, that stops the watch of their status
// writes and counts how the reloads coalesced: the controller's reload
// lines for the burst's versions (the last within
// spec.ApplyDeadline+churnWindow of the burst's start), the fan-outs they
// triggered, the status writes. It logs the feature's summary line
// (config-churn reloads=... updates=...) and fails unless the reloads
// number 1 to churnUpdates.
func churnReloadsCounted(vas *[]fixture.VA, run *churnRun) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		writes := run.statusWrites()
		suite.Measure("feature 18: last of %d updates in %s -> %d VariantAutoscalings on it", run.settle, churnUpdates, run.burst.Round(time.Millisecond), len(*vas))

		lines := suite.WaitLogs(ctx, t, run.start, spec.ApplyDeadline+churnWindow,
			zaplog.Query{Level: spec.LevelInfo, Msg: spec.MsgChanged, Fields: map[string]string{"resourceVersion": run.landed.ResourceVersion}})
		pod, err := suite.CurrentControllerPod(ctx)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := suite.ControllerLog(ctx, pod.Name, run.start)
		if err != nil {
			t.Fatal(err)
		}
		reloads := 0
		for _, e := range zaplog.Find(entries, zaplog.Query{Level: spec.LevelInfo, Msg: spec.MsgChanged}) {
			if rv, _ := e.Field("resourceVersion"); run.versions[rv] > 0 {
				reloads++
			}
		}
		triggers := len(zaplog.Find(entries, zaplog.Query{Level: spec.LevelInfo, Msg: spec.MsgTriggerAll}))
		lastReload := lines[0].Time.Sub(run.start)
		minW, maxW := churnUpdates, 0
		for _, v := range *vas {
			n := writes[v.Name]
			minW, maxW = min(minW, n), max(maxW, n)
		}
		t.Logf("config-churn reloads=%d updates=%d triggers=%d status-writes-per-va=%d-%d burst=%s last-reload=%s settle=%s",
			reloads, churnUpdates, triggers, minW, maxW, run.burst.Round(time.Millisecond), lastReload.Round(time.Millisecond), run.settle.Round(time.Millisecond))
		if reloads == 0 || reloads > churnUpdates {
			t.Errorf("reloads=%d for %d updates, want 1 to %d", reloads, churnUpdates, churnUpdates)
		}
		return ctx
	}
}

// churnBurst writes the burst's updates, churnParallel at a time, each
// unconditional (no resourceVersion: concurrent writers, as several people
// or pipelines applying at once), and returns the resourceVersion each
// wrote, with the update's number.
func churnBurst(ctx context.Context) (map[string]int, error) {
	cms := suite.Kube.CoreV1().ConfigMaps(manifests.Namespace)
	var (
		mu       sync.Mutex
		versions = make(map[string]int, churnUpdates)
		errs     []error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, churnParallel)
	)
	for i := 1; i <= churnUpdates; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cm := &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Namespace: manifests.Namespace, Name: manifests.ConfigMapName},
				Data:       map[string]string{"default": churnEntry(i)},
			}
			got, err := cms.Update(ctx, cm, metav1.UpdateOptions{FieldManager: cluster.FieldManager})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("update %d of %d: %w", i, churnUpdates, err))
				return
			}
			versions[got.ResourceVersion] = i
		}()
	}
	wg.Wait()
	return versions, errors.Join(errs...)
}

// churnQueue is the queueLengthThreshold of update i of the burst.
func churnQueue(i int) int32 { return int32(20 + i) }

// churnEntry is the default entry of update i of the burst: only
// queueLengthThreshold changes, so that each update is a new content.
func churnEntry(i int) string {
	return fixture.Entry(
		"kvCacheThreshold: 0.70",
		fmt.Sprintf("queueLengthThreshold: %d", churnQueue(i)),
		"kvSpareTrigger: 0.20",
		"queueSpareTrigger: 4",
	)
}
