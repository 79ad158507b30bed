// Package v1alpha1 holds the llmd.ai/v1alpha1 API of the Workload Variant
// Autoscaler: the namespaced VariantAutoscaling kind, which binds one scalable
// workload serving a model (a "variant") to capacity-based autoscaling.
//
// The package depends on k8s.io/apimachinery only, so that clients can import
// the types without pulling in controller-runtime. Validation and defaulting
// live in the CRD schema (OpenAPI markers and CEL rules), not in a webhook; the
// CRD is generated from the markers in this package by `make manifests`.
//
// The types follow the Kubernetes API conventions as the Kube API Linter
// checks them (`make lint`, hack/kube-api-linter.yaml): a field is a pointer
// only where its zero value is valid and must be told from unset
// (status.currentReplicas and status.desiredReplicas, where 0 is a target
// scaled to zero); elsewhere the schema excludes the zero value and
// omitempty or omitzero leaves it out, so status.appliedConfig and
// status.lastAnalysis are plain structs whose IsZero method says they are
// unset.
//
// +kubebuilder:object:generate=true
// +groupName=llmd.ai
package v1alpha1
