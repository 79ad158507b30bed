package telemetry

import (
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Values of the result label of wva_config_reloads_total.
const (
	ResultLoaded   = "loaded"    // a ConfigMap was read and applied
	ResultNotFound = "not_found" // the ConfigMap does not exist at startup
	ResultError    = "error"     // the startup read failed
	ResultDeleted  = "deleted"   // the ConfigMap was deleted
)

// Labels of the per-variant gauges.
const (
	LabelNamespace   = "namespace"
	LabelVariantName = "variant_name"
	LabelModelID     = "model_id"
)

// DesiredReplicasName is the gauge an HPA or KEDA consumes in metrics-only
// actuation (external or custom metric named wva_desired_replicas).
const DesiredReplicasName = "wva_desired_replicas"

// Metrics holds every metric the controller exports.
type Metrics struct {
	ConfigReloads        *prometheus.CounterVec
	ConfigEntries        prometheus.Gauge
	ConfigInvalidEntries prometheus.Gauge
	ReloadEnqueueSeconds prometheus.Histogram
	Decisions            *prometheus.CounterVec
	DesiredReplicas      *prometheus.GaugeVec
	CurrentReplicas      *prometheus.GaugeVec

	mu     sync.Mutex
	models map[string]string // "namespace/name" => model_id of its series
}

// New creates the metrics and registers them on reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	variant := []string{LabelNamespace, LabelVariantName, LabelModelID}
	m := &Metrics{
		ConfigReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wva_config_reloads_total",
			Help: "Loads of the capacity scaling ConfigMap into the cache, by result (loaded, not_found, error, deleted).",
		}, []string{"result"}),
		ConfigEntries: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wva_config_entries",
			Help: "Valid entries (default and overrides) of the cached capacity scaling configuration.",
		}),
		ConfigInvalidEntries: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wva_config_invalid_entries",
			Help: "Entries of the capacity scaling ConfigMap that were skipped as invalid.",
		}),
		ReloadEnqueueSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wva_config_reload_enqueue_duration_seconds",
			Help:    "Time from receiving a ConfigMap event to every VariantAutoscaling being enqueued.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}),
		Decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wva_scaling_decisions_total",
			Help: "Scaling decisions applied, by direction (ScaleUp, ScaleDown, NoChange).",
		}, []string{"direction"}),
		DesiredReplicas: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: DesiredReplicasName,
			Help: "Replicas the autoscaler wants for a variant; the input of an HPA or KEDA in metrics-only actuation.",
		}, variant),
		CurrentReplicas: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "wva_current_replicas",
			Help: "Replicas of a variant's scale target when last observed.",
		}, variant),
		models: map[string]string{},
	}
	for _, c := range []prometheus.Collector{
		m.ConfigReloads, m.ConfigEntries, m.ConfigInvalidEntries, m.ReloadEnqueueSeconds,
		m.Decisions, m.DesiredReplicas, m.CurrentReplicas,
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering controller metrics: %w", err)
		}
	}
	return m, nil
}

// ConfigLoaded records one load of the cache and the shape of the result.
func (m *Metrics) ConfigLoaded(result string, entries, invalid int) {
	m.ConfigReloads.WithLabelValues(result).Inc()
	m.ConfigEntries.Set(float64(entries))
	m.ConfigInvalidEntries.Set(float64(invalid))
}

// Enqueued records the time from a ConfigMap event to the enqueue of every
// VariantAutoscaling.
func (m *Metrics) Enqueued(d time.Duration) {
	m.ReloadEnqueueSeconds.Observe(d.Seconds())
}

// Variant records a variant's replicas after a reconcile. When the variant's
// modelID changed, the series of the old model are dropped.
func (m *Metrics) Variant(namespace, name, modelID string, current, desired int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := namespace + "/" + name
	if old, ok := m.models[key]; ok && old != modelID {
		m.CurrentReplicas.DeleteLabelValues(namespace, name, old)
		m.DesiredReplicas.DeleteLabelValues(namespace, name, old)
	}
	m.models[key] = modelID
	m.CurrentReplicas.WithLabelValues(namespace, name, modelID).Set(float64(current))
	m.DesiredReplicas.WithLabelValues(namespace, name, modelID).Set(float64(desired))
}

// ForgetVariant removes the series of a deleted variant (any model).
func (m *Metrics) ForgetVariant(namespace, name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.models, namespace+"/"+name)
	labels := prometheus.Labels{LabelNamespace: namespace, LabelVariantName: name}
	m.CurrentReplicas.DeletePartialMatch(labels)
	m.DesiredReplicas.DeletePartialMatch(labels)
}

// ForgetVariantOfModel removes the series of a variant that left model
// modelID (deleted, or moved to another model); series of the variant under
// another model stay.
func (m *Metrics) ForgetVariantOfModel(namespace, name, modelID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := namespace + "/" + name
	if m.models[key] == modelID {
		delete(m.models, key)
	}
	m.CurrentReplicas.DeleteLabelValues(namespace, name, modelID)
	m.DesiredReplicas.DeleteLabelValues(namespace, name, modelID)
}

// Decision counts one applied decision.
func (m *Metrics) Decision(direction string) {
	m.Decisions.WithLabelValues(direction).Inc()
}
