package workloadcache

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// ErrNotStarted is returned by Get and List before Start (or after it
// returned).
var ErrNotStarted = errors.New("workload cache is not running")

// ErrNoNamespace is returned by List without client.InNamespace, and by Get
// of a key without a namespace.
var ErrNoNamespace = errors.New("workload cache reads one namespace at a time")

// Cache holds, per namespace in use, one informer for each kind it caches.
// It is a manager.Runnable: the namespace caches run until the manager
// stops.
type Cache struct {
	config     *rest.Config
	httpClient *http.Client
	scheme     *runtime.Scheme
	mapper     meta.RESTMapper

	mu   sync.Mutex
	ctx  context.Context // the manager's, while Start runs
	byNS map[string]*namespaced
}

type namespaced struct {
	cache  cache.Cache
	stop   context.CancelFunc
	synced chan struct{} // closed once the cache has synced (or failed to)
	err    error         // set before synced is closed
}

var (
	_ manager.Runnable               = (*Cache)(nil)
	_ manager.LeaderElectionRunnable = (*Cache)(nil)
)

// New returns a cache that talks to the API server as the manager does
// (its config, HTTP client, scheme and REST mapper).
func New(config *rest.Config, httpClient *http.Client, scheme *runtime.Scheme, mapper meta.RESTMapper) *Cache {
	return &Cache{
		config: config, httpClient: httpClient, scheme: scheme, mapper: mapper,
		byNS: map[string]*namespaced{},
	}
}

// kinds are the cached kinds, each with the transform that slims it.
func kinds() map[client.Object]cache.ByObject {
	return map[client.Object]cache.ByObject{
		&corev1.Pod{}:         {Transform: slimPod},
		&appsv1.Deployment{}:  {Transform: slimDeployment},
		&appsv1.StatefulSet{}: {Transform: slimStatefulSet},
	}
}

// Start runs until ctx ends, then stops every namespace cache.
func (c *Cache) Start(ctx context.Context) error {
	c.mu.Lock()
	c.ctx = ctx
	c.mu.Unlock()
	<-ctx.Done()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ctx = nil
	for ns, n := range c.byNS {
		n.stop()
		delete(c.byNS, ns)
	}
	return nil
}

// NeedLeaderElection is false: namespace caches start on first read, which
// only the leader's model controller makes.
func (c *Cache) NeedLeaderElection() bool { return false }

// Get reads a pod, Deployment or StatefulSet from the cache of key's
// namespace, starting it and waiting for its sync on first use.
func (c *Cache) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	n, err := c.synced(ctx, key.Namespace)
	if err != nil {
		return err
	}
	return n.cache.Get(ctx, key, obj, opts...)
}

// List lists pods, Deployments or StatefulSets of the namespace given by
// client.InNamespace from that namespace's cache, starting it and waiting
// for its sync on first use.
func (c *Cache) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	lo := (&client.ListOptions{}).ApplyOptions(opts)
	n, err := c.synced(ctx, lo.Namespace)
	if err != nil {
		return err
	}
	if err := n.cache.List(ctx, list, opts...); err != nil {
		return fmt.Errorf("listing %T in namespace %s: %w", list, lo.Namespace, err)
	}
	return nil
}

// synced returns the cache of namespace once it has synced.
func (c *Cache) synced(ctx context.Context, namespace string) (*namespaced, error) {
	if namespace == "" {
		return nil, ErrNoNamespace
	}
	n, err := c.namespace(namespace)
	if err != nil {
		return nil, err
	}
	select {
	case <-n.synced:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the workload cache of namespace %s: %w", namespace, ctx.Err())
	}
	if n.err != nil {
		return nil, n.err
	}
	return n, nil
}

// Forget stops the cache of namespace, if it has one: its last
// VariantAutoscaling is gone. A later List starts it afresh.
func (c *Cache) Forget(namespace string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.byNS[namespace]; ok {
		n.stop()
		delete(c.byNS, namespace)
	}
}

// Namespaces is how many namespace caches run (for tests and metrics).
func (c *Cache) Namespaces() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byNS)
}

// namespace returns the cache of ns, creating and starting it if needed.
func (c *Cache) namespace(ns string) (*namespaced, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		return nil, ErrNotStarted
	}
	if n, ok := c.byNS[ns]; ok {
		return n, nil
	}
	wc, err := cache.New(c.config, cache.Options{
		HTTPClient: c.httpClient, Scheme: c.scheme, Mapper: c.mapper,
		DefaultNamespaces: map[string]cache.Config{ns: {}},
		ByObject:          kinds(),
		// Only the kinds above are read through it; anything else is a bug.
		ReaderFailOnMissingInformer: true,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the workload cache of namespace %s: %w", ns, err)
	}
	ctx, stop := context.WithCancel(c.ctx)
	n := &namespaced{cache: wc, stop: stop, synced: make(chan struct{})}
	c.byNS[ns] = n
	go func() {
		defer close(n.synced)
		for obj := range kinds() {
			if _, err := wc.GetInformer(ctx, obj); err != nil {
				n.err = fmt.Errorf("starting the %T informer of namespace %s: %w", obj, ns, err)
				break
			}
		}
		if n.err == nil {
			go func() { _ = wc.Start(ctx) }()
			if !wc.WaitForCacheSync(ctx) {
				n.err = fmt.Errorf("workload cache of namespace %s did not sync: %w", ns, context.Cause(ctx))
			}
		}
		if n.err != nil {
			// The reads waiting on it fail; the next one starts afresh.
			c.drop(ns, n)
		}
	}()
	return n, nil
}

// drop stops n and forgets it if it is still the cache of ns.
func (c *Cache) drop(ns string, n *namespaced) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n.stop()
	if c.byNS[ns] == n {
		delete(c.byNS, ns)
	}
}
