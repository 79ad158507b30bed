package configwatch

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/controller/internal/telemetry"
)

var key = types.NamespacedName{Namespace: "workload-variant-autoscaler-system", Name: "capacity-scaling-config"}

// specData is the spec's production example plus one invalid entry.
var specData = map[string]string{
	"default": "kvCacheThreshold: 0.80\nqueueLengthThreshold: 5\nkvSpareTrigger: 0.1\nqueueSpareTrigger: 3\n",
	"granite-prod": "model_id: ibm/granite-13b\nnamespace: production\nkvCacheThreshold: 0.70\n" +
		"queueLengthThreshold: 3\nkvSpareTrigger: 0.20\nqueueSpareTrigger: 5\n",
	"invalid-config": "model_id: test/model\nnamespace: test\nkvCacheThreshold: 1.5\n",
}

const granitePrecedence = "queueSpareTrigger (5) is greater than queueLengthThreshold (3): the spare queue capacity of a replica " +
	"(queueLengthThreshold minus its queue length) can never reach the trigger, so this model always signals scale-up"

func scheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func configMap(rv string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, ResourceVersion: rv},
		Data:       data,
	}
}

func newTelemetry(t *testing.T) *telemetry.Metrics {
	t.Helper()
	m, err := telemetry.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func va(namespace, name string) *v1alpha1.VariantAutoscaling {
	return &v1alpha1.VariantAutoscaling{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: v1alpha1.VariantAutoscalingSpec{
			ModelID:        "ibm/granite-13b",
			ScaleTargetRef: v1alpha1.ScaleTargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
		},
	}
}

func fakeClient(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	return fake.NewClientBuilder().WithScheme(scheme(t)).WithObjects(objs...).Build()
}

func errReader(err error) client.Reader {
	return readerFunc(func(context.Context, client.ObjectKey, client.Object) error { return err })
}

type readerFunc func(context.Context, client.ObjectKey, client.Object) error

func (f readerFunc) Get(ctx context.Context, k client.ObjectKey, o client.Object, _ ...client.GetOption) error {
	return f(ctx, k, o)
}

func (readerFunc) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return errors.New("not implemented")
}

func mustDiff(t *testing.T, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if diff := cmp.Diff(want, got, opts...); diff != "" {
		t.Errorf("%s: -want +got:\n%s", what, diff)
	}
}

func reloads(m *telemetry.Metrics, result string) float64 {
	return testutil.ToFloat64(m.ConfigReloads.WithLabelValues(result))
}

var corev1Resource = corev1.Resource("configmaps")
