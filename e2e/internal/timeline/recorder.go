package timeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersappsv1 "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"

	"github.com/wva-project/wva/e2e/internal/promquery"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// Config says what to record.
type Config struct {
	// Namespace holds the model's Deployments, VariantAutoscalings and the
	// load generator.
	Namespace string
	// ModelID is the model_name label of the vLLM metrics.
	ModelID string
	// Variants are the model's variants, in column order.
	Variants []Variant
	// Prometheus answers the queries.
	Prometheus promquery.Client
	// Interval is the sampling period (default 1s).
	Interval time.Duration
	// Clock times the samples (default the real clock).
	Clock clock.WithTicker
}

// Variant is one variant to record.
type Variant struct {
	// Name labels the variant's columns.
	Name string
	// Deployment and VariantAutoscaling name its objects.
	Deployment, VariantAutoscaling string
}

// vaResource is the VariantAutoscaling resource.
var vaResource = v1alpha1.GroupVersion.WithResource("variantautoscalings")

// Recorder samples a model until stopped.
type Recorder struct {
	cfg     Config
	dyn     dynamic.Interface
	lister  listersappsv1.DeploymentNamespaceLister
	queries map[string]string
	cancel  context.CancelFunc
	done    chan struct{}

	mu     sync.Mutex
	series Series
}

// Start begins recording: it lists and watches the variants' Deployments,
// waits until the watch has their current state, then samples every
// Interval until Stop.
func Start(ctx context.Context, kube kubernetes.Interface, dyn dynamic.Interface, cfg Config) (*Recorder, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if len(cfg.Variants) == 0 {
		return nil, errors.New("timeline: no variants to record")
	}
	r := &Recorder{cfg: cfg, dyn: dyn, done: make(chan struct{}), queries: queries(cfg.Namespace, cfg.ModelID)}
	r.series.Start = cfg.Clock.Now()
	byDeployment := map[string]string{}
	for _, v := range cfg.Variants {
		r.series.Variants = append(r.series.Variants, v.Name)
		byDeployment[v.Deployment] = v.Name
	}

	ctx, r.cancel = context.WithCancel(ctx)
	factory := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(cfg.Namespace))
	informer := factory.Apps().V1().Deployments()
	seen := func(obj any) {
		d, ok := obj.(*appsv1.Deployment)
		if !ok {
			return
		}
		variant, ok := byDeployment[d.Name]
		if !ok {
			return
		}
		r.observe(variant, replicasOf(d.Spec.Replicas))
	}
	if _, err := informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    seen,
		UpdateFunc: func(_, obj any) { seen(obj) },
	}); err != nil {
		r.cancel()
		return nil, fmt.Errorf("timeline: watching Deployments: %w", err)
	}
	r.lister = informer.Lister().Deployments(cfg.Namespace)
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			r.cancel()
			factory.Shutdown()
			return nil, fmt.Errorf("timeline: the %v watch of namespace %s did not sync", typ, cfg.Namespace)
		}
	}
	go func() {
		defer close(r.done)
		defer factory.Shutdown()
		r.run(ctx)
	}()
	return r, nil
}

// queries are the PromQL of the sample's Prometheus values, by field.
func queries(namespace, model string) map[string]string {
	sel := fmt.Sprintf(`{namespace=%q,model_name=%q}`, namespace, model)
	return map[string]string{
		"running": "sum(vllm:num_requests_running" + sel + ")",
		"waiting": "sum(vllm:num_requests_waiting" + sel + ")",
		"kv":      "avg(vllm:kv_cache_usage_perc" + sel + ")",
		"loadgen": fmt.Sprintf(`sum(loadgen_offered_rps{namespace=%q})`, namespace),
	}
}

// observe records a value of variant's spec.replicas if it changed.
func (r *Recorder) observe(variant string, replicas int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.series.Events) - 1; i >= 0; i-- {
		if e := r.series.Events[i]; e.Variant == variant {
			if e.Replicas == replicas {
				return
			}
			break
		}
	}
	r.series.Events = append(r.series.Events, Event{At: r.cfg.Clock.Now(), Variant: variant, Replicas: replicas})
}

func (r *Recorder) run(ctx context.Context) {
	ticker := r.cfg.Clock.NewTicker(r.cfg.Interval)
	defer ticker.Stop()
	for {
		r.sample(ctx, r.cfg.Clock.Now())
		select {
		case <-ctx.Done():
			return
		case <-ticker.C():
		}
	}
}

// sample reads one Sample taken at now, within one interval.
func (r *Recorder) sample(ctx context.Context, now time.Time) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Interval)
	defer cancel()
	s := Sample{At: now, OfferedRPS: nan, Variants: make([]VariantSample, len(r.cfg.Variants))}

	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	values := map[string]float64{}
	for field, q := range r.queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := r.cfg.Prometheus.Query(ctx, q)
			value := nan
			if err == nil {
				var ok bool
				if value, ok, err = v.Scalar(); !ok {
					value = nan
				}
			}
			mu.Lock()
			defer mu.Unlock()
			values[field] = value
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	desired, err := r.desired(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	wg.Wait()
	s.Running, s.Waiting, s.KVMean, s.LoadgenRPS = values["running"], values["waiting"], values["kv"], values["loadgen"]

	for i, v := range r.cfg.Variants {
		vs := VariantSample{Current: nan, Ready: nan, Desired: nan}
		if d, err := r.lister.Get(v.Deployment); err == nil {
			vs.Current, vs.Ready = float64(replicasOf(d.Spec.Replicas)), float64(d.Status.ReadyReplicas)
		}
		if n, ok := desired[v.VariantAutoscaling]; ok {
			vs.Desired = n
		}
		s.Variants[i] = vs
	}
	if ctx.Err() != nil && len(errs) == 0 {
		errs = append(errs, ctx.Err())
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.series.Samples = append(r.series.Samples, s)
	if len(errs) > 0 {
		r.series.Failed++
		r.series.LastError = errors.Join(errs...).Error()
	}
}

// desired reads status.desiredReplicas of the namespace's
// VariantAutoscalings, by name; a VA without status is left out.
func (r *Recorder) desired(ctx context.Context) (map[string]float64, error) {
	list, err := r.dyn.Resource(vaResource).Namespace(r.cfg.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing VariantAutoscalings: %w", err)
	}
	out := make(map[string]float64, len(list.Items))
	for _, item := range list.Items {
		if n, ok, _ := unstructured.NestedInt64(item.Object, "status", "desiredReplicas"); ok {
			out[item.GetName()] = float64(n)
		} else if _, hasStatus, _ := unstructured.NestedMap(item.Object, "status"); hasStatus {
			out[item.GetName()] = 0 // omitempty: a written status with 0 desired
		}
	}
	return out, nil
}

// Snapshot returns a copy of what was recorded so far.
func (r *Recorder) Snapshot() Series {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.series
	s.Variants = append([]string(nil), s.Variants...)
	s.Samples = append([]Sample(nil), s.Samples...)
	s.Events = append([]Event(nil), s.Events...)
	return s
}

// Stop ends the recording and returns the series. It is safe to call more
// than once.
func (r *Recorder) Stop() Series {
	r.cancel()
	<-r.done
	return r.Snapshot()
}

func replicasOf(p *int32) int32 {
	if p == nil {
		return 1 // the API server's default
	}
	return *p
}
