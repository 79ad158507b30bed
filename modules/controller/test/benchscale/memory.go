package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// foreignNamespaces is how many namespaces the foreign objects are spread over.
const foreignNamespaces = 20

// memorySample is the controller's memory at rest.
type memorySample struct {
	rss, heap int64
}

// memoryResult compares the controller's memory with and without foreign
// ConfigMaps, pods and Deployments: objects it must not cache.
type memoryResult struct {
	configMaps, pods, deployments int
	base, loaded                  memorySample
}

func (r memoryResult) String() string {
	return fmt.Sprintf("memory foreign-configmaps=%d foreign-pods=%d rss-growth=%.1f",
		r.configMaps, r.pods, mb(r.loaded.rss-r.base.rss))
}

// detail gives the absolute numbers behind the memory line.
func (r memoryResult) detail() string {
	return fmt.Sprintf("memory-detail foreign-deployments=%d rss-base=%.1f rss-loaded=%.1f heap-base=%.1f heap-loaded=%.1f heap-growth=%.1f",
		r.deployments, mb(r.base.rss), mb(r.loaded.rss), mb(r.base.heap), mb(r.loaded.heap), mb(r.loaded.heap-r.base.heap))
}

// memory measures a controller with vas VariantAutoscalings at rest, then
// adds the foreign objects (Deployments too: the workload cache holds those
// of the VariantAutoscalings' namespace only) and measures a fresh controller on the same
// control plane (so that both start by listing what they cache).
func (b *bench) memory(ctx context.Context, vas, configMaps, pods, deployments int) (memoryResult, error) {
	s, err := b.open(ctx, "memory", vas)
	if err != nil {
		return memoryResult{}, err
	}
	defer s.close()
	r := memoryResult{configMaps: configMaps, pods: pods, deployments: deployments}
	if r.base, err = b.atRest(ctx, s); err != nil {
		return memoryResult{}, err
	}
	s.stopController()

	start := time.Now()
	namespaces := make([]string, foreignNamespaces)
	for i := range namespaces {
		namespaces[i] = foreignNamespace(i)
	}
	if err := s.cluster.createNamespaces(ctx, namespaces...); err != nil {
		return memoryResult{}, err
	}
	if err := s.cluster.createAll(ctx, foreign(foreignNamespaces, configMaps, pods, deployments)); err != nil {
		return memoryResult{}, err
	}
	logger.Info("Created foreign objects", "configMaps", configMaps, "pods", pods, "deployments", deployments, "took", time.Since(start).Round(time.Millisecond).String())
	if r.loaded, err = b.atRest(ctx, s); err != nil {
		return memoryResult{}, err
	}
	return r, nil
}

// restSamples is how many samples, a second apart, make one measurement at
// rest; their median is reported (the garbage collector moves single ones).
const restSamples = 5

// atRest starts the controller, lets it settle, and returns its median
// resident set and heap in use over restSamples seconds.
func (b *bench) atRest(ctx context.Context, s *session) (memorySample, error) {
	if err := s.startController(ctx, b, "--reconcile-interval=1h"); err != nil {
		return memorySample{}, err
	}
	var rss, heap []int64
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for range restSamples {
		select {
		case <-ctx.Done():
			return memorySample{}, ctx.Err()
		case <-tick.C:
		}
		r, _, err := s.ctrl.memory()
		if err != nil {
			return memorySample{}, err
		}
		m, err := s.ctrl.scrape(ctx, metricHeapInuse)
		if err != nil {
			return memorySample{}, err
		}
		rss, heap = append(rss, r), append(heap, int64(m[metricHeapInuse]))
	}
	return memorySample{rss: median(rss), heap: median(heap)}, nil
}

func median(v []int64) int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// idleResult is the controller's steady state: every VariantAutoscaling
// analysed once per reconcile interval, nothing changing.
type idleResult struct {
	vas      int
	window   time.Duration
	cpu      float64
	requests float64
	rss      int64
}

func (r idleResult) String() string {
	return fmt.Sprintf("idle vas=%d window=%.0f cpu=%.2f requests=%.0f rss=%.1f",
		r.vas, r.window.Seconds(), r.cpu, r.requests, mb(r.rss))
}

// idle measures CPU seconds and API requests over window once vas
// VariantAutoscalings have settled, with the default reconcile interval.
func (b *bench) idle(ctx context.Context, vas int, window time.Duration) (idleResult, error) {
	s, err := b.open(ctx, "idle", vas)
	if err != nil {
		return idleResult{}, err
	}
	defer s.close()
	if err := s.startController(ctx, b); err != nil {
		return idleResult{}, err
	}
	cpu0, err := s.ctrl.cpuSeconds()
	if err != nil {
		return idleResult{}, err
	}
	req0, err := s.ctrl.requests(ctx)
	if err != nil {
		return idleResult{}, err
	}
	select {
	case <-ctx.Done():
		return idleResult{}, ctx.Err()
	case <-time.After(window):
	}
	cpu1, err := s.ctrl.cpuSeconds()
	if err != nil {
		return idleResult{}, err
	}
	req1, err := s.ctrl.requests(ctx)
	if err != nil {
		return idleResult{}, err
	}
	rss, _, err := s.ctrl.memory()
	if err != nil {
		return idleResult{}, err
	}
	return idleResult{vas: vas, window: window, cpu: cpu1 - cpu0, requests: req1 - req0, rss: rss}, nil
}
