// Package cluster is the e2e suite's shared state and the cluster under test:
// the Suite that TestMain builds from the suite's flags and environment
// (Options), its set-up (a kind cluster created or reused, the controller
// image loaded, the kind overlay deployed without the ConfigMap; or an
// existing cluster checked) and tear-down (logs exported when anything
// failed, the kind cluster deleted), the clients every feature uses, the
// measurements printed at the end of the run, and the image tarballs loaded
// into kind once per run.
//
// It also holds the controller's lifecycle as the features see it, through
// the API only: its Deployment and pods, scaling it to zero and back,
// patching its args and restoring them, its identity (pod UID and restart
// count), its log (WaitLogs, CheckNothingFatal), the capacity-scaling
// ConfigMap it reads, and the artifacts of a failure (ArtifactPath,
// ExportControllerLogs, DumpVAs; e2e/_artifacts/<run>/<Test>/...).
//
// Nothing here runs at init: a Suite does nothing until TestMain hands its
// SetUp, AfterTest and TearDown to e2e-framework.
package cluster
