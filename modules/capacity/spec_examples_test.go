package capacity

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// loadConfigMapData reads the data of a ConfigMap manifest from testdata.
func loadConfigMapData(t testing.TB, name string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "spec", name))
	if err != nil {
		t.Fatalf("reading example: %v", err)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(raw, &cm); err != nil {
		t.Fatalf("%s is not a ConfigMap: %v", name, err)
	}
	return cm.Data
}

// resolution is one expected Resolve result.
type resolution struct {
	ModelID, Namespace string
	Config             CapacityScalingConfig
	Source             Source
}

// snapshotSummary is what the tests compare of a snapshot.
type snapshotSummary struct {
	Entries    int
	HasDefault bool
	Errors     map[string]string // key -> EntryError.Error()
	Warnings   []EntryWarning
}

func summarizeSnapshot(s *Snapshot) snapshotSummary {
	out := snapshotSummary{Entries: s.Entries(), HasDefault: s.HasDefault(), Warnings: s.Warnings()}
	for _, e := range s.Errors() {
		if out.Errors == nil {
			out.Errors = map[string]string{}
		}
		out.Errors[e.Key] = e.Error()
	}
	return out
}

func cfg(kv float64, queue int, kvTrigger float64, queueTrigger int) CapacityScalingConfig {
	return CapacityScalingConfig{KvCacheThreshold: kv, QueueLengthThreshold: queue, KvSpareTrigger: kvTrigger, QueueSpareTrigger: queueTrigger}
}

func override(modelID, namespace string, c CapacityScalingConfig) CapacityScalingConfig {
	c.ModelID, c.Namespace = modelID, namespace
	return c
}

// TestSpecExamples parses every ConfigMap example of the spec and checks the
// effective configuration each model gets.
func TestSpecExamples(t *testing.T) {
	builtin := cfg(0.80, 5, 0.10, 3)
	cases := map[string]struct {
		file    string
		want    snapshotSummary
		resolve []resolution
	}{
		"customizing global defaults": {
			file: "customizing-global-defaults.yaml",
			want: snapshotSummary{Entries: 1, HasDefault: true},
			resolve: []resolution{
				{"ibm/granite-13b", "production", cfg(0.75, 10, 0.15, 5), SourceDefault},
				{"any/model", "any-namespace", cfg(0.75, 10, 0.15, 5), SourceDefault},
			},
		},
		"per-model overrides": {
			file: "per-model-overrides.yaml",
			want: snapshotSummary{Entries: 3, HasDefault: true},
			resolve: []resolution{
				{"ibm/granite-13b", "production", override("ibm/granite-13b", "production", cfg(0.85, 5, 0.15, 3)), OverrideSource("granite-production")},
				{"meta/llama-70b", "lab", override("meta/llama-70b", "lab", cfg(0.80, 20, 0.10, 10)), OverrideSource("llama-lab")},
				// Overrides match model and namespace exactly.
				{"ibm/granite-13b", "lab", cfg(0.80, 5, 0.10, 3), SourceDefault},
				{"meta/llama-70b", "production", cfg(0.80, 5, 0.10, 3), SourceDefault},
			},
		},
		"partial overrides (no default entry: inherit the built-ins)": {
			file: "partial-overrides.yaml",
			want: snapshotSummary{Entries: 1},
			resolve: []resolution{
				{"my-org/my-model", "my-namespace", override("my-org/my-model", "my-namespace", cfg(0.90, 5, 0.10, 3)), OverrideSource("my-model-override")},
				{"other/model", "my-namespace", builtin, SourceBuiltin},
			},
		},
		"invalid entry": {
			file: "invalid-entry.yaml",
			want: snapshotSummary{Errors: map[string]string{"invalid-config": "kvCacheThreshold must be between 0 and 1, got 1.50"}},
			resolve: []resolution{
				{"test/model", "test", builtin, SourceBuiltin},
			},
		},
		"missing default (the entry the spec tells users to add)": {
			file: "missing-default.yaml",
			want: snapshotSummary{Entries: 1, HasDefault: true},
			resolve: []resolution{
				{"any/model", "ns", builtin, SourceDefault},
			},
		},
		"production setup": {
			file: "production-setup.yaml",
			want: snapshotSummary{Entries: 3, HasDefault: true, Warnings: []EntryWarning{{Key: "granite-prod", Message: "queueSpareTrigger (5) is greater than queueLengthThreshold (3): " +
				"the spare queue capacity of a replica (queueLengthThreshold minus its queue length) can never reach the trigger, so this model always signals scale-up"}}},
			resolve: []resolution{
				{"ibm/granite-13b", "production", override("ibm/granite-13b", "production", cfg(0.70, 3, 0.20, 5)), OverrideSource("granite-prod")},
				{"meta/llama-70b", "development", override("meta/llama-70b", "development", cfg(0.90, 15, 0.05, 2)), OverrideSource("llama-dev")},
				{"meta/llama-70b", "production", cfg(0.80, 5, 0.10, 3), SourceDefault},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := Parse(loadConfigMapData(t, tc.file), "42")
			if diff := cmp.Diff(tc.want, summarizeSnapshot(s)); diff != "" {
				t.Errorf("Parse(%s): -want +got:\n%s", tc.file, diff)
			}
			if got := s.Version(); got != "42" {
				t.Errorf("Version() = %q, want %q", got, "42")
			}
			for _, r := range tc.resolve {
				gotCfg, gotSource := s.Resolve(r.ModelID, r.Namespace)
				if diff := cmp.Diff(r, resolution{r.ModelID, r.Namespace, gotCfg, gotSource}); diff != "" {
					t.Errorf("Resolve(%q, %q): -want +got:\n%s", r.ModelID, r.Namespace, diff)
				}
			}
		})
	}
}

// TestSpecDefaultValues decodes the spec's "Default values" block.
func TestSpecDefaultValues(t *testing.T) {
	const text = "kvCacheThreshold: 0.80\nqueueLengthThreshold: 5\nkvSpareTrigger: 0.1\nqueueSpareTrigger: 3\n"
	e, err := DecodeEntry(text)
	if err != nil {
		t.Fatalf("DecodeEntry: %v", err)
	}
	if diff := cmp.Diff(DefaultCapacityScalingConfig(), CapacityScalingConfig{}.Merge(e)); diff != "" {
		t.Errorf("spec default values: -want +got:\n%s", diff)
	}
}
