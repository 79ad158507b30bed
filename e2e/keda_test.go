//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/cluster"
	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/keda"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/waits"
)

// Deadlines and settings of the "KEDA runs" feature.
const (
	// kedaMetricDeadline: the external metrics API serves the value.
	kedaMetricDeadline = time.Minute
	// kedaScaleDeadline: the HPA (sync period 15 s) scales the target.
	kedaScaleDeadline = 2 * time.Minute
	kedaScaledObject  = "queue"
	kedaTarget        = "keda-target"
	kedaModel         = "e2e/keda-model"
	// The stub reports kedaQueue waiting requests; the trigger asks for
	// kedaThreshold per replica, so the HPA wants ceil(6/2) = 3 replicas.
	kedaQueue        = 6
	kedaThreshold    = 2
	kedaWantReplicas = 3
	kedaMaxReplicas  = 5
)

// Feature "KEDA runs": KEDA built from its Go module, installed from the
// module's own manifests, scales a Deployment on a Prometheus query through
// the external metrics API: the path metrics actuation takes, where KEDA
// scales on wva_desired_replicas. A vLLM stub reports 6 waiting requests,
// Prometheus scrapes it, a ScaledObject's prometheus trigger asks for 2 per
// replica; KEDA creates the HPA, its metrics server answers 6, and the HPA
// scales the target from 1 to 3 replicas.
func TestKEDARuns(t *testing.T) {
	if os.Getenv("E2E_KEDA_VERSION") == "" {
		t.Skip("KEDA runs: E2E_KEDA_VERSION is not set; run make test-e2e-keda (it builds the KEDA images and sets it)")
	}
	f := fixture.New(suite, "keda")
	var (
		settings   cluster.KedaSettings
		ns         string
		created    time.Time // of the ScaledObject
		metricName string
	)

	feature := features.New("KEDA runs").
		WithLabel("area", "scaling").WithLabel("size", "large").
		WithSetup("register cleanup", f.Setup).
		WithSetup("load the KEDA, stub and Prometheus images", fixture.Steps(fixture.LoadKEDAStep(suite, &settings), f.ScaleUpImagesLoaded)).
		WithSetup("install KEDA from its module's manifests", fixture.InstallKEDAStep(f, &settings, &ns, "KEDA runs")).
		WithSetup("Prometheus scraping a vLLM stub with 6 waiting requests, and a target Deployment", fixture.Steps(
			queuedStubScraped(f, &ns),
			f.DeploymentAvailableWithin(spec.RolloutDeadline, &ns, kedaTarget, 1, nil),
		)).
		Assess("a ScaledObject with a prometheus trigger becomes Ready and KEDA creates its HPA",
			scaledObjectReadyWithin(f, spec.KedaReadyDeadline, &ns, &created, &metricName)).
		Assess("the external metrics API serves the trigger's value", externalMetricServedWithin(kedaMetricDeadline, &ns, &created, &metricName)).
		Assess("the HPA scales the target from 1 to 3 replicas", targetScaledByHPAWithin(kedaScaleDeadline, &ns, &created)).
		WithTeardown("uninstall KEDA, delete the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}

// queuedStubScraped is a setup step that creates the feature's namespace
// (*ns) and deploys there Prometheus scraping a vLLM stub that reports
// kedaQueue waiting requests (fixture.DeployScrapedStub), and fails unless
// the trigger's own query answers kedaQueue within spec.ScrapeDeadline.
func queuedStubScraped(f *fixture.Fixture, ns *string) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		*ns = f.Namespace(ctx, t)
		fixture.DeployScrapedStub(ctx, t, suite, *ns, kedaModel, 0.1, kedaQueue)
		query := kedaQuery(*ns)
		waits.For(ctx, t, "Prometheus has the stub's waiting requests", spec.ScrapeDeadline, waits.Slow,
			func(ctx context.Context) (bool, string, error) {
				got, err := fixture.PromQuery(ctx, suite, *ns, query)
				if err != nil {
					return false, err.Error(), nil
				}
				return len(got) == 1 && got[""] == kedaQueue, fmt.Sprintf("%s -> %v", query, got), nil
			})
		return ctx
	}
}

