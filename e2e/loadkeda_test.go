//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/cluster"
	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/load"
	"github.com/wva-project/wva/e2e/internal/workload"
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
	f := fixture.New(suite, "loadkeda")
	r := load.NewRun(f, t, "keda", kedaCycleProfile,
		[]workload.Variant{{Name: "a", Replicas: 1}},
		[]fixture.VA{{Min: cycleMin, Max: cycleMax}})
	r.Mode = load.ActuateKEDA
	peak := min(r.Needed(cycleRate), cycleMax)
	var (
		settings cluster.KedaSettings
		ns       string
	)

	feature := features.New("load cycle, metrics actuation with KEDA").
		WithLabel("area", "scaling").WithLabel("size", "large").
		WithSetup("register cleanup", f.Setup).
		WithSetup("load the KEDA images", fixture.LoadKEDAStep(suite, &settings)).
		WithSetup("install KEDA from its module's manifests", fixture.InstallKEDAStep(f, &settings, &ns, "feature 14")).
		WithSetup("Prometheus scraping the emulated model and the controller, the controller on --actuation=metrics",
			fixture.Steps(r.SetUpStep, r.NamespaceStep(&ns))).
		WithSetup("Prometheus has every variant's wva_desired_replicas", r.DesiredScrapedStep("feature 14")).
		WithSetup("a ScaledObject per variant on wva_desired_replicas is Ready with its HPA", r.ScaledObjectsReadyStep("feature 14")).
		Assess("the load generator starts its profile", r.StartStep).
		Assess(fmt.Sprintf("KEDA's HPA scales the model up to %d replicas (the load needs %d, maxReplicas %d) before the load stops", peak, r.Needed(cycleRate), cycleMax),
			r.ScaleUpStep("feature 14", peak)).
		Assess("the load stops and the model steps down to minReplicas, one step per window", r.ScaleDownStep(peak, cycleMin)).
		Assess("the timeline: reaction, settle-down, one up and one down phase, bounds, errors", r.CheckCycleStep(peak, cycleMin)).
		Assess("only the HPA wrote the Deployments' replicas", onlyHPAScaled(r)).
		WithTeardown("write the timeline, restore the controller's args, uninstall KEDA, delete the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}

// onlyHPAScaled is a step that fails unless every Deployment of the run
// had its /scale written by the HPA controller alone (the managed fields
// of the scale subresource).
func onlyHPAScaled(r *load.Run) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		for _, v := range r.Vas {
			d, err := suite.Kube.AppsV1().Deployments(v.Namespace).Get(ctx, v.Target, metav1.GetOptions{})
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
				t.Errorf("Deployment %s/%s: /scale written by %q, want only the HPA controller (%s)", v.Namespace, v.Target, writers, hpaController)
			}
		}
		return ctx
	}
}
