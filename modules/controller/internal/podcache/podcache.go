package podcache

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// ErrNotStarted is returned by List before Start (or after it returned).
var ErrNotStarted = errors.New("pod cache is not running")

// ErrNoNamespace is returned by List without client.InNamespace.
var ErrNoNamespace = errors.New("pod cache lists one namespace at a time")

// Cache holds one pod informer per namespace in use. It is a
// manager.Runnable: the namespace caches run until the manager stops.
type Cache struct {
	config     *rest.Config
	httpClient *http.Client
	scheme     *runtime.Scheme
	mapper     meta.RESTMapper
	transform  toolscache.TransformFunc

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
// (its config, HTTP client, scheme and REST mapper) and stores pods as
// transform makes them (nil: whole pods).
func New(config *rest.Config, httpClient *http.Client, scheme *runtime.Scheme, mapper meta.RESTMapper, transform toolscache.TransformFunc) *Cache {
	return &Cache{
		config: config, httpClient: httpClient, scheme: scheme, mapper: mapper, transform: transform,
		byNS: map[string]*namespaced{},
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

// NeedLeaderElection is false: namespace caches start on first List, which
// only the leader's model controller calls.
func (c *Cache) NeedLeaderElection() bool { return false }

// List lists pods of the namespace given by client.InNamespace from that
// namespace's cache, starting it and waiting for its sync on first use.
func (c *Cache) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	lo := (&client.ListOptions{}).ApplyOptions(opts)
	if lo.Namespace == "" {
		return ErrNoNamespace
	}
	n, err := c.namespace(lo.Namespace)
	if err != nil {
		return err
	}
	select {
	case <-n.synced:
	case <-ctx.Done():
		return fmt.Errorf("waiting for the pod cache of namespace %s: %w", lo.Namespace, ctx.Err())
	}
	if n.err != nil {
		return n.err
	}
	if err := n.cache.List(ctx, list, opts...); err != nil {
		return fmt.Errorf("listing pods in namespace %s: %w", lo.Namespace, err)
	}
	return nil
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
	pc, err := cache.New(c.config, cache.Options{
		HTTPClient: c.httpClient, Scheme: c.scheme, Mapper: c.mapper,
		DefaultNamespaces: map[string]cache.Config{ns: {}},
		ByObject:          map[client.Object]cache.ByObject{&corev1.Pod{}: {Transform: c.transform}},
		// Only pods are read through it; anything else is a bug.
		ReaderFailOnMissingInformer: true,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the pod cache of namespace %s: %w", ns, err)
	}
	ctx, stop := context.WithCancel(c.ctx)
	n := &namespaced{cache: pc, stop: stop, synced: make(chan struct{})}
	c.byNS[ns] = n
	go func() {
		defer close(n.synced)
		if _, err := pc.GetInformer(ctx, &corev1.Pod{}); err != nil {
			n.err = fmt.Errorf("starting the pod informer of namespace %s: %w", ns, err)
		} else {
			go func() { _ = pc.Start(ctx) }()
			if !pc.WaitForCacheSync(ctx) {
				n.err = fmt.Errorf("pod cache of namespace %s did not sync: %w", ns, context.Cause(ctx))
			}
		}
		if n.err != nil {
			// The List calls waiting on it fail; the next one starts afresh.
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