// scaledObjectReadyWithin is a step that creates the ScaledObject of the
// target in *ns, with a prometheus trigger asking kedaThreshold of
// kedaQuery per replica, records its creation in *created, and fails
// unless it is Ready with an HPA on the target within d
// (fixture.ScaledObjectReady). It keeps the trigger's external metric name
// in *metricName.
func scaledObjectReadyWithin(f *fixture.Fixture, d time.Duration, ns *string, created *time.Time, metricName *string) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		so, err := keda.ScaledObject(*ns, kedaScaledObject, keda.ScaledObjectSpec{
			Target: kedaTarget, MinReplicas: 1, MaxReplicas: kedaMaxReplicas, PollingInterval: 5,
			Triggers: []keda.Trigger{keda.PrometheusTrigger(
				fmt.Sprintf("http://%s.%s.svc:%d", fixture.PromName, *ns, fixture.PromPort), kedaQuery(*ns), fmt.Sprint(kedaThreshold))},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Suite.Dyn.Resource(keda.ScaledObjectResource).Namespace(*ns).Create(ctx, so, metav1.CreateOptions{FieldManager: cluster.FieldManager}); err != nil {
			t.Fatalf("creating ScaledObject %s/%s: %v", *ns, kedaScaledObject, err)
		}
		*created = time.Now()
		var status keda.ScaledObjectStatus
		took := waits.Since(ctx, t, "ScaledObject Ready=True with its HPA", *created, d, waits.Slow,
			fixture.ScaledObjectReady(f.Suite, *ns, kedaScaledObject, 1, fixture.HPAWant{Target: kedaTarget, Min: 1, Max: kedaMaxReplicas}, &status))
		*metricName = status.ExternalMetricNames[0]
		f.Suite.Measure("KEDA runs: ScaledObject created -> Ready with HPA %s", took, status.HPAName)
		return ctx
	}
}

// externalMetricServedWithin is a step that fails unless the external
// metrics API answers kedaQueue for *metricName of the ScaledObject in *ns
// within d of its creation (*created).
func externalMetricServedWithin(d time.Duration, ns *string, created *time.Time, metricName *string) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		path := keda.ExternalMetricPath(*ns, *metricName, kedaScaledObject)
		took := waits.Since(ctx, t, fmt.Sprintf("GET %s = %d", path, kedaQueue), *created, d, waits.Slow,
			func(ctx context.Context) (bool, string, error) {
				values, err := keda.ExternalMetric(ctx, suite.Kube.CoreV1().RESTClient(), *ns, *metricName, kedaScaledObject)
				if err != nil {
					return false, err.Error(), nil
				}
				seen := make([]string, 0, len(values))
				for _, v := range values {
					seen = append(seen, v.MetricName+"="+v.Value.String())
				}
				ok := len(values) == 1 && values[0].Value.AsApproximateFloat64() == kedaQueue
				return ok, fmt.Sprint(seen), nil
			})
		t.Logf("GET %s answered %d after the ScaledObject's creation (%s)", path, kedaQueue, took.Round(time.Millisecond))
		return ctx
	}
}

// targetScaledByHPAWithin is a step that fails unless the HPA scales the
// target in *ns to ceil(kedaQueue/kedaThreshold) replicas, and never above,
// within d of the ScaledObject's creation (*created).
func targetScaledByHPAWithin(d time.Duration, ns *string, created *time.Time) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		want := int32(math.Ceil(float64(kedaQueue) / kedaThreshold))
		if want != kedaWantReplicas {
			t.Fatalf("feature constants: ceil(%d/%d) = %d, want %d", kedaQueue, kedaThreshold, want, kedaWantReplicas)
		}
		took := waits.Since(ctx, t, fmt.Sprintf("Deployment %s spec.replicas = %d", kedaTarget, want), *created, d, waits.Slow,
			func(ctx context.Context) (bool, string, error) {
				dep, err := suite.Kube.AppsV1().Deployments(*ns).Get(ctx, kedaTarget, metav1.GetOptions{})
				if err != nil {
					return false, err.Error(), nil
				}
				got := fixture.ReplicasOf(dep.Spec.Replicas)
				seen := fmt.Sprintf("spec.replicas=%d (ready %d)", got, dep.Status.ReadyReplicas)
				if got > want {
					return false, seen, fmt.Errorf("%s/%s scaled to %d, above ceil(%d/%d) = %d", *ns, kedaTarget, got, kedaQueue, kedaThreshold, want)
				}
				return got == want, seen, nil
			})
		suite.Measure("KEDA runs: ScaledObject created -> target scaled 1 -> %d by KEDA's HPA", took, want)
		return ctx
	}
}

// kedaQuery is the trigger's PromQL: the stub's waiting requests in
// namespace, summed (one series without labels).
func kedaQuery(namespace string) string {
	return fmt.Sprintf("sum(vllm:num_requests_waiting{namespace=%q,model_name=%q})", namespace, kedaModel)
}
