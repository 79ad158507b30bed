//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/cluster"
	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/manifests"
	"github.com/wva-project/wva/e2e/internal/spec"
	"github.com/wva-project/wva/e2e/internal/waits"
)

// Admission messages and deadlines (modules/controller/internal/admission).
const (
	msgRejected = "Capacity scaling ConfigMap rejected (--config-admission=enforce), fix or remove the invalid entries"
	// admissionDeadline bounds the wait for the webhook to answer: the
	// controller issues its certificate into the Secret and patches the
	// caBundle at startup; until then failurePolicy Ignore admits silently.
	admissionDeadline = time.Minute
	// typoKey is the entry with the typo the features apply.
	typoKey = "granite"
)

// typoData is a valid default and an override with a misspelt field.
var typoData = map[string]string{
	"default": fixture.DefaultEntry,
	typoKey:   fixture.Entry("model_id: ibm/granite-13b", "namespace: production", "kvCacheTreshold: 0.7"),
}

// typoReason is what the spec's reason for typoKey contains.
const typoReason = `unknown field "kvCacheTreshold"`

// warningRecorder is a rest.WarningHandler keeping what the API server
// returned in Warning headers.
type warningRecorder struct {
	mu   sync.Mutex
	seen []string
}

func (w *warningRecorder) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, text)
}

func (w *warningRecorder) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.seen
	w.seen = nil
	return out
}

// configMapsWithWarnings is the ConfigMaps client of the controller's
// namespace on a client that records the API server's warnings.
func configMapsWithWarnings(t *testing.T) (configMapPut, *warningRecorder) {
	t.Helper()
	rec := &warningRecorder{}
	cfg := rest.CopyConfig(suite.REST)
	cfg.WarningHandler = rec
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cms := kube.CoreV1().ConfigMaps(manifests.Namespace)
	put := func(ctx context.Context, data map[string]string, dryRun bool) error {
		var dry []string
		if dryRun {
			dry = []string{metav1.DryRunAll}
		}
		cur, err := cms.Get(ctx, manifests.ConfigMapName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: manifests.Namespace, Name: manifests.ConfigMapName}, Data: data}
			_, err = cms.Create(ctx, cm, metav1.CreateOptions{FieldManager: cluster.FieldManager, DryRun: dry})
			return err
		}
		if err != nil {
			return err
		}
		cur.Data = data
		_, err = cms.Update(ctx, cur, metav1.UpdateOptions{FieldManager: cluster.FieldManager, DryRun: dry})
		return err
	}
	return put, rec
}

// Feature 15: the validating webhook for the ConfigMap. In warn mode (the
// default) a ConfigMap with a typo is stored and `kubectl apply` shows the
// spec's reason as a warning; in enforce mode the same write is rejected
// with the reason, and a valid ConfigMap still goes through.
func TestConfigAdmission(t *testing.T) {
	f := fixture.New(suite, "admission")
	put, warnings := configMapsWithWarnings(t)

	feature := features.New("config admission: warn and enforce").
		WithLabel("area", "security").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("no ConfigMap", f.NoConfigMap).
		Assess("warn: a ConfigMap with a typo is stored, with the spec's reason as a warning", warnModeStoresWithWarning(put, warnings)).
		Assess("enforce: the same write is rejected with the reason; a valid one is admitted", enforceModeRejects(f, put)).
		WithTeardown("restore the controller's args, delete the ConfigMap", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}

// configMapPut writes the ConfigMap with data, as a dry run when dryRun.
type configMapPut func(ctx context.Context, data map[string]string, dryRun bool) error

// warnModeStoresWithWarning is a step that dry-runs the ConfigMap with the
// typo until the webhook answers with the spec's reason as a warning
// (within admissionDeadline), then writes it for real and fails unless the
// write is stored with the same warning.
func warnModeStoresWithWarning(put configMapPut, warnings *warningRecorder) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		// Dry runs until the webhook answers (its certificate is ready).
		waits.For(ctx, t, "a dry-run write returns the warning", admissionDeadline, waits.Slow, func(ctx context.Context) (bool, string, error) {
			if err := put(ctx, typoData, true); err != nil {
				return false, err.Error(), nil
			}
			got := warnings.take()
			return hasWarning(got, spec.MsgInvalidEntry, "key="+typoKey, typoReason), fmt.Sprintf("warnings %q", got), nil
		})
		if err := put(ctx, typoData, false); err != nil {
			t.Fatalf("warn mode rejected the write: %v", err)
		}
		if got := warnings.take(); !hasWarning(got, spec.MsgInvalidEntry, "key="+typoKey, typoReason) {
			t.Errorf("the stored write returned warnings %q, want the invalid entry %s", got, typoKey)
		}
		cm, err := suite.Kube.CoreV1().ConfigMaps(manifests.Namespace).Get(ctx, manifests.ConfigMapName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cm.Data[typoKey] != typoData[typoKey] {
			t.Errorf("ConfigMap holds %q under %s, want the written entry", cm.Data[typoKey], typoKey)
		}
		return ctx
	}
}

// enforceModeRejects is a step that restarts the controller with
// --config-admission=enforce (its args restored at teardown), waits until
// a write with the typo is rejected with the spec's reason (within
// admissionDeadline), and fails if a valid ConfigMap is then rejected.
func enforceModeRejects(f *fixture.Fixture, put configMapPut) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		orig, err := suite.ControllerArgs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f.OnTeardown("restoring the controller's args", func(ctx context.Context) error {
			_, err := suite.SetControllerArgs(ctx, orig, spec.RolloutDeadline)
			return err
		})
		if _, err := suite.SetControllerArgs(ctx, cluster.WithFlags(orig, "--config-admission=enforce"), spec.RolloutDeadline); err != nil {
			t.Fatal(err)
		}
		bad := map[string]string{"default": fixture.DefaultEntry, typoKey: typoData[typoKey] + "queueLengthThreshold: 7\n"}
		var rejection string
		waits.For(ctx, t, "the write with the typo is rejected", admissionDeadline, waits.Slow, func(ctx context.Context) (bool, string, error) {
			err := put(ctx, bad, true)
			if err == nil {
				return false, "admitted", nil
			}
			rejection = err.Error()
			return strings.Contains(rejection, msgRejected) && strings.Contains(rejection, "key="+typoKey) &&
				strings.Contains(rejection, typoReason), rejection, nil
		})
		t.Logf("rejected: %s", rejection)
		if err := put(ctx, map[string]string{"default": fixture.DefaultEntry}, false); err != nil {
			t.Errorf("enforce mode rejected a valid ConfigMap: %v", err)
		}
		return ctx
	}
}

// hasWarning reports whether one of warnings contains every part.
func hasWarning(warnings []string, parts ...string) bool {
	for _, w := range warnings {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(w, p)
		}
		if ok {
			return true
		}
	}
	return false
}
