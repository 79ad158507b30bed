package capacity_test

import (
	"fmt"
	"time"

	"github.com/wva-project/wva/modules/capacity"
)

// Example parses a ConfigMap's data, publishes it in a Store, resolves the
// configuration of two models and analyzes the replicas of one of them.
func Example() {
	data := map[string]string{
		"default": "kvCacheThreshold: 0.80\nqueueLengthThreshold: 5\nkvSpareTrigger: 0.1\nqueueSpareTrigger: 3\n",
		"granite-production": "model_id: ibm/granite-13b\nnamespace: production\n" +
			"kvCacheThreshold: 0.85\nkvSpareTrigger: 0.15\n",
		"typo": "model_id: meta/llama-70b\nnamespace: lab\nkvCacheTreshold: 0.9\n",
	}
	store := capacity.NewStore(capacity.Parse(data, "12345"))

	// Reconcilers read the current snapshot without locking.
	snap := store.Load()
	fmt.Printf("version=%s entries=%d has_default=%t\n", snap.Version(), snap.Entries(), snap.HasDefault())
	for _, e := range snap.Errors() {
		fmt.Printf("skipped key=%s error=%s\n", e.Key, e.Error())
	}

	cfg, source := snap.Resolve("ibm/granite-13b", "production")
	fmt.Printf("granite: kvCacheThreshold=%.2f kvSpareTrigger=%.2f queueLengthThreshold=%d source=%s\n",
		cfg.KvCacheThreshold, cfg.KvSpareTrigger, cfg.QueueLengthThreshold, source)
	_, source = snap.Resolve("meta/llama-70b", "lab")
	fmt.Printf("llama: source=%s\n", source)

	analysis := capacity.Analyze(cfg, []capacity.ReplicaMetrics{
		{Pod: "granite-0", KvCacheUsage: 0.78, HasKvCacheUsage: true, QueueLength: 1, HasQueueLength: true},
		{Pod: "granite-1", KvCacheUsage: 0.90, HasKvCacheUsage: true, QueueLength: 4, HasQueueLength: true},
	})
	fmt.Printf("saturated=%d scaleUp=%t\n", analysis.Saturated, analysis.ScaleUp)
	fmt.Println(analysis.Reason)
	// Output:
	// version=12345 entries=2 has_default=true
	// skipped key=typo error=unknown field "kvCacheTreshold" (did you mean "kvCacheThreshold"?)
	// granite: kvCacheThreshold=0.85 kvSpareTrigger=0.15 queueLengthThreshold=5 source=override/granite-production
	// llama: source=default
	// saturated=1 scaleUp=true
	// average spare KV capacity 0.07 is below kvSpareTrigger 0.15
}

// ExampleAnalyzeModel scales up the cheapest of two variants of a model.
func ExampleAnalyzeModel() {
	busy := []capacity.ReplicaMetrics{
		{Pod: "h100-0", KvCacheUsage: 0.92, HasKvCacheUsage: true, QueueLength: 6, HasQueueLength: true},
	}
	decision := capacity.AnalyzeModel(capacity.DefaultCapacityScalingConfig(), []capacity.Variant{
		{Name: "llama-h100", Cost: 40, CurrentReplicas: 1, MinReplicas: 1, MaxReplicas: 4, Replicas: busy},
		{Name: "llama-a100", Cost: 10, CurrentReplicas: 0, MinReplicas: 0, MaxReplicas: 8},
	})
	for _, d := range decision.Decisions {
		fmt.Printf("%s: %d -> %d (%s)\n", d.Variant, d.Current, d.Desired, d.Direction)
	}
	fmt.Println(decision.Decisions[0].Reason)
	// Output:
	// llama-a100: 0 -> 1 (ScaleUp)
	// llama-h100: 1 -> 1 (NoChange)
	// the only replica with metrics is saturated (KV cache usage >= kvCacheThreshold 0.80 or queue length >= queueLengthThreshold 5); scaling up cheapest variant llama-a100
}

// ExampleSnapshot_ResolveAt resolves a model with a business-hours window at
// two instants a controller's clock might give, and asks when to resolve
// again.
func ExampleSnapshot_ResolveAt() {
	snap := capacity.Parse(map[string]string{
		"default": "kvCacheThreshold: 0.80\n",
		"granite-prod": "model_id: ibm/granite-13b\nnamespace: production\nschedules:\n" +
			"- name: business-hours\n  days: [Mon-Fri]\n  start: \"08:00\"\n  end: \"18:00\"\n" +
			"  timeZone: Europe/Berlin\n  kvCacheThreshold: 0.70\n",
	}, "1")
	for _, now := range []time.Time{
		time.Date(2026, 3, 4, 6, 30, 0, 0, time.UTC), // Wednesday 07:30 in Berlin
		time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC),  // Wednesday 10:00 in Berlin
	} {
		r := snap.ResolveAt("ibm/granite-13b", "production", now)
		next, _ := snap.NextTransition(now)
		fmt.Printf("%s: kvCacheThreshold=%.2f source=%s next=%s\n", now.Format("15:04Z"), r.Config.KvCacheThreshold, r.Source, next.UTC().Format("15:04Z"))
	}
	// Output:
	// 06:30Z: kvCacheThreshold=0.80 source=override/granite-prod next=07:00Z
	// 09:00Z: kvCacheThreshold=0.70 source=override/granite-prod#business-hours next=17:00Z
}
