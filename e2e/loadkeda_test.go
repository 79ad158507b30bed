//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/keda"
	"github.com/wva-project/wva/e2e/workload"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Feature 14 settings: the load of feature 11, held longer. With KEDA every
// step up waits for Prometheus to scrape the gauge and for the HPA's next
// sync on top of the new replica settling, so the climb to maxReplicas
// takes up to about 3 x 31 s after saturation (10.75 s into the ramp).
const (
	kedaCycleProfile = "ramp:0-16:40s,hold:16:100s"
	// hpaController is the field manager of the HPA controller's /scale
	// writes (kube-controller-manager's user agent).
	hpaController = "kube-controller-manager"
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

// Feature 14: the closed loop with metrics actuation. The controller runs
// with --actuation=metrics and only publishes wva_desired_replicas; the
// feature's Prometheus scrapes it from the controller's https endpoint; a
// KEDA ScaledObject per variant, with a prometheus trigger on the gauge
// and stabilization in advanced.horizontalPodAutoscalerConfig, drives the
// HPA that scales the Deployment. The load of feature 11 makes the model
// climb to maxReplicas and, after it stops, step back to minReplicas one
// window at a time, with every replica change written by the HPA.
func TestLoadCycleKEDA(t *testing.T) {
	if os.Getenv("E2E_KEDA_VERSION") == "" {
		t.Skip("load cycle with KEDA: E2E_KEDA_VERSION is not set; run make test-e2e-keda (it builds the KEDA images and sets it)")
	}
	f := suite.newFixture("loadkeda")
	r := newLoadRun(f, t, "keda", kedaCycleProfile,
		[]workload.Variant{{Name: "a", Replicas: 1}},
		[]va{{min: cycleMin, max: cycleMax}})
	r.mode = actuateKEDA
	peak := min(r.needed(cycleRate), cycleMax)
	var (
		settings kedaSettings
		ns       string
	)

	feature := features.New("load cycle, metrics actuation with KEDA").
		WithLabel("area", "scaling").WithLabel("size", "large").
		WithSetup("register cleanup", f.setup).
		WithSetup("load the KEDA images", loadKEDAStep(&settings)).
		WithSetup("install KEDA from its module's manifests", installKEDAStep(f, &settings, &ns, "feature 14")).
		WithSetup("Prometheus scraping the emulated model and the controller, the controller on --actuation=metrics", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			r.setUp(ctx, t)
			ns = r.model.Namespace
			return ctx
		}).
		WithSetup("Prometheus has every variant's wva_desired_replicas", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			took := r.waitDesiredScraped(ctx, t)
			suite.measure("feature 14: VariantAutoscalings analysed -> wva_desired_replicas scraped", took)
			return ctx
		}).
		WithSetup("a ScaledObject per variant on wva_desired_replicas is Ready with its HPA", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			took := r.createScaledObjects(ctx, t)
			suite.measure("feature 14: ScaledObjects created -> Ready with their HPAs", took)
			return ctx
		}).
		Assess("the load generator starts its profile", r.startStep).
		Assess(fmt.Sprintf("KEDA's HPA scales the model up to %d replicas (the load needs %d, maxReplicas %d) before the load stops", peak, r.needed(cycleRate), cycleMax),
			r.scaleUpStep("feature 14", peak)).
		Assess("the load stops and the model steps down to minReplicas, one step per window", r.scaleDownStep(peak, cycleMin)).
		Assess("the timeline: reaction, settle-down, one up and one down phase, bounds, errors", r.checkCycleStep(peak, cycleMin)).
		Assess("only the HPA wrote the Deployments' replicas", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			for _, v := range r.vas {
				d, err := suite.kube.AppsV1().Deployments(v.namespace).Get(ctx, v.target, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				var writers []string
				for _, e := range d.ManagedFields {
					if e.Subresource == "scale" && !slices.Contains(writers, e.Manager) {
						writers = append(writers, e.Manager)
					}
				}
				if !slices.Equal(writers, []string{hpaController}) {
					t.Errorf("Deployment %s/%s: /scale written by %q, want only the HPA controller (%s)", v.namespace, v.target, writers, hpaController)
				}
			}
			return ctx
		}).
		WithTeardown("write the timeline, restore the controller's args, uninstall KEDA, delete the namespace", f.teardownStep).
		Feature()

	suite.env.Test(t, feature)
}

