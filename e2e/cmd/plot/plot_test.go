package main

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wva-project/wva/e2e/internal/promrange"
	"github.com/wva-project/wva/e2e/internal/timeline"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

var t0 = time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)

func sec(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

// points samples values every 10 s from t0; NaN leaves a sample out.
func points(values ...float64) []promrange.Point {
	var out []promrange.Point
	for i, v := range values {
		if !math.IsNaN(v) {
			out = append(out, promrange.Point{T: sec(10 * i), V: v})
		}
	}
	return out
}

var nan = math.NaN()

// TestSeries: Prometheus's answers become one sample per step, NaN where a
// query has no sample, and the changes of current replicas become events.
func TestSeries(t *testing.T) {
	d := promData{
		offered: points(0, 5, 10),
		running: points(0, 4, nan),
		waiting: points(0, 1, 3),
		kvMean:  points(0, 0.5, 0.75),
		current: map[string][]promrange.Point{"l4": points(1, 1, 2), "a100": points(nan, 0, 0)},
		desired: map[string][]promrange.Point{"l4": points(1, 2, 2)},
	}
	got := d.series(promrange.Range{Start: t0, End: sec(20), Step: 10 * time.Second})
	want := timeline.Series{
		Start:    t0,
		Variants: []string{"a100", "l4"},
		Samples: []timeline.Sample{
			{At: sec(0), OfferedRPS: nan, LoadgenRPS: 0, Running: 0, Waiting: 0, KVMean: 0,
				Variants: []timeline.VariantSample{{Current: nan, Ready: nan, Desired: nan}, {Current: 1, Ready: nan, Desired: 1}}},
			{At: sec(10), OfferedRPS: nan, LoadgenRPS: 5, Running: 4, Waiting: 1, KVMean: 0.5,
				Variants: []timeline.VariantSample{{Current: 0, Ready: nan, Desired: nan}, {Current: 1, Ready: nan, Desired: 2}}},
			{At: sec(20), OfferedRPS: nan, LoadgenRPS: 10, Running: nan, Waiting: 3, KVMean: 0.75,
				Variants: []timeline.VariantSample{{Current: 0, Ready: nan, Desired: nan}, {Current: 2, Ready: nan, Desired: 2}}},
		},
		Events: []timeline.Event{
			{At: sec(0), Variant: "l4", Replicas: 1},
			{At: sec(10), Variant: "a100", Replicas: 0},
			{At: sec(20), Variant: "l4", Replicas: 2},
		},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("series: -want +got:\n%s", diff)
	}
	if err := got.WriteCSV(&bytes.Buffer{}); err != nil {
		t.Errorf("WriteCSV: %v", err)
	}
	// Sample 0 has no replicas of a100: left out of the PNG.
	p := plottable(got)
	if diff := cmp.Diff(want.Samples[1:], p.Samples, cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("plottable samples: -want +got:\n%s", diff)
	}
	if err := p.WritePNG(&bytes.Buffer{}, timeline.PlotOptions{Title: "test", Marks: marks(cycles(got))}); err != nil {
		t.Errorf("WritePNG: %v", err)
	}
}

// testSeries is a timeline sampled every 10 s; each variant's values are
// current and desired replicas, in pairs.
func testSeries(load []float64, variants map[string][][2]float64) timeline.Series {
	s := timeline.Series{Start: t0}
	for v := range variants {
		s.Variants = append(s.Variants, v)
	}
	slices.Sort(s.Variants)
	for i, l := range load {
		smp := timeline.Sample{At: sec(10 * i), LoadgenRPS: l}
		for _, v := range s.Variants {
			cd := variants[v][i]
			smp.Variants = append(smp.Variants, timeline.VariantSample{Current: cd[0], Desired: cd[1]})
		}
		s.Samples = append(s.Samples, smp)
	}
	return s
}

func TestCycles(t *testing.T) {
	//                0  10 20  30  40 50 60 70 80 90 100 110
	load := []float64{0, 2, 6, 10, 10, 0, 0, 0, 0, 0, 3, 6}
	s := testSeries(load, map[string][][2]float64{
		"l4":   {{1, 1}, {1, 2}, {2, 3}, {3, 3}, {3, 3}, {3, 3}, {3, 2}, {2, 1}, {1, 1}, {1, 1}, {1, 2}, {2, 2}},
		"a100": {{0, 0}, {0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}},
	})
	got := cycles(s)
	want := []cycle{
		{Rise: sec(10), FirstScaleUp: sec(10), Start: []float64{0, 1}, Peak: []float64{1, 3}, Fall: sec(50), BackToStart: sec(80)},
		// The load is still on at the end.
		{Rise: sec(100), FirstScaleUp: sec(100), Start: []float64{0, 1}, Peak: []float64{0, 2}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cycles: -want +got:\n%s", diff)
	}

	text := got[0].describe(s)
	for _, want := range []string{
		"load rose from idle at 03:00:10 (10 s)",
		"first scale-up (desired replicas up) 0s later",
		"replicas at the start a100 0, l4 1 (1 in all), at the peak a100 1, l4 3 (4 in all)",
		"load fell to idle at 03:00:50 (50 s); back at the starting replicas 30s later, at 03:01:20 (80 s)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("describe() = %q, want it to contain %q", text, want)
		}
	}
	if text := got[1].describe(s); !strings.Contains(text, "load still on at the end of the window") {
		t.Errorf("describe() of the unfinished cycle = %q, want it to say the load is still on", text)
	}
	wantMarks := []timeline.Mark{
		{Label: "load rises", At: sec(10)}, {Label: "first scale-up", At: sec(10)},
		{Label: "load idle", At: sec(50)}, {Label: "back to start", At: sec(80)},
		{Label: "load rises", At: sec(100)}, {Label: "first scale-up", At: sec(100)},
	}
	if diff := cmp.Diff(wantMarks, marks(got)); diff != "" {
		t.Errorf("marks: -want +got:\n%s", diff)
	}
}

func TestCyclesWithoutReplicas(t *testing.T) {
	if got := cycles(testSeries([]float64{5, 5, 0, 0}, nil)); len(got) != 0 {
		t.Errorf("load already on at the start of the window: cycles = %+v, want none", got)
	}
	// No replica series (the controller not scraped): the cycle is found,
	// without scale-up or return.
	got := cycles(testSeries([]float64{0, 5, nan, 0}, nil))
	if len(got) != 1 || !got[0].FirstScaleUp.IsZero() || !got[0].BackToStart.IsZero() || !got[0].Fall.Equal(sec(30)) {
		t.Fatalf("cycles = %+v, want one falling at 30 s without scale-up or return", got)
	}
	text := got[0].describe(testSeries(nil, nil))
	for _, want := range []string{"no scale-up", "replicas at the start unknown", "not back at the starting replicas"} {
		if !strings.Contains(text, want) {
			t.Errorf("describe() = %q, want it to contain %q", text, want)
		}
	}
}

func TestThresholds(t *testing.T) {
	got, err := thresholds(v1alpha1.AppliedCapacityConfig{KvCacheThreshold: "0.80", KvSpareTrigger: "0.1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []timeline.Reference{
		{Label: "saturated at kvCacheThreshold", Value: 0.8},
		{Label: "scale-up above kvCacheThreshold - kvSpareTrigger", Value: 0.7},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("thresholds: -want +got:\n%s", diff)
	}
	if _, err := thresholds(v1alpha1.AppliedCapacityConfig{KvCacheThreshold: "high", KvSpareTrigger: "0.1"}); err == nil {
		t.Errorf("thresholds of kvCacheThreshold %q: no error", "high")
	}
}
