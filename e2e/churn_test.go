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
		vas    []fixture.VA
		ns     string
		before cluster.ControllerIdentity
		start  time.Time // of the first fault, for the log check
	)

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
		Assess("delete and at once re-create the ConfigMap: every VariantAutoscaling on the new one within 5s", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			start = time.Now()
			if err := suite.DeleteConfigMap(ctx); err != nil {
				t.Fatal(err)
			}
			cm, err := suite.PutConfigMap(ctx, map[string]string{"default": fixture.Entry(
				"kvCacheThreshold: 0.71",
				"queueLengthThreshold: 13",
				"kvSpareTrigger: 0.21",
				"queueSpareTrigger: 3",
			)})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("ConfigMap deleted and re-created (resourceVersion %s) in %s", cm.ResourceVersion, time.Since(start).Round(time.Millisecond))
			want := fixture.Applied("0.71", 13, "0.21", 3, v1alpha1.ConfigSourceDefault, cm.ResourceVersion)
			took := waits.Since(ctx, t, "every VariantAutoscaling on the re-created ConfigMap, status consistent", start, spec.ApplyDeadline, waits.Fast,
				f.ConsistentStatus(vas, want))
			suite.Measure("feature 18: ConfigMap delete + re-create -> %d VariantAutoscalings on the new one", took, len(vas))
			waits.Hold(ctx, t, "every VariantAutoscaling stays on the re-created ConfigMap", time.Second, waits.Fast, f.AppliedConfigs(fixture.ExpectAll(vas, want)))
			lines := suite.WaitLogs(ctx, t, start, spec.ApplyDeadline,
				zaplog.Query{Level: spec.LevelWarn, Msg: spec.MsgDeleted},
				zaplog.Query{Level: spec.LevelInfo, Msg: spec.MsgChanged, Fields: map[string]string{"resourceVersion": cm.ResourceVersion}},
			)
			if lines[1].Time.Before(lines[0].Time) {
				t.Errorf("the re-created ConfigMap was loaded (%s) before the delete was handled (%s)", lines[1], lines[0])
			}
			return ctx
		}).
		Assess("50 updates within 5s: every VariantAutoscaling shows the last; count the reloads", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			statusWrites, err := f.WatchApplied(ctx, ns)
			if err != nil {
				t.Fatal(err)
			}
			burstStart := time.Now()
			versions, err := churnBurst(ctx)
			if err != nil {
				t.Fatal(err)
			}
			lastAt := time.Now()
			burst := lastAt.Sub(burstStart)
			if burst > churnWindow {
				// The writes' latency is the cluster's: on a loaded machine
				// the burst is spread wider. What follows holds either way.
				t.Logf("%d updates took %s, more than %s: the cluster is slow to write (machine load)", churnUpdates, burst.Round(time.Millisecond), churnWindow)
			}
			// Concurrent writers: the last to land is the one the
			// ConfigMap holds now.
			final, err := suite.Kube.CoreV1().ConfigMaps(manifests.Namespace).Get(ctx, manifests.ConfigMapName, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			last, ok := versions[final.ResourceVersion]
			if !ok || final.Data["default"] != churnEntry(last) {
				t.Fatalf("the ConfigMap holds resourceVersion %s, not one the burst wrote, or not its content: %q", final.ResourceVersion, final.Data)
			}
			t.Logf("%d updates (%d in flight) in %s; the last to land: update %d, resourceVersion %s", churnUpdates, churnParallel, burst.Round(time.Millisecond), last, final.ResourceVersion)

			want := fixture.Applied("0.70", churnQueue(last), "0.20", 4, v1alpha1.ConfigSourceDefault, final.ResourceVersion)
			settle := waits.Since(ctx, t, "every VariantAutoscaling on the last update, status consistent", lastAt, spec.ApplyDeadline, waits.Fast,
				f.ConsistentStatus(vas, want))
			waits.Hold(ctx, t, "every VariantAutoscaling stays on the last update", time.Second, waits.Fast, f.AppliedConfigs(fixture.ExpectAll(vas, want)))
			writes := statusWrites()
			suite.Measure("feature 18: last of %d updates in %s -> %d VariantAutoscalings on it", settle, churnUpdates, burst.Round(time.Millisecond), len(vas))

			// Coalescing: the reloads the controller logged for the burst's
			// versions, the fan-outs it triggered, the status writes.
			lines := suite.WaitLogs(ctx, t, burstStart, spec.ApplyDeadline+churnWindow,
				zaplog.Query{Level: spec.LevelInfo, Msg: spec.MsgChanged, Fields: map[string]string{"resourceVersion": final.ResourceVersion}})
			pod, err := suite.CurrentControllerPod(ctx)
			if err != nil {
				t.Fatal(err)
			}
			entries, err := suite.ControllerLog(ctx, pod.Name, burstStart)
			if err != nil {
				t.Fatal(err)
			}
			reloads := 0
			for _, e := range zaplog.Find(entries, zaplog.Query{Level: spec.LevelInfo, Msg: spec.MsgChanged}) {
				if rv, _ := e.Field("resourceVersion"); versions[rv] > 0 {
					reloads++
				}
			}
			triggers := len(zaplog.Find(entries, zaplog.Query{Level: spec.LevelInfo, Msg: spec.MsgTriggerAll}))
			lastReload := lines[0].Time.Sub(burstStart)
			minW, maxW := churnUpdates, 0
			for _, v := range vas {
				n := writes[v.Name]
				minW, maxW = min(minW, n), max(maxW, n)
			}
			t.Logf("config-churn reloads=%d updates=%d triggers=%d status-writes-per-va=%d-%d burst=%s last-reload=%s settle=%s",
				reloads, churnUpdates, triggers, minW, maxW, burst.Round(time.Millisecond), lastReload.Round(time.Millisecond), settle.Round(time.Millisecond))
			if reloads == 0 || reloads > churnUpdates {
				t.Errorf("reloads=%d for %d updates, want 1 to %d", reloads, churnUpdates, churnUpdates)
			}
			return ctx
		}).
		Assess("no crash: same pod, no restart, nothing fatal logged", f.ControllerUnchanged(&before, &start)).
		WithTeardown("delete the ConfigMap and the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
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
