// Package wvactl implements kubectl-wva, the kubectl plugin that checks and
// explains the capacity-scaling-config ConfigMap with the capacity library
// the controller uses, so that its verdicts are the controller's:
//
//   - validate reads a manifest (a ConfigMap, or a multi-document stream such
//     as kustomize build output) offline and reports every entry as OK or
//     INVALID with the reason the controller logs, then the warnings and
//     notes;
//   - explain prints the thresholds that apply to a model in a namespace and
//     the entry that set each one (capacity.Snapshot.Explain), offline from a
//     manifest or from the cluster for a VariantAutoscaling, whose
//     status.appliedConfig it compares with the live ConfigMap;
//   - what-if analyses the latest replica metrics of the VariantAutoscalings
//     (from Prometheus, or reconstructed from status.lastAnalysis) with the
//     live ConfigMap and with a candidate one, one analysis per model as the
//     controller runs it (capacity.AnalyzeModel), and shows which desired
//     replicas the candidate would change.
//
// Run is the whole command; cmd/kubectl-wva only calls it.
package wvactl
