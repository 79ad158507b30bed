//go:build integration

package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/wva-project/wva/modules/controller/internal/configwatch"
)

// TestReloadFanOut measures how long one ConfigMap update takes to reach
// the status of many VariantAutoscalings, with the binary's default
// concurrency and client rate limits.
func TestReloadFanOut(t *testing.T) {
	const count = 100
	cfgNS, ns := namespace(t, "cfg"), namespace(t, "fanout")
	cm := capacityConfigMap(cfgNS, defaultEntry)
	create(t, cm)
	for i := range count {
		create(t, variantAutoscaling(ns, fmt.Sprintf("variant-%03d", i), fmt.Sprintf("model-%d", i%10)))
	}
	m := startManager(t, managerOptions(cfgNS), nil)
	for i := range count {
		eventually(t, 30*time.Second, "startup config in status",
			appliedIs(t, ns, fmt.Sprintf("variant-%03d", i), "default", cm.ResourceVersion))
	}

	took := updateAndWaitAll(t, cm, ns, count)
	t.Logf("ConfigMap update reached %d VariantAutoscalings in %s", count, took.Round(time.Millisecond))
	if msg := hasLine(m.logs, "info", configwatch.MsgTriggerAll, map[string]any{"count": int64(countVAs(t))})(); msg != "" {
		t.Error(msg)
	}
}

// updateAndWaitAll changes the default entry of cm and waits until the
// VariantAutoscalings variant-000.. of namespace all show the new
// resourceVersion, within reloadDeadline of the change; it returns the time
// that took.
func updateAndWaitAll(t *testing.T, cm *corev1.ConfigMap, namespace string, count int) time.Duration {
	t.Helper()
	return updateAndWaitAllWithin(t, cm, namespace, count, reloadDeadline)
}

// updateAndWaitAllWithin is updateAndWaitAll with its own deadline.
func updateAndWaitAllWithin(t *testing.T, cm *corev1.ConfigMap, namespace string, count int, deadline time.Duration) time.Duration {
	t.Helper()
	cm.Data["default"] = "kvCacheThreshold: 0.85\n"
	if err := k8s.Update(context.Background(), cm); err != nil {
		t.Fatalf("updating ConfigMap: %v", err)
	}
	start := time.Now()
	for i := range count {
		eventually(t, deadline-time.Since(start), "updated config in status",
			appliedIs(t, namespace, fmt.Sprintf("variant-%03d", i), "default", cm.ResourceVersion))
	}
	return time.Since(start)
}
