// Package workload builds and applies an emulated model for the e2e suite:
// per variant a Deployment of the vLLM emulator (e2e/cmd/vllm-emulator), one
// Service in front of every variant's pods, so that the load spreads over
// all the model's replicas whatever variant they belong to, and a Job of the
// load generator (e2e/cmd/loadgen) that offers that Service a rate profile.
//
// The objects are applied server-side (package apply) and carry the labels
// the suite's Prometheus scrapes on: LabelScrape on the pod, and a
// container port named PortHTTP or PortMetrics.
//
// Engine sizing is explicit (Model.Engine, Model.Request), and the
// capacity arithmetic a test needs to predict WVA's decisions (how long a
// request runs, how many fit in one replica, the KV-cache usage of a number
// of running requests) is in Model's methods, so that a test and the
// emulator it deploys never disagree.
package workload
