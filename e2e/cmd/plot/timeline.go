package main

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/wva-project/wva/e2e/internal/promrange"
	"github.com/wva-project/wva/e2e/internal/timeline"
)

// The queries, on the series of one namespace (%[1]q). vLLM's and the load
// generator's series carry the namespace of their pod (the scrape
// configuration relabels it), the controller's the namespace of the
// variant (honor_labels).
const (
	queryOffered = `sum(loadgen_offered_rps{namespace=%[1]q})`
	queryRunning = `sum(vllm:num_requests_running{namespace=%[1]q})`
	queryWaiting = `sum(vllm:num_requests_waiting{namespace=%[1]q})`
	queryKVMean  = `avg(vllm:kv_cache_usage_perc{namespace=%[1]q})`
	queryCurrent = `max by (variant_name) (wva_current_replicas{namespace=%[1]q})`
	queryDesired = `max by (variant_name) (wva_desired_replicas{namespace=%[1]q})`
)

// promData is what the demo's Prometheus returned for one range. A query
// that matched nothing is empty.
type promData struct {
	offered, running, waiting, kvMean []promrange.Point
	current, desired                  map[string][]promrange.Point // by variant_name
}

// readPromData runs the queries over r.
func readPromData(ctx context.Context, prom promrange.Client, namespace string, r promrange.Range) (promData, error) {
	var d promData
	for _, q := range []struct {
		promql string
		into   *[]promrange.Point
	}{
		{queryOffered, &d.offered},
		{queryRunning, &d.running},
		{queryWaiting, &d.waiting},
		{queryKVMean, &d.kvMean},
	} {
		promql := fmt.Sprintf(q.promql, namespace)
		m, err := prom.QueryRange(ctx, promql, r)
		if err != nil {
			return d, err
		}
		switch len(m) {
		case 0:
		case 1:
			*q.into = m[0].Points
		default:
			return d, fmt.Errorf("query %q: %d series, want at most one", promql, len(m))
		}
	}
	for _, q := range []struct {
		promql string
		into   *map[string][]promrange.Point
	}{
		{queryCurrent, &d.current},
		{queryDesired, &d.desired},
	} {
		m, err := prom.QueryRange(ctx, fmt.Sprintf(q.promql, namespace), r)
		if err != nil {
			return d, err
		}
		*q.into = make(map[string][]promrange.Point, len(m))
		for _, s := range m {
			(*q.into)[s.Labels["variant_name"]] = s.Points
		}
	}
	return d, nil
}

// series lays the data out as a timeline.Series with one sample per step
// of r; a value Prometheus has no sample for is NaN. LoadgenRPS is
// loadgen_offered_rps; OfferedRPS (the profile's rate) and each variant's
// Ready are not in Prometheus and stay NaN. Current is
// wva_current_replicas (the target's replicas when the controller last
// looked), Desired wva_desired_replicas. The Events are the changes of
// Current, at the sample that first shows them.
func (d promData) series(r promrange.Range) timeline.Series {
	variants := slices.Sorted(maps.Keys(d.current))
	for v := range d.desired {
		if !slices.Contains(variants, v) {
			variants = append(variants, v)
		}
	}
	slices.Sort(variants)

	offered, running, waiting, kv := byTime(d.offered), byTime(d.running), byTime(d.waiting), byTime(d.kvMean)
	current, desired := make([]map[int64]float64, len(variants)), make([]map[int64]float64, len(variants))
	for i, v := range variants {
		current[i], desired[i] = byTime(d.current[v]), byTime(d.desired[v])
	}

	s := timeline.Series{Start: r.Start, Variants: variants}
	last := make([]float64, len(variants))
	for i := range last {
		last[i] = math.NaN()
	}
	for t := r.Start; !t.After(r.End); t = t.Add(r.Step) {
		ms := t.UnixMilli()
		smp := timeline.Sample{
			At: t, OfferedRPS: math.NaN(), LoadgenRPS: value(offered, ms),
			Running: value(running, ms), Waiting: value(waiting, ms), KVMean: value(kv, ms),
			Variants: make([]timeline.VariantSample, len(variants)),
		}
		for i, v := range variants {
			cur := value(current[i], ms)
			smp.Variants[i] = timeline.VariantSample{Current: cur, Ready: math.NaN(), Desired: value(desired[i], ms)}
			if !math.IsNaN(cur) && cur != last[i] {
				s.Events = append(s.Events, timeline.Event{At: t, Variant: v, Replicas: int32(cur)})
				last[i] = cur
			}
		}
		s.Samples = append(s.Samples, smp)
	}
	return s
}

// byTime indexes points by their time in Unix milliseconds (the resolution
// of Prometheus's timestamps).
func byTime(points []promrange.Point) map[int64]float64 {
	out := make(map[int64]float64, len(points))
	for _, p := range points {
		out[p.T.UnixMilli()] = p.V
	}
	return out
}

func value(m map[int64]float64, ms int64) float64 {
	if v, ok := m[ms]; ok {
		return v
	}
	return math.NaN()
}

// plottable returns s without the samples in which a variant has neither
// current nor desired replicas (e.g. before the controller was first
// scraped): timeline.Series.WritePNG fits the replicas axis to the larger
// of the two in every sample, and a sample with both NaN makes the axis's
// top NaN, which leaves the panel without a usable scale (with gonum's
// default ticker, drawing it did not even terminate). The CSV keeps every
// sample.
func plottable(s timeline.Series) timeline.Series {
	out := s
	out.Samples = slices.DeleteFunc(slices.Clone(s.Samples), func(smp timeline.Sample) bool {
		return slices.ContainsFunc(smp.Variants, func(v timeline.VariantSample) bool {
			return math.IsNaN(v.Current) && math.IsNaN(v.Desired)
		})
	})
	return out
}