// desiredQuery is the PromQL of the ScaledObject's trigger for v.
func desiredQuery(v va) string {
	return keda.DesiredReplicasTrigger("", v.namespace, v.name).Metadata["query"]
}

// waitDesiredScraped waits until the run's Prometheus has the gauge of
// every VariantAutoscaling at the value of its status.desiredReplicas.
func (r *loadRun) waitDesiredScraped(ctx context.Context, t *testing.T) time.Duration {
	t.Helper()
	return waitFor(ctx, t, "Prometheus serves wva_desired_replicas = status.desiredReplicas for every VariantAutoscaling", scrapeDeadline, slowPoll,
		func(ctx context.Context) (bool, string, error) {
			var seen []string
			ok := true
			for _, v := range r.vas {
				obj, err := r.f.getVA(ctx, v)
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
	if obj.Status.LastAnalysis == nil {
		return -1
	}
	return obj.Status.DesiredReplicas
}

// createScaledObjects creates one ScaledObject per VariantAutoscaling, with
// its bounds, the recommended behavior and the trigger on its gauge, and
// waits until each is Ready with an HPA on its Deployment.
func (r *loadRun) createScaledObjects(ctx context.Context, t *testing.T) time.Duration {
	t.Helper()
	server := fmt.Sprintf("http://%s.%s.svc:%d", promName, r.model.Namespace, promPort)
	created := time.Now()
	for _, v := range r.vas {
		so, err := keda.ScaledObject(v.namespace, v.name, keda.ScaledObjectSpec{
			Target: v.target, MinReplicas: v.min, MaxReplicas: v.max, PollingInterval: 5,
			Behavior: kedaBehavior(),
			Triggers: []keda.Trigger{keda.DesiredReplicasTrigger(server, v.namespace, v.name)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := suite.dyn.Resource(keda.ScaledObjectResource).Namespace(v.namespace).Create(ctx, so, metav1.CreateOptions{FieldManager: fieldManager}); err != nil {
			t.Fatalf("creating ScaledObject %s/%s: %v", v.namespace, v.name, err)
		}
	}
	return waitSince(ctx, t, "every ScaledObject Ready=True with its HPA", created, kedaReadyDeadline, slowPoll,
		func(ctx context.Context) (bool, string, error) {
			var seen []string
			ok := true
			for _, v := range r.vas {
				obj, err := suite.dyn.Resource(keda.ScaledObjectResource).Namespace(v.namespace).Get(ctx, v.name, metav1.GetOptions{})
				if err != nil {
					return false, err.Error(), nil
				}
				status := keda.StatusOf(obj)
				seen = append(seen, v.name+": "+status.String())
				if status.Ready != string(metav1.ConditionTrue) || status.HPAName == "" {
					ok = false
					continue
				}
				hpa, err := suite.kube.AutoscalingV2().HorizontalPodAutoscalers(v.namespace).Get(ctx, status.HPAName, metav1.GetOptions{})
				if err != nil {
					return false, strings.Join(seen, "; ") + "; HPA: " + err.Error(), nil
				}
				if hpa.Spec.ScaleTargetRef.Name != v.target || hpa.Spec.MaxReplicas != v.max || ptr.Deref(hpa.Spec.MinReplicas, 1) != v.min {
					return false, "", fmt.Errorf("HPA %s targets %s with [%d, %d], want %s with [%d, %d]", status.HPAName,
						hpa.Spec.ScaleTargetRef.Name, ptr.Deref(hpa.Spec.MinReplicas, 1), hpa.Spec.MaxReplicas, v.target, v.min, v.max)
				}
				if b := hpa.Spec.Behavior; b == nil || b.ScaleDown == nil || ptr.Deref(b.ScaleDown.StabilizationWindowSeconds, -1) != 0 {
					return false, "", fmt.Errorf("HPA %s: behavior %+v, want the ScaledObject's (scale-down stabilization 0)", status.HPAName, b)
				}
			}
			return ok, strings.Join(seen, "; "), nil
		})
}
