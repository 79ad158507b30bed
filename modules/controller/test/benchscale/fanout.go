package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// fanoutResult is one fan-out run: a ConfigMap update until every
// VariantAutoscaling's status shows the new resourceVersion.
type fanoutResult struct {
	vas         int
	total       time.Duration
	p50, p99    time.Duration
	requestsPer float64
	cpu         float64
	peakRSS     int64
	// CPU seconds of the control plane over the same span.
	apiserverCPU, etcdCPU float64
	// configMapReads: ConfigMap GETs and LISTs the API server served meanwhile.
	configMapReads float64
}

func (r fanoutResult) String() string {
	return fmt.Sprintf("fanout vas=%d total=%.2f p50=%d p99=%d requests-per-va=%.2f cpu=%.2f rss=%.1f",
		r.vas, r.total.Seconds(), r.p50.Milliseconds(), r.p99.Milliseconds(), r.requestsPer, r.cpu, mb(r.peakRSS))
}

// detail gives the control plane's share of the work.
func (r fanoutResult) detail() string {
	return fmt.Sprintf("fanout-detail vas=%d apiserver-cpu=%.2f etcd-cpu=%.2f configmap-reads=%.0f",
		r.vas, r.apiserverCPU, r.etcdCPU, r.configMapReads)
}

// fanout measures one ConfigMap update reaching n VariantAutoscalings. The
// reconcile interval is an hour, so that every request counted was caused
// by the update, not by a periodic pass.
func (b *bench) fanout(ctx context.Context, n int) (fanoutResult, error) {
	s, err := b.open(ctx, fmt.Sprintf("fanout-%d", n), n)
	if err != nil {
		return fanoutResult{}, err
	}
	defer s.close()
	if err := s.startController(ctx, b, "--reconcile-interval=1h"); err != nil {
		return fanoutResult{}, err
	}
	cpu0, err := s.ctrl.cpuSeconds()
	if err != nil {
		return fanoutResult{}, err
	}
	req0, err := s.ctrl.requests(ctx)
	if err != nil {
		return fanoutResult{}, err
	}
	plane0 := childCPU()
	cmReads0, err := s.cluster.configMapReads(ctx)
	if err != nil {
		return fanoutResult{}, err
	}

	s.cm.Data["default"] = "kvCacheThreshold: 0.85\n"
	start := time.Now()
	if err := s.cluster.client.Update(ctx, s.cm); err != nil {
		return fanoutResult{}, fmt.Errorf("updating the ConfigMap: %w", err)
	}
	seen, err := s.tracker.wait(ctx, s.cm.ResourceVersion, n)
	if err != nil {
		return fanoutResult{}, err
	}
	if err := s.ctrl.waitQuiet(ctx, quietPeriod); err != nil {
		return fanoutResult{}, err
	}

	plane1 := childCPU()
	cmReads1, err := s.cluster.configMapReads(ctx)
	if err != nil {
		return fanoutResult{}, err
	}
	cpu1, err := s.ctrl.cpuSeconds()
	if err != nil {
		return fanoutResult{}, err
	}
	req1, err := s.ctrl.requests(ctx)
	if err != nil {
		return fanoutResult{}, err
	}
	_, peak, err := s.ctrl.memory()
	if err != nil {
		return fanoutResult{}, err
	}
	lat := make([]time.Duration, 0, len(seen))
	for _, at := range seen {
		lat = append(lat, at.Sub(start))
	}
	slices.Sort(lat)
	return fanoutResult{
		vas: n, total: lat[len(lat)-1], p50: percentile(lat, 0.50), p99: percentile(lat, 0.99),
		requestsPer: (req1 - req0) / float64(n), cpu: cpu1 - cpu0, peakRSS: peak,
		apiserverCPU: plane1["kube-apiserver"] - plane0["kube-apiserver"], etcdCPU: plane1["etcd"] - plane0["etcd"],
		configMapReads: cmReads1 - cmReads0,
	}, nil
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

func mb(bytes int64) float64 { return float64(bytes) / (1 << 20) }
