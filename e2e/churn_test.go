//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/manifests"
	"github.com/wva-project/wva/e2e/zaplog"
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
	f := suite.newFixture("churn")
	var (
		vas    []va
		ns     string
		before controllerIdentity
		start  time.Time // of the first fault, for the log check
	)

	feature := features.New("ConfigMap churn: delete + re-create, 50 updates in 5s").
		WithLabel("area", "faults").WithLabel("size", "small").
		WithSetup("register cleanup", f.setup).
		WithSetup("VariantAutoscalings on a ConfigMap", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			f.withoutConfigMap(ctx, t)
			ns = f.namespace(ctx, t)
			vas = []va{
				{namespace: ns, name: "granite-l4", model: "ibm/granite-13b"},
				{namespace: ns, name: "granite-a100", model: "ibm/granite-13b"},
				{namespace: ns, name: "llama", model: "meta/llama-70b"},
				{namespace: ns, name: "mistral", model: "mistral/mistral-7b"},
			}
			f.onDefaultConfigMap(ctx, t, vas)
			var err error
			if before, err = suite.controllerIdentity(ctx); err != nil {
				t.Fatal(err)
			}
			return ctx
		}).
		Assess("delete and at once re-create the ConfigMap: every VariantAutoscaling on the new one within 5s", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			start = time.Now()
			if err := suite.deleteConfigMap(ctx); err != nil {
				t.Fatal(err)
			}
			cm, err := suite.putConfigMap(ctx, map[string]string{"default": entry(
				"kvCacheThreshold: 0.71",
				"queueLengthThreshold: 13",
				"kvSpareTrigger: 0.21",
				"queueSpareTrigger: 3",
			)})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("ConfigMap deleted and re-created (resourceVersion %s) in %s", cm.ResourceVersion, time.Since(start).Round(time.Millisecond))
			want := applied("0.71", 13, "0.21", 3, v1alpha1.ConfigSourceDefault, cm.ResourceVersion)
			took := waitSince(ctx, t, "every VariantAutoscaling on the re-created ConfigMap, status consistent", start, applyDeadline, fastPoll,
				f.consistentStatus(vas, want))
			suite.measure("feature 18: ConfigMap delete + re-create -> %d VariantAutoscalings on the new one", took, len(vas))
			holdFor(ctx, t, "every VariantAutoscaling stays on the re-created ConfigMap", time.Second, fastPoll, f.appliedConfigs(expectAll(vas, want)))
			lines := suite.waitLogs(ctx, t, start, applyDeadline,
				zaplog.Query{Level: levelWarn, Msg: msgDeleted},
				zaplog.Query{Level: levelInfo, Msg: msgChanged, Fields: map[string]string{"resourceVersion": cm.ResourceVersion}},
			)
			if lines[1].Time.Before(lines[0].Time) {
				t.Errorf("the re-created ConfigMap was loaded (%s) before the delete was handled (%s)", lines[1], lines[0])
			}
			return ctx
		}).
		Assess("50 updates within 5s: every VariantAutoscaling shows the last; count the reloads", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			statusWrites, err := f.watchApplied(ctx, ns)
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
			final, err := suite.kube.CoreV1().ConfigMaps(manifests.Namespace).Get(ctx, manifests.ConfigMapName, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			last, ok := versions[final.ResourceVersion]
			if !ok || final.Data["default"] != churnEntry(last) {
				t.Fatalf("the ConfigMap holds resourceVersion %s, not one the burst wrote, or not its content: %q", final.ResourceVersion, final.Data)
			}
			t.Logf("%d updates (%d in flight) in %s; the last to land: update %d, resourceVersion %s", churnUpdates, churnParallel, burst.Round(time.Millisecond), last, final.ResourceVersion)

			want := applied("0.70", churnQueue(last), "0.20", 4, v1alpha1.ConfigSourceDefault, final.ResourceVersion)
			settle := waitSince(ctx, t, "every VariantAutoscaling on the last update, status consistent", lastAt, applyDeadline, fastPoll,
				f.consistentStatus(vas, want))
			holdFor(ctx, t, "every VariantAutoscaling stays on the last update", time.Second, fastPoll, f.appliedConfigs(expectAll(vas, want)))
			writes := statusWrites()
			suite.measure("feature 18: last of %d updates in %s -> %d VariantAutoscalings on it", settle, churnUpdates, burst.Round(time.Millisecond), len(vas))

			// Coalescing: the reloads the controller logged for the burst's
			// versions, the fan-outs it triggered, the status writes.
			lines := suite.waitLogs(ctx, t, burstStart, applyDeadline+churnWindow,
				zaplog.Query{Level: levelInfo, Msg: msgChanged, Fields: map[string]string{"resourceVersion": final.ResourceVersion}})
			pod, err := suite.currentControllerPod(ctx)
			if err != nil {
				t.Fatal(err)
			}
			entries, err := suite.controllerLog(ctx, pod.Name, burstStart)
			if err != nil {
				t.Fatal(err)
			}
			reloads := 0
			for _, e := range zaplog.Find(entries, zaplog.Query{Level: levelInfo, Msg: msgChanged}) {
				if rv, _ := e.Field("resourceVersion"); versions[rv] > 0 {
					reloads++
				}
			}
			triggers := len(zaplog.Find(entries, zaplog.Query{Level: levelInfo, Msg: msgTriggerAll}))
			lastReload := lines[0].Time.Sub(burstStart)
			minW, maxW := churnUpdates, 0
			for _, v := range vas {
				n := writes[v.name]
				minW, maxW = min(minW, n), max(maxW, n)
			}
			t.Logf("config-churn reloads=%d updates=%d triggers=%d status-writes-per-va=%d-%d burst=%s last-reload=%s settle=%s",
				reloads, churnUpdates, triggers, minW, maxW, burst.Round(time.Millisecond), lastReload.Round(time.Millisecond), settle.Round(time.Millisecond))
			if reloads == 0 || reloads > churnUpdates {
				t.Errorf("reloads=%d for %d updates, want 1 to %d", reloads, churnUpdates, churnUpdates)
			}
			return ctx
		}).
		Assess("no crash: same pod, no restart, nothing fatal logged", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			suite.requireSameController(ctx, t, before)
			suite.checkNothingFatal(ctx, t, start)
			return ctx
		}).
		WithTeardown("delete the ConfigMap and the namespace", f.teardownStep).
		Feature()

	suite.env.Test(t, feature)
}

