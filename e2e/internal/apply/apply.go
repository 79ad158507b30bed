package apply

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/utils/clock"

	"github.com/wva-project/wva/e2e/internal/poll"
)

// crdGroupKind is the GroupKind of CustomResourceDefinitions.
var crdGroupKind = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}

// crdResource is the resource of CustomResourceDefinitions.
var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// Applier server-side applies objects as one field manager.
type Applier struct {
	dyn          dynamic.Interface
	mapper       *restmapper.DeferredDiscoveryRESTMapper
	fieldManager string
	clock        clock.Clock
	// Interval is how often waits poll (default 250ms).
	Interval time.Duration
}

// New returns an Applier for the cluster of cfg. fieldManager names the
// owner of the applied fields (e.g. "wva-e2e").
func New(cfg *rest.Config, fieldManager string) (*Applier, error) {
	if fieldManager == "" {
		return nil, fmt.Errorf("field manager must not be empty")
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	return &Applier{
		dyn:          dyn,
		mapper:       restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc)),
		fieldManager: fieldManager,
		clock:        clock.RealClock{},
		Interval:     250 * time.Millisecond,
	}, nil
}

// Options tune Apply.
type Options struct {
	// CRDTimeout bounds the wait for the applied CustomResourceDefinitions
	// to be Established (default 1m).
	CRDTimeout time.Duration
	// DefaultNamespace is given to namespaced objects that carry no
	// namespace, as `kubectl apply -n` does. When empty, such an object is
	// an error.
	DefaultNamespace string
}

// Apply applies the CustomResourceDefinitions among objs, waits until they
// are Established, then applies the other objects in the given order (use
// the order manifests.Render returns: namespaces before what they contain).
// The objects are not modified.
func (a *Applier) Apply(ctx context.Context, objs []*unstructured.Unstructured, opts Options) error {
	if opts.CRDTimeout <= 0 {
		opts.CRDTimeout = time.Minute
	}
	crds, others := SplitCRDs(objs)
	for _, o := range crds {
		if err := a.applyOne(ctx, o, ""); err != nil {
			return err
		}
	}
	if len(crds) > 0 {
		for _, o := range crds {
			if err := a.waitEstablished(ctx, o.GetName(), opts.CRDTimeout); err != nil {
				return err
			}
		}
		// Discovery was cached before the new resources existed.
		a.mapper.Reset()
	}
	for _, o := range others {
		if err := a.applyOne(ctx, o, opts.DefaultNamespace); err != nil {
			return err
		}
	}
	return nil
}

// SplitCRDs separates CustomResourceDefinitions from the other objects,
// keeping the order of each group.
func SplitCRDs(objs []*unstructured.Unstructured) (crds, others []*unstructured.Unstructured) {
	for _, o := range objs {
		if o.GroupVersionKind().GroupKind() == crdGroupKind {
			crds = append(crds, o)
		} else {
			others = append(others, o)
		}
	}
	return crds, others
}

// applyOne server-side applies one object, forcing conflicts (as the only
// manager of what it applies, like `kubectl apply --server-side
// --force-conflicts`).
func (a *Applier) applyOne(ctx context.Context, obj *unstructured.Unstructured, defaultNamespace string) error {
	gvk := obj.GroupVersionKind()
	id := describe(obj)
	mapping, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		// A kind registered since the mapper last looked (a CRD applied by
		// an earlier call or by someone else).
		a.mapper.Reset()
		mapping, err = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return fmt.Errorf("applying %s: finding its resource: %w", id, err)
	}
	var ri dynamic.ResourceInterface = a.dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			if defaultNamespace == "" {
				return fmt.Errorf("applying %s: metadata.namespace is not set on a namespaced object", id)
			}
			obj = obj.DeepCopy()
			obj.SetNamespace(defaultNamespace)
			id = describe(obj)
		}
		ri = a.dyn.Resource(mapping.Resource).Namespace(obj.GetNamespace())
	}
	if _, err := ri.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: a.fieldManager, Force: true}); err != nil {
		return fmt.Errorf("applying %s: %w", id, err)
	}
	return nil
}

// waitEstablished waits until the CRD called name has condition Established.
func (a *Applier) waitEstablished(ctx context.Context, name string, timeout time.Duration) error {
	_, err := poll.Until(ctx, a.clock, timeout, a.Interval, func(ctx context.Context) (bool, string, error) {
		crd, err := a.dyn.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Sprintf("get failed: %v", err), nil
		}
		status, reason := conditionStatus(crd, "Established")
		return status == string(metav1.ConditionTrue), fmt.Sprintf("Established=%s %s", status, reason), nil
	})
	if err != nil {
		return fmt.Errorf("CustomResourceDefinition %s not Established: %w", name, err)
	}
	return nil
}

// conditionStatus returns the status and reason of condition typ in
// obj.status.conditions ("Unknown" when absent).
func conditionStatus(obj *unstructured.Unstructured, typ string) (status, reason string) {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != typ {
			continue
		}
		s, _ := m["status"].(string)
		r, _ := m["reason"].(string)
		return s, r
	}
	return string(metav1.ConditionUnknown), "(no condition)"
}

func describe(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", obj.GetKind(), ns, obj.GetName())
	}
	return fmt.Sprintf("%s %s", obj.GetKind(), obj.GetName())
}
