package telemetry

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	m.ConfigLoaded(ResultLoaded, 3, 1)
	m.Enqueued(2 * time.Millisecond)
	m.Decision("ScaleUp")
	m.Variant("prod", "granite", "ibm/granite-13b", 1, 2)
	m.Variant("prod", "llama", "meta/llama-70b", 4, 4)
	// spec.modelID changed: the old series must go.
	m.Variant("prod", "granite", "ibm/granite-20b", 2, 2)

	want := `
# HELP wva_config_entries Valid entries (default and overrides) of the cached capacity scaling configuration.
# TYPE wva_config_entries gauge
wva_config_entries 3
# HELP wva_config_invalid_entries Entries of the capacity scaling ConfigMap that were skipped as invalid.
# TYPE wva_config_invalid_entries gauge
wva_config_invalid_entries 1
# HELP wva_config_reloads_total Loads of the capacity scaling ConfigMap into the cache, by result (loaded, not_found, error, deleted).
# TYPE wva_config_reloads_total counter
wva_config_reloads_total{result="loaded"} 1
# HELP wva_desired_replicas Replicas the autoscaler wants for a variant; the input of an HPA or KEDA in metrics-only actuation.
# TYPE wva_desired_replicas gauge
wva_desired_replicas{model_id="ibm/granite-20b",namespace="prod",variant_name="granite"} 2
wva_desired_replicas{model_id="meta/llama-70b",namespace="prod",variant_name="llama"} 4
# HELP wva_scaling_decisions_total Scaling decisions applied, by direction (ScaleUp, ScaleDown, NoChange).
# TYPE wva_scaling_decisions_total counter
wva_scaling_decisions_total{direction="ScaleUp"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"wva_config_entries", "wva_config_invalid_entries", "wva_config_reloads_total",
		"wva_desired_replicas", "wva_scaling_decisions_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.ReloadEnqueueSeconds); n != 1 {
		t.Errorf("histogram series = %d, want 1", n)
	}

	m.ForgetVariant("prod", "granite")
	if n := testutil.CollectAndCount(m.CurrentReplicas); n != 1 {
		t.Errorf("current replicas series after ForgetVariant = %d, want 1 (llama)", n)
	}

	if _, err := New(reg); err == nil {
		t.Error("registering twice on one registry: no error")
	}
}
