//go:build integration

package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/controller/internal/configwatch"
	"github.com/wva-project/wva/modules/controller/internal/logging/logtest"
	"github.com/wva-project/wva/modules/controller/internal/options"
)

// reloadDeadline is how fast a ConfigMap change must reach every status.
const reloadDeadline = 10 * time.Second

var defaultEntry = map[string]string{
	"default": "kvCacheThreshold: 0.75\nqueueLengthThreshold: 10\nkvSpareTrigger: 0.15\nqueueSpareTrigger: 5\n",
}

// hasLine returns a check that a line with msg at level was logged with the
// given fields (among others).
func hasLine(rec *logtest.Recorder, level, msg string, fields map[string]any) func() string {
	return func() string {
		var seen []map[string]any
		for _, l := range rec.Messages(msg) {
			if l.Level != level {
				continue
			}
			match := true
			for k, v := range fields {
				if !cmp.Equal(v, l.Fields[k]) {
					match = false
				}
			}
			if match {
				return ""
			}
			seen = append(seen, l.Fields)
		}
		return fmt.Sprintf("no %s line %q with %v (seen: %v)", level, msg, fields, seen)
	}
}

func TestStartupWithoutConfigMap(t *testing.T) {
	cfgNS, ns := namespace(t, "cfg"), namespace(t, "work")
	create(t, variantAutoscaling(ns, "granite", "ibm/granite-13b"))
	o := managerOptions(cfgNS)
	o.HealthProbeBindAddress = freePort(t)
	m := startManager(t, o, nil)

	if msg := hasLine(m.logs, "warn", configwatch.MsgNotFound, map[string]any{
		"configmap": options.DefaultConfigMapName, "namespace": cfgNS,
	})(); msg != "" {
		t.Error(msg)
	}
	eventually(t, reloadDeadline, "builtin config in status", appliedIs(t, ns, "granite", "builtin", ""))
	va := getVA(t, ns, "granite")
	if got := va.Status.AppliedConfig.KvCacheThreshold; got != "0.80" {
		t.Errorf("kvCacheThreshold = %q, want the built-in 0.80", got)
	}
	eventually(t, reloadDeadline, "/readyz is ok", func() string {
		resp, err := http.Get("http://" + o.HealthProbeBindAddress + "/readyz")
		if err != nil {
			return err.Error()
		}
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Sprintf("HTTP %d: %s", resp.StatusCode, body)
		}
		return ""
	})

	// The ConfigMap appears later: the watch picks it up without a restart.
	cm := capacityConfigMap(cfgNS, defaultEntry)
	create(t, cm)
	eventually(t, reloadDeadline, "created ConfigMap reaches status", appliedIs(t, ns, "granite", "default", cm.ResourceVersion))
}

func TestHotReload(t *testing.T) {
	ctx := context.Background()
	cfgNS, prod, lab := namespace(t, "cfg"), namespace(t, "prod"), namespace(t, "lab")
	cm := capacityConfigMap(cfgNS, defaultEntry)
	create(t, cm)
	vas := []struct{ ns, name, model string }{
		{prod, "granite", "ibm/granite-13b"},
		{prod, "llama", "meta/llama-70b"},
		{lab, "granite", "ibm/granite-13b"},
	}
	for _, v := range vas {
		create(t, variantAutoscaling(v.ns, v.name, v.model))
	}
	m := startManager(t, managerOptions(cfgNS), nil)

	if msg := hasLine(m.logs, "info", configwatch.MsgLoaded, map[string]any{
		"configmap": options.DefaultConfigMapName, "namespace": cfgNS, "entries": int64(1), "has_default": true,
	})(); msg != "" {
		t.Error(msg)
	}
	for _, v := range vas {
		eventually(t, reloadDeadline, "startup config in status", appliedIs(t, v.ns, v.name, "default", cm.ResourceVersion))
	}

	t.Run("update reaches every VariantAutoscaling", func(t *testing.T) {
		cm.Data["default"] = "kvCacheThreshold: 0.90\nkvSpareTrigger: 0.2\n"
		if err := k8s.Update(ctx, cm); err != nil {
			t.Fatalf("updating ConfigMap: %v", err)
		}
		start := time.Now()
		for _, v := range vas {
			eventually(t, reloadDeadline, "updated config in status", appliedIs(t, v.ns, v.name, "default", cm.ResourceVersion))
		}
		t.Logf("update reached %d VariantAutoscalings in %s", len(vas), time.Since(start))
		if got := getVA(t, prod, "llama").Status.AppliedConfig.KvCacheThreshold; got != "0.90" {
			t.Errorf("kvCacheThreshold = %q, want 0.90", got)
		}
		for _, check := range []func() string{
			hasLine(m.logs, "info", configwatch.MsgChanged, map[string]any{"resourceVersion": cm.ResourceVersion}),
			hasLine(m.logs, "info", configwatch.MsgCacheUpdated, map[string]any{"entries": int64(1), "has_default": true}),
			// Every VariantAutoscaling in the cluster, earlier tests' included.
			hasLine(m.logs, "info", configwatch.MsgTriggerAll, map[string]any{"count": int64(countVAs(t))}),
		} {
			if msg := check(); msg != "" {
				t.Error(msg)
			}
		}
	})

	t.Run("override reaches only the matching VariantAutoscaling", func(t *testing.T) {
		cm.Data["granite-prod"] = fmt.Sprintf("model_id: ibm/granite-13b\nnamespace: %s\nkvCacheThreshold: 0.95\n", prod)
		cm.Data["broken"] = "model_id: x\nnamespace: nowhere\nkvCacheThreshold: 1.5\n"
		if err := k8s.Update(ctx, cm); err != nil {
			t.Fatalf("updating ConfigMap: %v", err)
		}
		eventually(t, reloadDeadline, "override in status", appliedIs(t, prod, "granite", "override/granite-prod", cm.ResourceVersion))
		eventually(t, reloadDeadline, "same model, other namespace", appliedIs(t, lab, "granite", "default", cm.ResourceVersion))
		eventually(t, reloadDeadline, "other model, same namespace", appliedIs(t, prod, "llama", "default", cm.ResourceVersion))
		if got := getVA(t, prod, "granite").Status.AppliedConfig.KvCacheThreshold; got != "0.95" {
			t.Errorf("overridden kvCacheThreshold = %q, want 0.95", got)
		}
		if msg := hasLine(m.logs, "warn", configwatch.MsgInvalidEntry, map[string]any{
			"key": "broken", "error": "kvCacheThreshold must be between 0 and 1, got 1.50",
		})(); msg != "" {
			t.Error(msg)
		}
	})

	t.Run("delete falls back to the built-in defaults", func(t *testing.T) {
		if err := k8s.Delete(ctx, cm); err != nil {
			t.Fatalf("deleting ConfigMap: %v", err)
		}
		for _, v := range vas {
			eventually(t, reloadDeadline, "builtin after delete", appliedIs(t, v.ns, v.name, "builtin", ""))
		}
		if msg := hasLine(m.logs, "warn", configwatch.MsgDeleted, map[string]any{"namespace": cfgNS})(); msg != "" {
			t.Error(msg)
		}
	})
}

