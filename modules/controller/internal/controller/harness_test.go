package controller

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/actuation"
	"github.com/wva-project/wva/modules/controller/internal/metricsource"
	"github.com/wva-project/wva/modules/controller/internal/scaletest"
	"github.com/wva-project/wva/modules/controller/internal/telemetry"
)

const (
	ns       = "production"
	model    = "ibm/granite-13b"
	interval = 30 * time.Second
	window   = 5 * time.Minute
	grace    = 5 * time.Minute
	settle   = time.Minute
)

var start = time.Date(2025, 11, 26, 12, 0, 0, 0, time.UTC)

func fmtInt(i int32) string { return strconv.Itoa(int(i)) }

type harness struct {
	t         *testing.T
	client    client.Client
	scales    *scaletest.Fake
	store     *capacity.Store
	source    *countingSource
	clock     *clocktesting.FakeClock
	recorder  *events.FakeRecorder
	telemetry *telemetry.Metrics
	va        *VariantAutoscalingReconciler
	model     *ModelReconciler
	patches   int
	conflicts int // status patches still to fail with a conflict
}

type harnessOpts struct {
	noSource bool
	metrics  bool // metrics-only actuation
	objects  []client.Object
	source   metricsource.Source // replaces the Static source
}

// countingSource counts the calls of the source it wraps.
type countingSource struct {
	metricsource.Source
	calls int
}

func (c *countingSource) ModelMetrics(ctx context.Context, namespace, modelID string) (map[string]capacity.ReplicaMetrics, error) {
	c.calls++
	return c.Source.ModelMetrics(ctx, namespace, modelID)
}

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	static := &metricsource.Static{Metrics: map[string]capacity.ReplicaMetrics{}}
	h := &harness{
		t:        t,
		scales:   scaletest.New(),
		store:    capacity.NewStore(capacity.Parse(map[string]string{"default": "kvCacheThreshold: 0.80\n"}, "7")),
		source:   &countingSource{Source: static},
		clock:    clocktesting.NewFakeClock(start),
		recorder: events.NewFakeRecorder(100),
	}
	funcs := h.scales.Funcs()
	funcs.SubResourcePatch = func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
		h.patches++
		if h.conflicts > 0 {
			h.conflicts--
			return apierrors.NewConflict(v1alpha1.GroupVersion.WithResource("variantautoscalings").GroupResource(), obj.GetName(), errors.New("stale"))
		}
		return c.SubResource(sub).Patch(ctx, obj, p, opts...)
	}
	h.client = fake.NewClientBuilder().WithScheme(s).
		WithStatusSubresource(&v1alpha1.VariantAutoscaling{}).
		WithIndex(&v1alpha1.VariantAutoscaling{}, IndexModelID, ModelIDIndexer).
		WithObjects(o.objects...).
		WithInterceptorFuncs(funcs).
		Build()
	tel, err := telemetry.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	h.telemetry = tel
	var actuator actuation.Actuator = &actuation.ScaleSubresource{Client: h.client}
	if o.metrics {
		actuator = actuation.MetricsOnly{}
	}
	d := Dependencies{
		Client: h.client, Store: h.store, MetricsSource: h.source, Actuator: actuator, Recorder: h.recorder,
		Telemetry: tel, Clock: h.clock, Interval: interval, Stabilization: window,
		Timing: Timing{StartupGrace: grace, Settle: settle},
	}
	switch {
	case o.noSource:
		d.MetricsSource = nil
	case o.source != nil:
		d.MetricsSource = o.source
	}
	h.va = NewVariantAutoscalingReconciler(d)
	h.model = NewModelReconciler(d)
	return h
}

// variant returns a VariantAutoscaling of the harness's model targeting the
// Deployment of the same name.
func variant(name, cost string, minReplicas int32, maxReplicas *int32) *v1alpha1.VariantAutoscaling {
	return &v1alpha1.VariantAutoscaling{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 3},
		Spec: v1alpha1.VariantAutoscalingSpec{
			ScaleTargetRef: v1alpha1.ScaleTargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
			ModelID:        model,
			VariantCost:    cost,
			MinReplicas:    ptr.To(minReplicas),
			MaxReplicas:    maxReplicas,
		},
	}
}

// pod is a pod of target that has been Ready for an hour.
func pod(target string, i int) *corev1.Pod {
	p := pendingPod(target, i, start.Add(-time.Hour))
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue,
		LastTransitionTime: metav1.NewTime(start.Add(-time.Hour))}}
	return p
}

// pendingPod is a pod of target created at created and not Ready yet.
func pendingPod(target string, i int, created time.Time) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: target + "-" + fmtInt(int32(i)), Labels: map[string]string{"app": target},
			CreationTimestamp: metav1.NewTime(created)},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
}

// markReady makes a pod Ready at the harness's current time.
func (h *harness) markReady(name string) {
	h.t.Helper()
	p := &corev1.Pod{}
	if err := h.client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, p); err != nil {
		h.t.Fatal(err)
	}
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(h.clock.Now())}}
	if err := h.client.Status().Update(context.Background(), p); err != nil {
		h.t.Fatal(err)
	}
}

// addPod creates a pod.
func (h *harness) addPod(p *corev1.Pod) {
	h.t.Helper()
	if err := h.client.Create(context.Background(), p); err != nil {
		h.t.Fatal(err)
	}
}

// metrics sets the metrics of a pod.
func (h *harness) metrics(pod string, kv, queue float64) {
	h.source.Source.(*metricsource.Static).Set(ns, pod, capacity.ReplicaMetrics{KvCacheUsage: kv, HasKvCacheUsage: true, QueueLength: queue, HasQueueLength: true})
}

// reconcile runs the VariantAutoscaling controller (configuration status).
func (h *harness) reconcile(ctx context.Context, name string) ctrl.Result {
	h.t.Helper()
	res, err := h.va.Reconcile(ctx, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}})
	if err != nil {
		h.t.Fatalf("Reconcile(%s): %v", name, err)
	}
	return res
}

// pass runs one pass of the model controller over the harness's model.
func (h *harness) pass(ctx context.Context) reconcile.Result {
	h.t.Helper()
	res, err := h.model.Reconcile(ctx, ModelKey{Namespace: ns, ModelID: model})
	if err != nil {
		h.t.Fatalf("model pass: %v", err)
	}
	return res
}

// setReplicas changes a Deployment's replicas as another writer (an HPA) would.
func (h *harness) setReplicas(name string, replicas int32) {
	sc := h.scales.Scale(ns, name)
	sc.Spec.Replicas = replicas
	sc.ResourceVersion += "1"
	h.scales.Set(sc)
}

func (h *harness) get(name string) *v1alpha1.VariantAutoscaling {
	h.t.Helper()
	va := &v1alpha1.VariantAutoscaling{}
	if err := h.client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, va); err != nil {
		h.t.Fatalf("getting %s: %v", name, err)
	}
	return va
}

// conditions summarises conditions as type => "Status/Reason".
func conditions(va *v1alpha1.VariantAutoscaling) map[string]string {
	out := map[string]string{}
	for _, c := range va.Status.Conditions {
		out[c.Type] = string(c.Status) + "/" + c.Reason
		if c.ObservedGeneration != va.Generation {
			out[c.Type] += "/stale-generation"
		}
	}
	return out
}

func (h *harness) events() []string {
	var out []string
	for {
		select {
		case e := <-h.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}
