//go:build integration

package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/metricsource"
	"github.com/wva-project/wva/modules/controller/internal/options"
)

// TestScaleSubresourceActuation scales a real Deployment through its /scale
// subresource on metrics from an injected source (no pod runs in envtest).
func TestScaleSubresourceActuation(t *testing.T) {
	ctx := context.Background()
	cfgNS, ns := namespace(t, "cfg"), namespace(t, "scale")
	create(t, capacityConfigMap(cfgNS, defaultEntry)) // kvCacheThreshold 0.75
	create(t, deployment(ns, "granite", 1))
	createReadyPod(t, ns, "granite", 0, time.Now().Add(-24*time.Hour))
	source := &metricsource.Static{Metrics: map[string]capacity.ReplicaMetrics{
		ns + "/granite-0": {KvCacheUsage: 0.9, HasKvCacheUsage: true, QueueLength: 12, HasQueueLength: true},
	}}
	startManager(t, managerOptions(cfgNS), source)
	create(t, variantAutoscaling(ns, "granite", "ibm/granite-13b"))

	eventually(t, 20*time.Second, "Deployment scaled to 2", func() string {
		d := &appsv1.Deployment{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "granite"}, d); err != nil {
			return err.Error()
		}
		if *d.Spec.Replicas != 2 {
			st := getVA(t, ns, "granite").Status
			return fmt.Sprintf("spec.replicas = %d; VA conditions=%+v analysis=%+v", *d.Spec.Replicas, st.Conditions, st.LastAnalysis)
		}
		return ""
	})
	eventually(t, 10*time.Second, "status records the scale-up", func() string {
		va := getVA(t, ns, "granite")
		st := va.Status
		ready := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady)
		switch {
		case ready == nil || ready.Status != "True":
			return fmt.Sprintf("Ready = %+v", ready)
		case ptr.Deref(st.CurrentReplicas, -1) != 1 || ptr.Deref(st.DesiredReplicas, -1) != 2 || st.LastScaleTime == nil:
			return fmt.Sprintf("current=%d desired=%d lastScaleTime=%v", ptr.Deref(st.CurrentReplicas, -1), ptr.Deref(st.DesiredReplicas, -1), st.LastScaleTime)
		case st.LastAnalysis.IsZero() || st.LastAnalysis.Decision != v1alpha1.DecisionScaleUp:
			return fmt.Sprintf("lastAnalysis = %+v", st.LastAnalysis)
		}
		return ""
	})
}

// TestMetricsActuationLeavesTheTarget checks --actuation=metrics: the
// decision is computed and recorded, the Deployment is not touched.
func TestMetricsActuationLeavesTheTarget(t *testing.T) {
	ctx := context.Background()
	cfgNS, ns := namespace(t, "cfg"), namespace(t, "metrics")
	create(t, deployment(ns, "granite", 1))
	createReadyPod(t, ns, "granite", 0, time.Now().Add(-24*time.Hour))
	source := &metricsource.Static{Metrics: map[string]capacity.ReplicaMetrics{
		ns + "/granite-0": {KvCacheUsage: 0.9, HasKvCacheUsage: true, QueueLength: 12, HasQueueLength: true},
	}}
	o := managerOptions(cfgNS)
	o.Actuation = options.ActuationMetrics
	startManager(t, o, source)
	create(t, variantAutoscaling(ns, "granite", "ibm/granite-13b"))

	eventually(t, 20*time.Second, "desired replicas recorded", func() string {
		st := getVA(t, ns, "granite").Status
		if ptr.Deref(st.DesiredReplicas, -1) != 2 {
			return fmt.Sprintf("desired=%d conditions=%+v analysis=%+v", ptr.Deref(st.DesiredReplicas, -1), st.Conditions, st.LastAnalysis)
		}
		return ""
	})
	d := &appsv1.Deployment{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "granite"}, d); err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 1 {
		t.Errorf("spec.replicas = %d, want 1: metrics actuation must not scale", *d.Spec.Replicas)
	}
}
