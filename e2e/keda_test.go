//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/apply"
	"github.com/wva-project/wva/e2e/keda"
)

// Deadlines and settings of the "KEDA runs" feature.
const (
	// kedaInstallDeadline bounds each wait of the install: the operator,
	// then the metrics server, then the APIService. The metrics server
	// starts only once the operator has written its certificates into
	// the kedaorg-certs Secret and the kubelet has refreshed the volume.
	kedaInstallDeadline = 4 * time.Minute
	// kedaReadyDeadline: the ScaledObject is Ready and its HPA exists.
	kedaReadyDeadline = time.Minute
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

// kedaSettings configure the feature. They come from the environment only
// (`make test-e2e-keda` sets them), so that the suite's own options stay
// as they are; without E2E_KEDA_VERSION the feature is skipped.
type kedaSettings struct {
	// version is the module version, e.g. v2.21.0.
	version string
	// configDir is the module's config/ directory; empty: found with
	// `go mod download -json`.
	configDir string
	// Images and, in kind mode, the tarballs to load them from.
	operatorImage, operatorArchive           string
	metricsServerImage, metricsServerArchive string
}

func kedaSettingsFromEnv() (kedaSettings, error) {
	s := kedaSettings{
		version:              os.Getenv("E2E_KEDA_VERSION"),
		configDir:            os.Getenv("E2E_KEDA_CONFIG_DIR"),
		operatorImage:        os.Getenv("E2E_KEDA_OPERATOR_IMAGE"),
		operatorArchive:      os.Getenv("E2E_KEDA_OPERATOR_IMAGE_TAR"),
		metricsServerImage:   os.Getenv("E2E_KEDA_METRICS_SERVER_IMAGE"),
		metricsServerArchive: os.Getenv("E2E_KEDA_METRICS_SERVER_IMAGE_TAR"),
	}
	tag := strings.TrimPrefix(s.version, "v")
	if s.operatorImage == "" {
		s.operatorImage = "localhost/wva-e2e/keda:" + tag
	}
	if s.metricsServerImage == "" {
		s.metricsServerImage = "localhost/wva-e2e/keda-metrics-apiserver:" + tag
	}
	var errs []error
	if suite.cluster != nil {
		for _, a := range []struct{ env, path string }{
			{"E2E_KEDA_OPERATOR_IMAGE_TAR", s.operatorArchive},
			{"E2E_KEDA_METRICS_SERVER_IMAGE_TAR", s.metricsServerArchive},
		} {
			if a.path == "" {
				errs = append(errs, fmt.Errorf("%s is not set: kind mode loads the image from it (make keda-images writes it)", a.env))
			} else if _, err := os.Stat(a.path); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w (make keda-images writes it)", a.env, err))
			}
		}
	}
	return s, errors.Join(errs...)
}

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
	f := suite.newFixture("keda")
	var (
		settings   kedaSettings
		ns         string
		createdAt  time.Time // of the ScaledObject
		metricName string
	)

	feature := features.New("KEDA runs").
		WithLabel("area", "scaling").WithLabel("size", "large").
		WithSetup("register cleanup", f.setup).
		WithSetup("load the KEDA, stub and Prometheus images", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			ctx = loadKEDAStep(&settings)(ctx, t, cfg)
			suite.loadScaleUpImages(ctx, t)
			return ctx
		}).
		WithSetup("install KEDA from its module's manifests", installKEDAStep(f, &settings, &ns, "KEDA runs")).
		WithSetup("Prometheus scraping a vLLM stub with 6 waiting requests, and a target Deployment", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			ns = f.namespace(ctx, t)
			if err := deployPrometheus(ctx, ns, suite.opts.promImage, scrapeWorkloads); err != nil {
				t.Fatal(err)
			}
			create := metav1.CreateOptions{FieldManager: fieldManager}
			stub := stubDeployment(ns, suite.opts.stubImage, kedaModel, 0.1, kedaQueue, 1)
			if _, err := suite.kube.AppsV1().Deployments(ns).Create(ctx, stub, create); err != nil {
				t.Fatalf("creating Deployment %s/%s: %v", ns, stub.Name, err)
			}
			target := pauseDeployment(ns, kedaTarget, 1)
			if _, err := suite.kube.AppsV1().Deployments(ns).Create(ctx, target, create); err != nil {
				t.Fatalf("creating Deployment %s/%s: %v", ns, target.Name, err)
			}
			for _, name := range []string{promName, stubName, kedaTarget} {
				if _, err := apply.WaitDeploymentAvailable(ctx, suite.kube, ns, name, rolloutDeadline, slowPoll); err != nil {
					t.Fatal(err)
				}
			}
			query := kedaQuery(ns)
			waitFor(ctx, t, "Prometheus has the stub's waiting requests", scrapeDeadline, slowPoll,
				func(ctx context.Context) (bool, string, error) {
					got, err := promQuery(ctx, ns, query)
					if err != nil {
						return false, err.Error(), nil
					}
					return len(got) == 1 && got[""] == kedaQueue, fmt.Sprintf("%s -> %v", query, got), nil
				})
			return ctx
		}).
		Assess("a ScaledObject with a prometheus trigger becomes Ready and KEDA creates its HPA", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			so, err := keda.ScaledObject(ns, kedaScaledObject, keda.ScaledObjectSpec{
				Target: kedaTarget, MinReplicas: 1, MaxReplicas: kedaMaxReplicas, PollingInterval: 5,
				Triggers: []keda.Trigger{keda.PrometheusTrigger(
					fmt.Sprintf("http://%s.%s.svc:%d", promName, ns, promPort), kedaQuery(ns), fmt.Sprint(kedaThreshold))},
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := suite.dyn.Resource(keda.ScaledObjectResource).Namespace(ns).Create(ctx, so, metav1.CreateOptions{FieldManager: fieldManager}); err != nil {
				t.Fatalf("creating ScaledObject %s/%s: %v", ns, kedaScaledObject, err)
			}
			createdAt = time.Now()
			var status keda.ScaledObjectStatus
			took := waitSince(ctx, t, "ScaledObject Ready=True with its HPA", createdAt, kedaReadyDeadline, slowPoll,
				func(ctx context.Context) (bool, string, error) {
					obj, err := suite.dyn.Resource(keda.ScaledObjectResource).Namespace(ns).Get(ctx, kedaScaledObject, metav1.GetOptions{})
					if err != nil {
						return false, err.Error(), nil
					}
					status = keda.StatusOf(obj)
					if status.Ready != string(metav1.ConditionTrue) || status.HPAName == "" || len(status.ExternalMetricNames) != 1 {
						return false, status.String(), nil
					}
					hpa, err := suite.kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, status.HPAName, metav1.GetOptions{})
					if err != nil {
						return false, status.String() + "; HPA: " + err.Error(), nil
					}
					if hpa.Spec.ScaleTargetRef.Name != kedaTarget || hpa.Spec.MaxReplicas != kedaMaxReplicas {
						return false, fmt.Sprintf("%s; HPA targets %s, max %d", status, hpa.Spec.ScaleTargetRef.Name, hpa.Spec.MaxReplicas), nil
					}
					return true, status.String(), nil
				})
			metricName = status.ExternalMetricNames[0]
			suite.measure("KEDA runs: ScaledObject created -> Ready with HPA %s", took, status.HPAName)
			return ctx
		}).
		Assess("the external metrics API serves the trigger's value", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			path := keda.ExternalMetricPath(ns, metricName, kedaScaledObject)
			took := waitSince(ctx, t, "GET "+path+" = 6", createdAt, kedaMetricDeadline, slowPoll,
				func(ctx context.Context) (bool, string, error) {
					values, err := keda.ExternalMetric(ctx, suite.kube.CoreV1().RESTClient(), ns, metricName, kedaScaledObject)
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
		}).
		Assess("the HPA scales the target from 1 to 3 replicas", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			want := int32(math.Ceil(float64(kedaQueue) / kedaThreshold))
			if want != kedaWantReplicas {
				t.Fatalf("feature constants: ceil(%d/%d) = %d, want %d", kedaQueue, kedaThreshold, want, kedaWantReplicas)
			}
			took := waitSince(ctx, t, fmt.Sprintf("Deployment %s spec.replicas = %d", kedaTarget, want), createdAt, kedaScaleDeadline, slowPoll,
				func(ctx context.Context) (bool, string, error) {
					d, err := suite.kube.AppsV1().Deployments(ns).Get(ctx, kedaTarget, metav1.GetOptions{})
					if err != nil {
						return false, err.Error(), nil
					}
					got := replicasOf(d.Spec.Replicas)
					seen := fmt.Sprintf("spec.replicas=%d (ready %d)", got, d.Status.ReadyReplicas)
					if got > want {
						return false, seen, fmt.Errorf("%s/%s scaled to %d, above ceil(%d/%d) = %d", ns, kedaTarget, got, kedaQueue, kedaThreshold, want)
					}
					return got == want, seen, nil
				})
			suite.measure("KEDA runs: ScaledObject created -> target scaled 1 -> %d by KEDA's HPA", took, want)
			return ctx
		}).
		WithTeardown("uninstall KEDA, delete the namespace", f.teardownStep).
		Feature()

	suite.env.Test(t, feature)
}

