package keda

import (
	"context"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/utils/clock"

	"github.com/wva-project/wva/e2e/internal/apply"
	"github.com/wva-project/wva/e2e/internal/poll"
)

// apiServiceResource is the resource of APIServices.
var apiServiceResource = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

// InstallOptions tune Install and Uninstall.
type InstallOptions struct {
	// FieldManager owns the applied fields (default "wva-keda").
	FieldManager string
	// Timeout bounds each wait: CRDs Established, each Deployment
	// available, the APIService Available; in Uninstall, the custom
	// resources and the namespace gone (default 3m).
	Timeout time.Duration
	// Interval is how often the waits poll (default 500ms).
	Interval time.Duration
}

func (o InstallOptions) withDefaults() InstallOptions {
	if o.FieldManager == "" {
		o.FieldManager = "wva-keda"
	}
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Minute
	}
	if o.Interval <= 0 {
		o.Interval = 500 * time.Millisecond
	}
	return o
}

// Result says how long each part of an install took, measured from the
// moment every object was applied.
type Result struct {
	// Applied is how long applying the objects took (CRDs Established
	// included).
	Applied time.Duration
	// OperatorAvailable, MetricsServerAvailable and APIServiceAvailable
	// are when the keda-operator Deployment, the keda-metrics-apiserver
	// Deployment and the v1beta1.external.metrics.k8s.io APIService (with
	// discovery answering) became available, after the objects were
	// applied.
	OperatorAvailable      time.Duration
	MetricsServerAvailable time.Duration
	APIServiceAvailable    time.Duration
}

// Install server-side applies objs (what Render returns) to the cluster of
// cfg and waits until KEDA serves the external metrics API: both
// Deployments available, the APIService Available and its group/version in
// discovery. Applying is idempotent, so Install on a cluster that has KEDA
// updates it.
func Install(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured, opts InstallOptions) (Result, error) {
	opts = opts.withDefaults()
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return Result{}, fmt.Errorf("installing KEDA: kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return Result{}, fmt.Errorf("installing KEDA: dynamic client: %w", err)
	}
	applier, err := apply.New(cfg, opts.FieldManager)
	if err != nil {
		return Result{}, fmt.Errorf("installing KEDA: %w", err)
	}
	applier.Interval = opts.Interval

	start := time.Now()
	if err := applier.Apply(ctx, objs, apply.Options{CRDTimeout: opts.Timeout}); err != nil {
		return Result{}, fmt.Errorf("installing KEDA: %w", err)
	}
	res := Result{Applied: time.Since(start)}
	applied := time.Now()
	for _, d := range []struct {
		name string
		took *time.Duration
	}{
		{OperatorDeployment, &res.OperatorAvailable},
		{MetricsServerDeployment, &res.MetricsServerAvailable},
	} {
		if _, err := apply.WaitDeploymentAvailable(ctx, kube, Namespace, d.name, opts.Timeout, opts.Interval); err != nil {
			return res, fmt.Errorf("installing KEDA: %w", err)
		}
		*d.took = time.Since(applied)
	}
	if err := waitAPIServiceAvailable(ctx, kube.Discovery(), dyn, opts); err != nil {
		return res, fmt.Errorf("installing KEDA: %w", err)
	}
	res.APIServiceAvailable = time.Since(applied)
	return res, nil
}

// waitAPIServiceAvailable waits until the APIService has condition
// Available=True (the aggregator reached the metrics server) and discovery
// lists the external metrics group/version.
func waitAPIServiceAvailable(ctx context.Context, disc discovery.DiscoveryInterface, dyn dynamic.Interface, opts InstallOptions) error {
	_, err := poll.Until(ctx, clock.RealClock{}, opts.Timeout, opts.Interval, func(ctx context.Context) (bool, string, error) {
		svc, err := dyn.Resource(apiServiceResource).Get(ctx, APIServiceName, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Sprintf("get failed: %v", err), nil
		}
		status, reason, message := condition(svc, "Available")
		if status != string(metav1.ConditionTrue) {
			return false, fmt.Sprintf("Available=%s %s: %s", status, reason, message), nil
		}
		if _, err := disc.ServerResourcesForGroupVersion(ExternalMetricsGroupVersion); err != nil {
			return false, fmt.Sprintf("Available=True, discovery of %s failed: %v", ExternalMetricsGroupVersion, err), nil
		}
		return true, "Available=True, discovery answers", nil
	})
	if err != nil {
		return fmt.Errorf("APIService %s not available: %w", APIServiceName, err)
	}
	return nil
}

