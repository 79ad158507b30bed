package v1alpha1

// Condition types of VariantAutoscalingStatus.Conditions.
const (
	// ConditionTargetResolved is True when spec.scaleTargetRef names an
	// existing object whose /scale subresource the controller can read.
	ConditionTargetResolved = "TargetResolved"
	// ConditionMetricsAvailable is True when the metrics source returned
	// KV-cache and queue metrics for the target's replicas.
	ConditionMetricsAvailable = "MetricsAvailable"
	// ConditionConfigResolved is True when an effective capacity-scaling
	// configuration was resolved (always, since built-in defaults are the
	// fallback); its reason tells which source won.
	ConditionConfigResolved = "ConfigResolved"
	// ConditionReady is True when the last reconcile analysed the model and
	// applied its decision.
	ConditionReady = "Ready"
)

// Common condition reasons. Reasons are CamelCase, as metav1.Condition requires.
const (
	// ReasonTargetFound: the scale target exists and is scalable.
	ReasonTargetFound = "TargetFound"
	// ReasonTargetNotFound: the scale target does not exist.
	ReasonTargetNotFound = "TargetNotFound"
	// ReasonTargetNotScalable: the scale target has no usable /scale subresource.
	ReasonTargetNotScalable = "TargetNotScalable"

	// ReasonMetricsFound: every replica reported both metrics.
	ReasonMetricsFound = "MetricsFound"
	// ReasonMetricsPartial: some replicas reported no metrics; they are never
	// counted as idle.
	ReasonMetricsPartial = "MetricsPartial"
	// ReasonMetricsMissing: no replica reported metrics.
	ReasonMetricsMissing = "MetricsMissing"
	// ReasonMetricsQueryFailed: the metrics source returned an error.
	ReasonMetricsQueryFailed = "MetricsQueryFailed"
	// ReasonMetricsSourceNotConfigured: the controller runs without
	// --prometheus-url, so it never has metrics and never scales.
	ReasonMetricsSourceNotConfigured = "MetricsSourceNotConfigured"
	// ReasonTargetNotResolved: metrics are not read before the target is known.
	ReasonTargetNotResolved = "TargetNotResolved"

	// ReasonConfigBuiltin: the built-in defaults apply (no ConfigMap, or no
	// valid default entry and no override).
	ReasonConfigBuiltin = "BuiltinDefaults"
	// ReasonConfigDefault: the ConfigMap's default entry applies.
	ReasonConfigDefault = "ConfigMapDefault"
	// ReasonConfigOverride: a per-model override of the ConfigMap applies.
	ReasonConfigOverride = "ConfigMapOverride"

	// ReasonReconciled: the analysis ran and its decision was applied.
	ReasonReconciled = "Reconciled"
	// ReasonScaleFailed: writing the target's /scale subresource failed.
	ReasonScaleFailed = "ScaleFailed"
	// ReasonReconcileFailed: the reconcile failed for another reason; the
	// condition message says which.
	ReasonReconcileFailed = "ReconcileFailed"
)

// Values of CapacityAnalysis.Decision. They equal the capacity library's
// Direction values.
const (
	DecisionScaleUp   = "ScaleUp"
	DecisionScaleDown = "ScaleDown"
	DecisionNoChange  = "NoChange"
)

// Values (and the prefix of override values) of AppliedCapacityConfig.Source.
// They equal the capacity library's Source values.
const (
	ConfigSourceBuiltin        = "builtin"
	ConfigSourceDefault        = "default"
	ConfigSourceOverridePrefix = "override/"
)