// loadKEDAStep is a Setup step that reads the KEDA settings from the
// environment into settings and loads the KEDA images into the cluster.
func loadKEDAStep(settings *kedaSettings) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		var err error
		if *settings, err = kedaSettingsFromEnv(); err != nil {
			t.Fatal(err)
		}
		suite.loadKEDAImages(ctx, t, *settings)
		return ctx
	}
}

// installKEDAStep is a Setup step that installs KEDA from its module's
// manifests and waits until it serves the external metrics API; the
// feature's teardown uninstalls it, after exporting KEDA's logs and the
// ScaledObjects and HPAs of *ns when the feature failed. The install's
// times are measured under the feature's name.
func installKEDAStep(f *fixture, settings *kedaSettings, ns *string, feature string) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		objs := renderKEDA(ctx, t, *settings)
		opts := keda.InstallOptions{FieldManager: fieldManager, Timeout: kedaInstallDeadline}
		// Registered before installing: a half-done install is removed too.
		f.onTeardown("uninstalling KEDA", func(ctx context.Context) error {
			if t.Failed() {
				suite.exportKEDA(ctx, t, *ns)
			}
			start := time.Now()
			err := keda.Uninstall(ctx, suite.rest, objs, opts)
			if err == nil {
				t.Logf("KEDA uninstalled in %s", time.Since(start).Round(time.Millisecond))
			}
			return err
		})
		res, err := keda.Install(ctx, suite.rest, objs, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("KEDA %s: %d objects applied in %s; after that, operator available %s, metrics server available %s, APIService %s Available %s",
			settings.version, len(objs), res.Applied.Round(time.Millisecond), res.OperatorAvailable.Round(time.Millisecond),
			res.MetricsServerAvailable.Round(time.Millisecond), keda.APIServiceName, res.APIServiceAvailable.Round(time.Millisecond))
		suite.measure("%s: KEDA applied -> operator available", res.OperatorAvailable, feature)
		suite.measure("%s: KEDA applied -> metrics server available", res.MetricsServerAvailable, feature)
		suite.measure("%s: KEDA applied -> APIService %s Available", res.APIServiceAvailable, feature, keda.APIServiceName)
		return ctx
	}
}

