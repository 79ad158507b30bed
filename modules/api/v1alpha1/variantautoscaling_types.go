package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Defaults the CRD schema applies to an omitted field. The controller uses the
// same values when it meets an object that was never defaulted by an API server
// (for example one built in a unit test).
const (
	// DefaultVariantCost is the default of spec.variantCost.
	DefaultVariantCost = "10"
	// DefaultMinReplicas is the default of spec.minReplicas.
	DefaultMinReplicas int32 = 1
)

// VariantAutoscalingSpec is the desired state of a VariantAutoscaling.
//
// +kubebuilder:validation:XValidation:rule="!has(self.maxReplicas) || self.maxReplicas >= (has(self.minReplicas) ? self.minReplicas : 1)",message="maxReplicas must be greater than or equal to minReplicas",fieldPath=".maxReplicas"
type VariantAutoscalingSpec struct {
	// scaleTargetRef points at the workload serving this variant, in the
	// namespace of the VariantAutoscaling. The target must expose the /scale
	// subresource (Deployments and StatefulSets do).
	// +required
	ScaleTargetRef ScaleTargetRef `json:"scaleTargetRef,omitzero"`

	// modelID is the model the target serves, as vLLM reports it in the
	// model_name metric label (e.g. "ibm/granite-13b"). It selects the
	// per-model overrides of the capacity-scaling-config ConfigMap, and the
	// VariantAutoscalings of one namespace with the same modelID are scaled
	// together as variants of one model.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	ModelID string `json:"modelID,omitempty"`

	// variantCost is the relative cost of one replica of this variant, as a
	// non-negative decimal string (e.g. "10" or "2.5"). When the model needs
	// more capacity the cheapest variant is scaled up first; when it has
	// capacity to spare the most expensive one is scaled down first.
	// +optional
	// +default="10"
	// +kubebuilder:validation:Pattern=`^[0-9]+(\.[0-9]+)?$`
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:MinLength=1
	VariantCost string `json:"variantCost,omitempty"`

	// minReplicas is the lower bound of the replicas the autoscaler sets.
	// +optional
	// +default=1
	// +kubebuilder:validation:Minimum=0
	MinReplicas *int32 `json:"minReplicas,omitempty"`

	// maxReplicas is the upper bound of the replicas the autoscaler sets; it
	// must be greater than or equal to minReplicas. Unset means unbounded.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MaxReplicas *int32 `json:"maxReplicas,omitempty"`
}

// ScaleTargetRef identifies the scalable workload of a variant.
type ScaleTargetRef struct {
	// apiVersion is the API version of the target, e.g. "apps/v1".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	APIVersion string `json:"apiVersion,omitempty"`

	// kind is the kind of the target, e.g. "Deployment".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind,omitempty"`

	// name is the name of the target.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`
}

// VariantAutoscalingStatus is the observed state of a VariantAutoscaling. It
// is the proof that configuration reached the variant: it records the
// effective capacity thresholds, where they came from and the ConfigMap
// resourceVersion they were read at.
//
// +kubebuilder:validation:MinProperties=1
type VariantAutoscalingStatus struct {
	// conditions are TargetResolved, MetricsAvailable, ConfigResolved and Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the metadata.generation this status was computed
	// for (generations start at 1).
	// +optional
	// +kubebuilder:validation:Minimum=1
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// currentReplicas is the number of replicas the target had when last
	// observed; unset until the target was read. Zero (a target scaled to
	// zero) is shown, not omitted.
	// +optional
	// +kubebuilder:validation:Minimum=0
	CurrentReplicas *int32 `json:"currentReplicas,omitempty"`

	// desiredReplicas is the number of replicas the autoscaler last decided
	// on; unset until it decided. Zero (minReplicas 0) is shown, not omitted.
	// +optional
	// +kubebuilder:validation:Minimum=0
	DesiredReplicas *int32 `json:"desiredReplicas,omitempty"`

	// lastScaleTime is when the autoscaler last changed the target's replicas.
	// +optional
	LastScaleTime *metav1.Time `json:"lastScaleTime,omitempty"`

	// appliedConfig is the effective capacity-scaling configuration that
	// applies to this variant: the one the next analysis of its model uses.
	// It is written from the controller's in-memory configuration as soon as
	// the ConfigMap changes, without waiting for metrics.
	// +optional
	AppliedConfig AppliedCapacityConfig `json:"appliedConfig,omitzero"`

	// lastAnalysis is the result of the last capacity analysis of the model.
	// +optional
	LastAnalysis CapacityAnalysis `json:"lastAnalysis,omitzero"`
}