func countVAs(t *testing.T) int {
	t.Helper()
	list := &v1alpha1.VariantAutoscalingList{}
	if err := k8s.List(context.Background(), list); err != nil {
		t.Fatalf("listing VariantAutoscalings: %v", err)
	}
	return len(list.Items)
}

// TestCacheHoldsOnlyTheConfigMap proves the cache scoping: the manager
// never sees another ConfigMap, in its namespace or elsewhere, so a change
// to one cannot trigger a reload.
func TestCacheHoldsOnlyTheConfigMap(t *testing.T) {
	ctx := context.Background()
	cfgNS, other := namespace(t, "cfg"), namespace(t, "other")
	create(t, capacityConfigMap(cfgNS, defaultEntry))
	neighbour := capacityConfigMap(cfgNS, map[string]string{"default": "kvCacheThreshold: 0.5\n"})
	neighbour.Name = "neighbour"
	create(t, neighbour)
	elsewhere := capacityConfigMap(other, defaultEntry) // same name, other namespace
	create(t, elsewhere)
	m := startManager(t, managerOptions(cfgNS), nil)
	cache := m.mgr.GetCache()

	list := &corev1.ConfigMapList{}
	if err := cache.List(ctx, list); err != nil {
		t.Fatalf("listing ConfigMaps from the cache: %v", err)
	}
	var names []string
	for _, cm := range list.Items {
		names = append(names, cm.Namespace+"/"+cm.Name)
	}
	if diff := cmp.Diff([]string{cfgNS + "/" + options.DefaultConfigMapName}, names); diff != "" {
		t.Errorf("ConfigMaps in the cache: -want +got:\n%s", diff)
	}
	if err := cache.Get(ctx, client.ObjectKeyFromObject(neighbour), &corev1.ConfigMap{}); !apierrors.IsNotFound(err) {
		t.Errorf("cache Get of the neighbour: error = %v, want NotFound", err)
	}
	// Other namespaces are not even part of the ConfigMap cache.
	if err := cache.Get(ctx, client.ObjectKeyFromObject(elsewhere), &corev1.ConfigMap{}); err == nil {
		t.Errorf("cache Get of %s/%s: found, want an error", elsewhere.Namespace, elsewhere.Name)
	}

	// A change to the neighbour is not even seen: no reload line follows.
	neighbour.Data["default"] = "kvCacheThreshold: 0.6\n"
	if err := k8s.Update(ctx, neighbour); err != nil {
		t.Fatalf("updating neighbour: %v", err)
	}
	// A change to the watched ConfigMap, made after it, is seen; once its
	// reload is logged the neighbour's (earlier) event would have been too.
	cm := capacityConfigMap(cfgNS, nil)
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(cm), cm); err != nil {
		t.Fatal(err)
	}
	cm.Data["default"] = "kvCacheThreshold: 0.7\n"
	if err := k8s.Update(ctx, cm); err != nil {
		t.Fatalf("updating ConfigMap: %v", err)
	}
	eventually(t, reloadDeadline, "reload of the watched ConfigMap",
		hasLine(m.logs, "info", configwatch.MsgChanged, map[string]any{"resourceVersion": cm.ResourceVersion}))
	if n := len(m.logs.Messages(configwatch.MsgChanged)); n != 1 {
		t.Errorf("got %d reload lines, want 1 (only the watched ConfigMap)", n)
	}
}