// kedaQuery is the trigger's PromQL: the stub's waiting requests in
// namespace, summed (one series without labels).
func kedaQuery(namespace string) string {
	return fmt.Sprintf("sum(vllm:num_requests_waiting{namespace=%q,model_name=%q})", namespace, kedaModel)
}

// renderKEDA renders KEDA's manifests from the module's config directory.
func renderKEDA(ctx context.Context, t *testing.T, s kedaSettings) []*unstructured.Unstructured {
	t.Helper()
	configDir := s.configDir
	if configDir == "" {
		dir, err := keda.ModuleDir(ctx, "", s.version)
		if err != nil {
			t.Fatal(err)
		}
		configDir = filepath.Join(dir, "config")
	}
	objs, err := keda.Render(keda.Options{
		ConfigDir:          configDir,
		Version:            strings.TrimPrefix(s.version, "v"),
		OperatorImage:      s.operatorImage,
		MetricsServerImage: s.metricsServerImage,
	})
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// loadKEDAImages loads the operator and metrics server images into the kind
// cluster. In existing mode the nodes must have them already.
func (s *Suite) loadKEDAImages(ctx context.Context, t *testing.T, k kedaSettings) {
	t.Helper()
	if s.cluster == nil {
		t.Logf("existing mode: images %s and %s must be present on the nodes", k.operatorImage, k.metricsServerImage)
		return
	}
	for _, img := range []struct{ image, archive string }{
		{k.operatorImage, k.operatorArchive},
		{k.metricsServerImage, k.metricsServerArchive},
	} {
		start := time.Now()
		if err := s.cluster.LoadImageArchive(ctx, img.archive); err != nil {
			t.Fatalf("loading %s from %s: %v", img.image, img.archive, err)
		}
		t.Logf("loaded %s in %s", img.image, time.Since(start).Round(time.Millisecond))
	}
}

// exportKEDA writes KEDA's pods and their logs, and the feature's
// ScaledObjects and HPAs, to the test's artifacts directory.
func (s *Suite) exportKEDA(ctx context.Context, t *testing.T, namespace string) {
	dir := filepath.Join(s.artifactPath(t.Name()), "keda")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("exporting KEDA: %v", err)
		return
	}
	var errs []error
	pods, err := s.kube.CoreV1().Pods(keda.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		errs = append(errs, fmt.Errorf("listing KEDA's pods: %w", err))
	} else {
		errs = append(errs, writeJSON(filepath.Join(dir, "pods.json"), pods.Items))
		for _, p := range pods.Items {
			for _, c := range p.Spec.Containers {
				raw, err := s.kube.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: c.Name, Timestamps: true}).DoRaw(ctx)
				if err != nil {
					errs = append(errs, fmt.Errorf("log of %s/%s: %w", p.Name, c.Name, err))
					continue
				}
				errs = append(errs, os.WriteFile(filepath.Join(dir, p.Name+".log"), raw, 0o644))
			}
		}
	}
	if namespace != "" {
		if list, err := s.dyn.Resource(keda.ScaledObjectResource).Namespace(namespace).List(ctx, metav1.ListOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("listing ScaledObjects: %w", err))
		} else {
			errs = append(errs, writeJSON(filepath.Join(dir, "scaledobjects.json"), list.Items))
		}
		if list, err := s.kube.AutoscalingV2().HorizontalPodAutoscalers(namespace).List(ctx, metav1.ListOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("listing HPAs: %w", err))
		} else {
			errs = append(errs, writeJSON(filepath.Join(dir, "hpas.json"), list.Items))
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Logf("exporting KEDA: %v", err)
	}
	t.Logf("KEDA artifacts: %s", dir)
}
