// Package app assembles the wva-controller manager: scheme, a cache that
// holds exactly one ConfigMap, the secured metrics endpoint, health probes,
// the startup read of the capacity scaling ConfigMap, and the
// VariantAutoscaling controller with its ConfigMap watch. The binary and the
// envtest suite build the manager through the same function, so the suite
// tests what ships.
package app