// AppliedCapacityConfig is the effective capacity-scaling configuration of a
// variant, after merging the ConfigMap's default entry and any override.
// Fractions are decimal strings because CRDs should not carry floats.
type AppliedCapacityConfig struct {
	// kvCacheThreshold is the KV-cache utilization (0 to 1) at or above which
	// a replica counts as saturated, as a decimal string (e.g. "0.80").
	// +required
	// +kubebuilder:validation:Pattern=`^[0-9]+(\.[0-9]+)?$`
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:MinLength=1
	KvCacheThreshold string `json:"kvCacheThreshold,omitempty"`

	// queueLengthThreshold is the queue length at or above which a replica
	// counts as saturated.
	// +required
	// +kubebuilder:validation:Minimum=0
	QueueLengthThreshold int32 `json:"queueLengthThreshold"`

	// kvSpareTrigger is the average spare KV-cache capacity (0 to 1) below
	// which the model scales up, as a decimal string (e.g. "0.10").
	// +required
	// +kubebuilder:validation:Pattern=`^[0-9]+(\.[0-9]+)?$`
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:MinLength=1
	KvSpareTrigger string `json:"kvSpareTrigger,omitempty"`

	// queueSpareTrigger is the average spare queue capacity below which the
	// model scales up.
	// +required
	// +kubebuilder:validation:Minimum=0
	QueueSpareTrigger int32 `json:"queueSpareTrigger"`

	// source is where the configuration came from: "builtin" (no usable
	// ConfigMap default), "default" (the ConfigMap's default entry) or
	// "override/<key>" (the ConfigMap entry <key>, merged over the default),
	// followed by "#<window>" while a scheduled window of that entry is
	// active, for example "override/granite-prod#business-hours".
	// +required
	// +kubebuilder:validation:Pattern=`^(builtin|default|override/[-._a-zA-Z0-9]+)(#[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$`
	// +kubebuilder:validation:MaxLength=326
	// +kubebuilder:validation:MinLength=1
	Source string `json:"source,omitempty"`

	// window is the name of the scheduled window whose thresholds apply (the
	// part of source after "#"); empty outside every window.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:MinLength=1
	Window string `json:"window,omitempty"`

	// windowEnds is when the active window ends, at which the controller
	// switches the thresholds back (or to the next window); unset outside
	// every window.
	// +optional
	WindowEnds *metav1.Time `json:"windowEnds,omitempty"`

	// inherited lists the thresholds that source does not set, each with the
	// entry it comes from, as comma-separated field=source pairs (for
	// example "queueLengthThreshold=default,queueSpareTrigger=builtin" for an
	// override that sets only the two KV-cache thresholds); empty when source
	// sets every threshold. `kubectl wva explain` prints the same per field.
	// +optional
	// +kubebuilder:validation:MaxLength=1200
	// +kubebuilder:validation:MinLength=1
	Inherited string `json:"inherited,omitempty"`

	// configMapResourceVersion is the resourceVersion of the ConfigMap the
	// configuration was read from; empty when source is "builtin" because no
	// ConfigMap was found.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:MinLength=1
	ConfigMapResourceVersion string `json:"configMapResourceVersion,omitempty"`
}

// CapacityAnalysis is the result of one capacity analysis, pooled over every
// replica of every variant of the model.
type CapacityAnalysis struct {
	// replicas is the number of replicas analysed.
	// +required
	// +kubebuilder:validation:Minimum=0
	Replicas int32 `json:"replicas"`

	// saturatedReplicas is the number of replicas at or above a saturation threshold.
	// +required
	// +kubebuilder:validation:Minimum=0
	SaturatedReplicas int32 `json:"saturatedReplicas"`

	// avgSpareKvCapacity is the average spare KV-cache capacity of the
	// non-saturated replicas, as a decimal string; empty when no replica
	// reported the metric.
	// +optional
	// +kubebuilder:validation:Pattern=`^-?[0-9]+(\.[0-9]+)?$`
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:MinLength=1
	AvgSpareKvCapacity string `json:"avgSpareKvCapacity,omitempty"`

	// avgSpareQueueCapacity is the average spare queue capacity of the
	// non-saturated replicas, as a decimal string; empty when no replica
	// reported the metric.
	// +optional
	// +kubebuilder:validation:Pattern=`^-?[0-9]+(\.[0-9]+)?$`
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:MinLength=1
	AvgSpareQueueCapacity string `json:"avgSpareQueueCapacity,omitempty"`

	// decision is what the analysis concluded for this variant.
	// +required
	// +kubebuilder:validation:Enum=ScaleUp;ScaleDown;NoChange
	Decision string `json:"decision,omitempty"`

	// reason explains the decision in words.
	// +required
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:MinLength=1
	Reason string `json:"reason,omitempty"`

	// time is when the analysis ran.
	// +required
	Time metav1.Time `json:"time"`
}

// VariantAutoscaling scales one variant of a model (a Deployment or other
// scalable workload serving it) on capacity: per-replica KV-cache utilization
// and queue length, against the thresholds of the capacity-scaling-config
// ConfigMap.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=variantautoscalings,singular=variantautoscaling,scope=Namespaced,shortName=va
// +kubebuilder:printcolumn:name="Model",type=string,JSONPath=`.spec.modelID`
// +kubebuilder:printcolumn:name="Target",type=string,JSONPath=`.spec.scaleTargetRef.name`
// +kubebuilder:printcolumn:name="Current",type=integer,JSONPath=`.status.currentReplicas`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.status.desiredReplicas`
// +kubebuilder:printcolumn:name="Config",type=string,JSONPath=`.status.appliedConfig.source`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type VariantAutoscaling struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the VariantAutoscaling.
	// +required
	Spec VariantAutoscalingSpec `json:"spec,omitzero"`

	// status is the observed state of the VariantAutoscaling.
	// +optional
	Status VariantAutoscalingStatus `json:"status,omitzero"`
}

// VariantAutoscalingList is a list of VariantAutoscaling.
//
// +kubebuilder:object:root=true
type VariantAutoscalingList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`

	// items is the list of VariantAutoscalings.
	Items []VariantAutoscaling `json:"items"`
}

// IsZero reports whether a records no analysis: status.lastAnalysis is
// unset (omitted from the object) until the model was first analysed.
func (a CapacityAnalysis) IsZero() bool {
	return a == CapacityAnalysis{}
}

// IsZero reports whether c records no configuration: status.appliedConfig is
// unset (omitted from the object) until the controller first resolved one.
func (c AppliedCapacityConfig) IsZero() bool {
	return c == AppliedCapacityConfig{}
}
