package capacity

import (
	"fmt"
	"testing"
)

// syntheticData is a ConfigMap's data with a default entry and n overrides,
// for models model-0 .. model-(n-1) in namespace ns.
func syntheticData(n int) map[string]string {
	data := map[string]string{DefaultKey: "kvCacheThreshold: 0.80\nqueueLengthThreshold: 5\nkvSpareTrigger: 0.1\nqueueSpareTrigger: 3\n"}
	for i := range n {
		data[fmt.Sprintf("override-%d", i)] = fmt.Sprintf(
			"model_id: org/model-%d\nnamespace: ns\nkvCacheThreshold: 0.%02d\nqueueLengthThreshold: %d\n", i, 50+i%40, 5+i%10)
	}
	return data
}

func TestResolveAllocatesNothing(t *testing.T) {
	s := Parse(syntheticData(100), "1")
	for name, model := range map[string]string{"override": "org/model-42", "default": "org/unknown"} {
		allocs := testing.AllocsPerRun(1000, func() {
			if _, src := s.Resolve(model, "ns"); src == "" {
				t.Fatal("empty source")
			}
		})
		if allocs != 0 {
			t.Errorf("Resolve (%s) allocates %.1f times per call, want 0", name, allocs)
		}
	}
}

func TestSyntheticDataIsValid(t *testing.T) {
	s := Parse(syntheticData(1000), "1")
	if errs := s.Errors(); len(errs) != 0 || s.Entries() != 1001 {
		t.Fatalf("synthetic data: %d entries, errors %v; want 1001 and none", s.Entries(), errs)
	}
}