// Uninstall deletes what Install applied. The custom resources of KEDA's
// CRDs (ScaledObjects, TriggerAuthentications, ...) go first, while the
// operator still runs to remove its finalizers from them (otherwise they,
// and their namespaces, would never finish deleting); then the APIService,
// since an unavailable aggregated API fails discovery and holds up every
// namespace deletion in the cluster; then the rest in reverse order. It
// waits until the keda namespace is gone. Objects already gone are fine.
func Uninstall(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured, opts InstallOptions) error {
	opts = opts.withDefaults()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("uninstalling KEDA: dynamic client: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("uninstalling KEDA: discovery client: %w", err)
	}
	crds, others := apply.SplitCRDs(objs)
	for _, crd := range crds {
		if err := deleteCustomResources(ctx, dyn, crd, opts); err != nil {
			return fmt.Errorf("uninstalling KEDA: %w", err)
		}
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	var apiServices, rest []*unstructured.Unstructured
	for _, o := range others {
		if o.GetKind() == "APIService" {
			apiServices = append(apiServices, o)
		} else {
			rest = append(rest, o)
		}
	}
	slices.Reverse(rest)
	for _, o := range slices.Concat(apiServices, rest, crds) {
		if err := deleteObject(ctx, dyn, mapper, o); err != nil {
			return fmt.Errorf("uninstalling KEDA: %w", err)
		}
	}
	_, err = poll.Until(ctx, clock.RealClock{}, opts.Timeout, opts.Interval, func(ctx context.Context) (bool, string, error) {
		ns, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Get(ctx, Namespace, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, "gone", nil
		}
		if err != nil {
			return false, fmt.Sprintf("get failed: %v", err), nil
		}
		phase, _, _ := unstructured.NestedString(ns.Object, "status", "phase")
		return false, "phase " + phase, nil
	})
	if err != nil {
		return fmt.Errorf("uninstalling KEDA: namespace %s not deleted: %w", Namespace, err)
	}
	return nil
}

// deleteCustomResources deletes every object of the CRD crd in the cluster
// and waits until none is left.
func deleteCustomResources(ctx context.Context, dyn dynamic.Interface, crd *unstructured.Unstructured, opts InstallOptions) error {
	gvr, err := crdResource(crd)
	if err != nil {
		return err
	}
	list := func(ctx context.Context) ([]unstructured.Unstructured, error) {
		l, err := dyn.Resource(gvr).List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
			return nil, nil // the CRD is gone already
		}
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", gvr.GroupResource(), err)
		}
		return l.Items, nil
	}
	items, err := list(ctx)
	if err != nil {
		return err
	}
	for _, item := range items {
		err := dyn.Resource(gvr).Namespace(item.GetNamespace()).Delete(ctx, item.GetName(), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %s %s/%s: %w", item.GetKind(), item.GetNamespace(), item.GetName(), err)
		}
	}
	if len(items) == 0 {
		return nil
	}
	_, err = poll.Until(ctx, clock.RealClock{}, opts.Timeout, opts.Interval, func(ctx context.Context) (bool, string, error) {
		left, err := list(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		names := make([]string, 0, len(left))
		for _, o := range left {
			names = append(names, o.GetNamespace()+"/"+o.GetName())
		}
		return len(left) == 0, fmt.Sprintf("%d left %v", len(left), names), nil
	})
	if err != nil {
		return fmt.Errorf("%s not deleted (is the operator running to clear their finalizers?): %w", gvr.GroupResource(), err)
	}
	return nil
}

// crdResource returns the resource a CustomResourceDefinition serves, at its
// storage version.
func crdResource(crd *unstructured.Unstructured) (schema.GroupVersionResource, error) {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, v := range versions {
		m, _ := v.(map[string]any)
		if storage, _ := m["storage"].(bool); storage {
			name, _ := m["name"].(string)
			if group != "" && plural != "" && name != "" {
				return schema.GroupVersionResource{Group: group, Version: name, Resource: plural}, nil
			}
		}
	}
	return schema.GroupVersionResource{}, fmt.Errorf("CustomResourceDefinition %s: no group, plural or storage version", crd.GetName())
}

// deleteObject deletes obj with background propagation, as kubectl does;
// NotFound, and a kind the cluster no longer serves, count as deleted.
func deleteObject(ctx context.Context, dyn dynamic.Interface, mapper *restmapper.DeferredDiscoveryRESTMapper, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting %s %s: finding its resource: %w", obj.GetKind(), obj.GetName(), err)
	}
	var ri dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = dyn.Resource(mapping.Resource).Namespace(obj.GetNamespace())
	}
	policy := metav1.DeletePropagationBackground
	err = ri.Delete(ctx, obj.GetName(), metav1.DeleteOptions{PropagationPolicy: &policy})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

// condition returns the status, reason and message of condition typ in
// obj.status.conditions ("Unknown" when absent).
func condition(obj *unstructured.Unstructured, typ string) (status, reason, message string) {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != typ {
			continue
		}
		s, _ := m["status"].(string)
		r, _ := m["reason"].(string)
		msg, _ := m["message"].(string)
		return s, r, msg
	}
	return string(metav1.ConditionUnknown), "", "(no condition)"
}