// churnBurst writes the burst's updates, churnParallel at a time, each
// unconditional (no resourceVersion: concurrent writers, as several people
// or pipelines applying at once), and returns the resourceVersion each
// wrote, with the update's number.
func churnBurst(ctx context.Context) (map[string]int, error) {
	cms := suite.kube.CoreV1().ConfigMaps(manifests.Namespace)
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
			got, err := cms.Update(ctx, cm, metav1.UpdateOptions{FieldManager: fieldManager})
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
	return entry(
		"kvCacheThreshold: 0.70",
		fmt.Sprintf("queueLengthThreshold: %d", churnQueue(i)),
		"kvSpareTrigger: 0.20",
		"queueSpareTrigger: 4",
	)
}

// watchApplied watches the fixture's VariantAutoscalings of namespace ns and
// counts, for each, the status writes that changed the ConfigMap
// resourceVersion its status.appliedConfig shows. It returns a function
// that stops the watch and returns the counts by name.
func (f *fixture) watchApplied(ctx context.Context, ns string) (func() map[string]int, error) {
	selector := featureLabel + "=" + f.name
	client := f.s.dyn.Resource(vaResource).Namespace(ns)
	list, err := client.List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("listing VariantAutoscalings of %s: %w", ns, err)
	}
	last := make(map[string]string, len(list.Items))
	for _, item := range list.Items {
		last[item.GetName()] = appliedVersion(&item)
	}
	w, err := client.Watch(ctx, metav1.ListOptions{LabelSelector: selector, ResourceVersion: list.GetResourceVersion()})
	if err != nil {
		return nil, fmt.Errorf("watching VariantAutoscalings of %s: %w", ns, err)
	}
	var (
		mu     sync.Mutex
		counts = map[string]int{}
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			obj, ok := ev.Object.(*unstructured.Unstructured)
			if !ok || ev.Type != watch.Modified {
				continue
			}
			rv := appliedVersion(obj)
			mu.Lock()
			if rv != last[obj.GetName()] {
				last[obj.GetName()] = rv
				counts[obj.GetName()]++
			}
			mu.Unlock()
		}
	}()
	return func() map[string]int {
		w.Stop()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(counts)
	}, nil
}

func appliedVersion(obj *unstructured.Unstructured) string {
	rv, _, _ := unstructured.NestedString(obj.Object, "status", "appliedConfig", "configMapResourceVersion")
	return rv
}
