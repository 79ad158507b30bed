package load

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/wva-project/wva/e2e/internal/cluster"
	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/keda"
	"github.com/wva-project/wva/e2e/internal/poll"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// kedaBehavior is the ScaledObject's HPA behavior, the one
// docs/capacity-scaling.md recommends: no HPA stabilization (WVA's
// --scale-down-stabilization is the window) and at most one pod per 15 s
// either way.
func kedaBehavior() *autoscalingv2.HorizontalPodAutoscalerBehavior {
	onePod := []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PodsScalingPolicy, Value: 1, PeriodSeconds: 15}}
	return &autoscalingv2.HorizontalPodAutoscalerBehavior{
		ScaleUp:   &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](0), Policies: onePod},
		ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](0), Policies: onePod},
	}
}

// desiredQuery is the PromQL of the ScaledObject's trigger for v.
func desiredQuery(v fixture.VA) string {
	return keda.DesiredReplicasTrigger("", v.Namespace, v.Name).Metadata["query"]
}

// WaitDesiredScraped waits until the run's Prometheus has the gauge of
// every VariantAutoscaling at the value of its status.desiredReplicas.
func (r *Run) WaitDesiredScraped(ctx context.Context, t *testing.T) time.Duration {
	t.Helper()
	return waits.For(ctx, t, "Prometheus serves wva_desired_replicas = status.desiredReplicas for every VariantAutoscaling", spec.ScrapeDeadline, waits.Slow,
		func(ctx context.Context) (bool, string, error) {
			var seen []string
			ok := true
			for _, v := range r.Vas {
				obj, err := r.f.GetVA(ctx, v)
				if err != nil {
					return false, err.Error(), nil
				}
				want := desiredOf(obj)
				q := desiredQuery(v)
				got, err := r.prometheus().Query(ctx, q)
				if err != nil {
					return false, err.Error(), nil
				}
				n, has, err := got.Scalar()
				ok = ok && err == nil && has && want >= 0 && n == float64(want)
				seen = append(seen, fmt.Sprintf("%s -> %v (status %d)", q, got, want))
			}
			return ok, strings.Join(seen, "; "), nil
		})
}

// desiredOf is a VariantAutoscaling's status.desiredReplicas, -1 before
// its first analysis.
func desiredOf(obj v1alpha1.VariantAutoscaling) int32 {
	if obj.Status.LastAnalysis.IsZero() {
		return -1
	}
	return ptr.Deref(obj.Status.DesiredReplicas, -1)
}

// CreateScaledObjects creates one ScaledObject per VariantAutoscaling, with
// its bounds, the recommended behavior and the trigger on its gauge, and
// waits until each is Ready with an HPA on its Deployment.
func (r *Run) CreateScaledObjects(ctx context.Context, t *testing.T) time.Duration {
	t.Helper()
	server := fmt.Sprintf("http://%s.%s.svc:%d", fixture.PromName, r.Model.Namespace, fixture.PromPort)
	created := time.Now()
	for _, v := range r.Vas {
		so, err := keda.ScaledObject(v.Namespace, v.Name, keda.ScaledObjectSpec{
			Target: v.Target, MinReplicas: v.Min, MaxReplicas: v.Max, PollingInterval: 5,
			Behavior: kedaBehavior(),
			Triggers: []keda.Trigger{keda.DesiredReplicasTrigger(server, v.Namespace, v.Name)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.f.Suite.Dyn.Resource(keda.ScaledObjectResource).Namespace(v.Namespace).Create(ctx, so, metav1.CreateOptions{FieldManager: cluster.FieldManager}); err != nil {
			t.Fatalf("creating ScaledObject %s/%s: %v", v.Namespace, v.Name, err)
		}
	}
	ready := make([]poll.Condition, 0, len(r.Vas))
	for _, v := range r.Vas {
		ready = append(ready, fixture.ScaledObjectReady(r.f.Suite, v.Namespace, v.Name, 1, fixture.HPAWant{
			Target: v.Target, Min: v.Min, Max: v.Max, Check: func(hpa *autoscalingv2.HorizontalPodAutoscaler) error {
				if b := hpa.Spec.Behavior; b == nil || b.ScaleDown == nil || ptr.Deref(b.ScaleDown.StabilizationWindowSeconds, -1) != 0 {
					return fmt.Errorf("behavior %+v, want the ScaledObject's (scale-down stabilization 0)", b)
				}
				return nil
			},
		}, nil))
	}
	return waits.Since(ctx, t, "every ScaledObject Ready=True with its HPA", created, spec.KedaReadyDeadline, waits.Slow, poll.All(ready...))
}
