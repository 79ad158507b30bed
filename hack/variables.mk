# Every variable of the Makefile, in one place, grouped by area: paths,
# version-derived output paths, image names and tarballs, tool paths, the
# knobs (`?=`, override any on the command line) and the recipes' helper
# macros. The root Makefile includes hack/versions.mk (the pinned versions),
# then this file, then the rule fragments hack/mk/*.mk, which assign no
# variable: everything a target or prerequisite list names is defined before
# any rule is read, so the fragments may be read in any order.

# ---------------------------------------------------------------------------
# Workspace and Go
# ---------------------------------------------------------------------------

ROOT := $(CURDIR)
BIN  := $(ROOT)/bin
export PATH := $(BIN):$(PATH)

# Go modules of the workspace, in dependency order. Tests that need a real
# control plane or cluster sit behind build tags (integration, e2e) and run
# through their own targets; `go test` without tags runs the unit tests only.
MODULES := modules/capacity modules/api modules/controller e2e

GO          ?= go
GOTESTFLAGS ?=
FUZZTIME    ?= 30s
BENCHTIME   ?= 1s
COUNT       ?= 100

# ---------------------------------------------------------------------------
# Tools (the root Makefile): installed into ./bin by `go install`, one binary per version
# ---------------------------------------------------------------------------

# golangci-lint is built from hack/golangci-lint (a wrapper module outside
# go.work) with the Kube API Linter (sigs.k8s.io/kube-api-linter, no tagged
# releases: a pseudo-version) compiled in as its module plugin; its go.mod
# requires both at these versions.
GOLANGCI_LINT_VERSION   ?= v2.15.0
KUBE_API_LINTER_VERSION ?= v0.0.0-20260716143926-092fe0c72997
CONTROLLER_GEN_VERSION ?= v0.23.0
# actionlint (github.com/rhysd/actionlint) checks .github/workflows.
ACTIONLINT_VERSION     ?= v1.7.12

GOLANGCI_LINT_DIR := $(ROOT)/hack/golangci-lint
GOLANGCI_LINT  := $(BIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)-kal-$(KUBE_API_LINTER_VERSION)
# The Kube API Linter's configuration: modules/api only.
KUBE_API_LINTER_CONFIG := $(ROOT)/hack/kube-api-linter.yaml
CONTROLLER_GEN := $(BIN)/controller-gen-$(CONTROLLER_GEN_VERSION)
ACTIONLINT     := $(BIN)/actionlint-$(ACTIONLINT_VERSION)

# ---------------------------------------------------------------------------
# Controller (hack/mk/controller.mk): binary, local run, envtest suite
# ---------------------------------------------------------------------------

CONTROLLER_MODULE := modules/controller
CONTROLLER_BINARY := $(BIN)/wva-controller
KUBECTL_WVA_BINARY := $(BIN)/kubectl-wva
# Flags of `make run`, e.g. make run RUN_ARGS="--prometheus-url=http://localhost:9090".
RUN_ARGS ?= --zap-devel --metrics-bind-address=0
INTEGRATION_TIMEOUT ?= 10m
# Flags of the scale benchmark, e.g. make bench-scale BENCH_SCALE_ARGS="-fanout=1000 -memory-vas=0 -idle-vas=0".
BENCH_SCALE_ARGS ?=

# ---------------------------------------------------------------------------
# API generation (hack/mk/api.mk): modules/api, deploy/kustomize/base
# ---------------------------------------------------------------------------

API_MODULE      := modules/api
BOILERPLATE     := $(ROOT)/hack/boilerplate.go.txt
CRD_OUTPUT_DIR  := deploy/kustomize/base/crd
RBAC_OUTPUT_DIR := deploy/kustomize/base/rbac

# RBAC generation. `make manifests` writes the manager's ClusterRole and
# namespaced Role, named $(RBAC_ROLE_NAME), to $(RBAC_OUTPUT_DIR)/role.yaml,
# from the +kubebuilder:rbac markers read from $(RBAC_PATHS) inside
# $(RBAC_MODULE), the controller module (an empty RBAC_MODULE leaves role.yaml
# to be maintained by hand). Namespaced rules (the ConfigMap, restricted by
# resourceNames) carry namespace=workload-variant-autoscaler-system. Leader
# election, metrics auth and the bindings stay hand-written next to role.yaml.
RBAC_MODULE    := $(CONTROLLER_MODULE)
RBAC_PATHS     ?= ./...
RBAC_ROLE_NAME ?= wva-manager-role

# Files and directories that `generate` and `manifests` write (relative to
# ROOT), checked by `make verify`.
GENERATED_PATHS = $(API_MODULE)/v1alpha1/zz_generated.deepcopy.go \
	$(CRD_OUTPUT_DIR) \
	$(if $(RBAC_MODULE),$(RBAC_OUTPUT_DIR)/role.yaml)

# ---------------------------------------------------------------------------
# Control plane (hack/mk/controlplane.mk): Kubernetes binaries built from Go
# modules (hack/controlplane)
# ---------------------------------------------------------------------------

# Every binary lives under $(BIN)/<component>/<version>/, so make skips those
# that exist and a version bump in hack/versions.mk rebuilds exactly what it
# names. Rules use the variables below rather than the paths.
CONTROLPLANE_DIR := $(ROOT)/hack/controlplane
CONTROLPLANE_BUILD := BIN=$(BIN) GO=$(GO) $(CONTROLPLANE_DIR)/build.sh

# Kubernetes commands built from k8s.io/kubernetes/cmd/<name> (keep in step
# with hack/controlplane/commands.sh).
KUBERNETES_COMMANDS := kube-apiserver kubectl kube-controller-manager kube-scheduler kube-proxy kubelet kubeadm

KUBERNETES_BIN      := $(BIN)/kubernetes/$(KUBERNETES_VERSION)
KUBERNETES_BINARIES := $(addprefix $(KUBERNETES_BIN)/,$(KUBERNETES_COMMANDS))
KUBE_APISERVER      := $(KUBERNETES_BIN)/kube-apiserver
KUBECTL             := $(KUBERNETES_BIN)/kubectl
KUBEADM             := $(KUBERNETES_BIN)/kubeadm
KUBELET             := $(KUBERNETES_BIN)/kubelet
ETCD                := $(BIN)/etcd/$(ETCD_VERSION)/etcd
COREDNS             := $(BIN)/coredns/$(COREDNS_VERSION)/coredns
PAUSE               := $(BIN)/pause/$(PAUSE_VERSION)/pause
KIND                := $(BIN)/kind/$(KIND_VERSION)/kind
CRICTL              := $(BIN)/cri-tools/$(CRI_TOOLS_VERSION)/crictl

# KUBEBUILDER_ASSETS for envtest: kube-apiserver, etcd and kubectl (symlinks).
ENVTEST_ASSETS := $(BIN)/envtest/$(KUBERNETES_VERSION)
ENVTEST_BINARIES := $(addprefix $(ENVTEST_ASSETS)/,kube-apiserver etcd kubectl)

# ---------------------------------------------------------------------------
# Prometheus (hack/mk/prometheus.mk): the server built from Go modules
# (hack/prometheus)
# ---------------------------------------------------------------------------

# The binary lives under $(BIN)/prometheus/<version>/, so make skips it when
# it exists and a version bump rebuilds it.
PROMETHEUS_DIR    := $(ROOT)/hack/prometheus
PROMETHEUS_BINARY := $(BIN)/prometheus/$(PROMETHEUS_VERSION)/prometheus
PROMETHEUS_TEST_TIMEOUT ?= 5m

# ---------------------------------------------------------------------------
# Kind (hack/mk/kind.mk): the provider, the node image, the image writer and
# the controller image
# ---------------------------------------------------------------------------

# Where a Docker engine answers, kind uses it with the published kindest/node
# image; elsewhere kind's podman provider runs the node image hack/kind-offline
# assembles offline. The variables of the export line below are exported for
# the e2e suite and the scripts.
KIND_OFFLINE_DIR   := $(ROOT)/hack/kind-offline
KIND_OFFLINE_CACHE := $(BIN)/kind-offline
IMAGEWRITER        := $(KIND_OFFLINE_CACHE)/imagewriter
KIND_OFFLINE_GO_SOURCES := $(shell find $(KIND_OFFLINE_DIR) -name '*.go' -not -name '*_test.go') \
	$(KIND_OFFLINE_DIR)/go.mod $(KIND_OFFLINE_DIR)/go.sum

# Cluster name for kind-up/kind-down/kind-load.
KIND_CLUSTER ?= wva
# docker where a Docker engine answers, podman otherwise; probed once, on first use.
KIND_PROVIDER ?= $(eval KIND_PROVIDER := $(shell timeout 20 docker info >/dev/null 2>&1 && echo docker || echo podman))$(KIND_PROVIDER)
# 1: use the offline node image (the default with podman); 0: the published one.
KIND_OFFLINE ?= $(if $(filter podman,$(KIND_PROVIDER)),1,0)
KIND_OFFLINE_NODE_IMAGE ?= localhost/kindest/node:$(KUBERNETES_VERSION)-offline
# The published image is the one kind/cluster.yaml pins (kind's default for KIND_VERSION).
KIND_PUBLISHED_NODE_IMAGE ?= $(shell sed -n 's/^ *image: *//p' $(ROOT)/kind/cluster.yaml)
KIND_NODE_IMAGE ?= $(if $(filter 1,$(KIND_OFFLINE)),$(KIND_OFFLINE_NODE_IMAGE),$(KIND_PUBLISHED_NODE_IMAGE))
KIND_CONFIG     ?= $(ROOT)/kind/$(if $(filter 1,$(KIND_OFFLINE)),cluster-offline.yaml,cluster.yaml)
KIND_KUBECONFIG ?= $(BIN)/kubeconfig-$(KIND_CLUSTER)
# kind reads the provider from KIND_EXPERIMENTAL_PROVIDER; podman reads its
# ulimits from the containers.conf that kind-host writes.
KIND_EXPERIMENTAL_PROVIDER ?= $(KIND_PROVIDER)
CONTAINERS_CONF ?= $(if $(filter podman,$(KIND_PROVIDER)),$(KIND_OFFLINE_CACHE)/containers.conf)

# The controller image, written without Docker by `make image`.
CONTROLLER_IMAGE_NAME ?= ghcr.io/wva-project/wva-controller
CONTROLLER_IMAGE_TAG  ?= dev
CONTROLLER_IMAGE      ?= $(CONTROLLER_IMAGE_NAME):$(CONTROLLER_IMAGE_TAG)
CONTROLLER_IMAGE_TAR  ?= $(BIN)/images/wva-controller-$(CONTROLLER_IMAGE_TAG).tar

export KIND_CLUSTER KIND_PROVIDER KIND_NODE_IMAGE KIND_CONFIG KIND_KUBECONFIG \
	KIND_EXPERIMENTAL_PROVIDER CONTAINERS_CONF CONTROLLER_IMAGE CONTROLLER_IMAGE_TAR

# Environment of the hack/kind-offline scripts.
KIND_OFFLINE_ENV = ROOT=$(ROOT) BIN=$(BIN) GO=$(GO) KIND=$(KIND) IMAGEWRITER=$(IMAGEWRITER) \
	KUBERNETES_VERSION=$(KUBERNETES_VERSION) ETCD_VERSION=$(ETCD_VERSION) COREDNS_VERSION=$(COREDNS_VERSION) \
	PAUSE_VERSION=$(PAUSE_VERSION) KIND_VERSION=$(KIND_VERSION) CRI_TOOLS_VERSION=$(CRI_TOOLS_VERSION)
# What the offline node image is made of (the control plane's file targets).
KIND_NODE_INPUTS = $(KUBERNETES_BINARIES) $(ETCD) $(COREDNS) $(PAUSE) $(CRICTL)

# ---------------------------------------------------------------------------
# KEDA (hack/mk/keda.mk): the operator and the metrics API server built from Go
# modules (hack/keda), their images and the module's own manifests
# ---------------------------------------------------------------------------

# The binaries live under $(BIN)/keda/<version>/, so make skips them when they
# exist and a version bump rebuilds them.
KEDA_DIR      := $(ROOT)/hack/keda
KEDA_BIN      := $(BIN)/keda/$(KEDA_VERSION)
KEDA_OPERATOR := $(KEDA_BIN)/keda
KEDA_ADAPTER  := $(KEDA_BIN)/keda-adapter
KEDA_BUILD    := BIN=$(BIN) GO=$(GO) KEDA_VERSION=$(KEDA_VERSION) $(KEDA_DIR)/build.sh

# Image tags: upstream's repository names (ghcr.io/kedacore/keda,
# .../keda-metrics-apiserver) under localhost/wva-e2e/, and upstream's tag
# (the version without its "v").
KEDA_IMAGE_TAG          ?= $(KEDA_VERSION:v%=%)
KEDA_OPERATOR_IMAGE     ?= localhost/wva-e2e/keda:$(KEDA_IMAGE_TAG)
KEDA_ADAPTER_IMAGE      ?= localhost/wva-e2e/keda-metrics-apiserver:$(KEDA_IMAGE_TAG)
KEDA_OPERATOR_IMAGE_TAR ?= $(BIN)/images/wva-e2e-keda-$(KEDA_IMAGE_TAG).tar
KEDA_ADAPTER_IMAGE_TAR  ?= $(BIN)/images/wva-e2e-keda-metrics-apiserver-$(KEDA_IMAGE_TAG).tar

# The config/ directory (CRDs, kustomize bases) of the module the wrapper
# requires, i.e. of the binaries; evaluated only by the recipes that use it.
KEDA_CONFIG_DIR = $(shell cd $(KEDA_DIR) && GOWORK=off $(GO) mod download github.com/kedacore/keda/v2 && \
	GOWORK=off $(GO) list -m -f '{{.Dir}}' github.com/kedacore/keda/v2)/config
KEDA_DEPLOY = cd $(E2E_DIR) && $(GO) run ./cmd/keda-deploy -kubeconfig $(KIND_KUBECONFIG) -version $(KEDA_VERSION) \
	-config-dir $(KEDA_CONFIG_DIR) -operator-image $(KEDA_OPERATOR_IMAGE) -metrics-server-image $(KEDA_ADAPTER_IMAGE)
# The settings of the KEDA e2e features (e2e/keda_test.go, e2e/loadkeda_test.go),
# added to the suite's environment by the e2e targets that run them.
KEDA_E2E_ENV = E2E_KEDA_VERSION=$(KEDA_VERSION) E2E_KEDA_CONFIG_DIR=$(KEDA_CONFIG_DIR) \
	E2E_KEDA_OPERATOR_IMAGE=$(KEDA_OPERATOR_IMAGE) E2E_KEDA_OPERATOR_IMAGE_TAR=$(KEDA_OPERATOR_IMAGE_TAR) \
	E2E_KEDA_METRICS_SERVER_IMAGE=$(KEDA_ADAPTER_IMAGE) E2E_KEDA_METRICS_SERVER_IMAGE_TAR=$(KEDA_ADAPTER_IMAGE_TAR)

# The image writer's flags for both KEDA images, as upstream's distroless
# base: -accounts adds /etc/passwd and /tmp, which distroless/static has too;
# distroless's nonroot user (65532). distroless also ships the time-zone
# database, which the cron scaler's required timezone field needs
# (time.LoadLocation): here it is the Go toolchain's own zoneinfo.zip, the
# data `-tags timetzdata` would embed, found through ZONEINFO. CA certificates
# (distroless has them, for scalers that call cloud APIs over TLS) are left
# out: nothing here talks to one.
KEDA_ZONEINFO = $(shell $(GO) env GOROOT)/lib/time/zoneinfo.zip
KEDA_IMAGE_FLAGS = -accounts -file $(KEDA_ZONEINFO)=/usr/share/zoneinfo.zip:0644 -env ZONEINFO=/usr/share/zoneinfo.zip \
	-user 65532:65532 -workdir /

# ---------------------------------------------------------------------------
# e2e (hack/mk/e2e.mk): the e2e/ suite on a real kind cluster, its images,
# and the one-command local cluster (`make up` / `make down`)
# ---------------------------------------------------------------------------

# The suite is configured through the environment (E2E_*), not flags:
# `go test ./...` hands flags after -args to every package's test binary,
# and only the e2e package knows them. See e2e/internal/cluster/options.go.
E2E_DIR := $(ROOT)/e2e
# Name of the suite's own cluster, distinct from `make up`'s, so a run never
# touches the cluster a developer is using.
E2E_KIND_CLUSTER ?= wva-e2e
E2E_TIMEOUT      ?= 30m
E2E_GOTESTFLAGS  ?= -v -count=1 -timeout $(E2E_TIMEOUT)
# Extra settings, e.g. E2E_KEEP_CLUSTER=1 (keep the cluster for debugging)
# or E2E_ARTIFACTS=/tmp/artifacts.
E2E_EXTRA_ENV    ?=
# Select features by label: LABELS=area=reload runs one area, LABELS=size=small
# the quick features, SKIP_LABELS=size=large leaves the long ones out. The
# labels and their values are listed in e2e/internal/cluster (FeatureLabels) and e2e/README.md.
LABELS      ?=
SKIP_LABELS ?=

# The images of feature 10 (scale-up on real metrics), written without Docker
# by the image writer: the vLLM stub (e2e/cmd/vllmstub, static, FROM scratch)
# and the Prometheus server above (PROMETHEUS_BINARY). Both run as 65532.
# The emulator and load generator images below are written the same way.
E2E_IMAGES_DIR         := $(BIN)/images
VLLMSTUB_BINARY        := $(BIN)/e2e/vllmstub
VLLMSTUB_IMAGE         ?= localhost/wva-e2e/vllmstub:dev
VLLMSTUB_IMAGE_TAR     ?= $(E2E_IMAGES_DIR)/wva-e2e-vllmstub-dev.tar
E2E_PROMETHEUS_IMAGE     ?= localhost/wva-e2e/prometheus:dev
E2E_PROMETHEUS_IMAGE_TAR ?= $(E2E_IMAGES_DIR)/wva-e2e-prometheus-dev.tar
VLLMSTUB_SOURCES := $(wildcard $(E2E_DIR)/cmd/vllmstub/*.go) $(E2E_DIR)/go.mod

# The load-driven vLLM emulator (e2e/cmd/vllm-emulator) and the load
# generator that drives it (e2e/cmd/loadgen), static, FROM scratch, 65532.
EMULATOR_BINARY    := $(BIN)/e2e/vllm-emulator
EMULATOR_IMAGE     ?= localhost/wva-e2e/vllm-emulator:dev
EMULATOR_IMAGE_TAR ?= $(E2E_IMAGES_DIR)/wva-e2e-vllm-emulator-dev.tar
EMULATOR_SOURCES   := $(wildcard $(E2E_DIR)/cmd/vllm-emulator/*.go $(E2E_DIR)/internal/emulator/*.go) \
	$(E2E_DIR)/go.mod $(E2E_DIR)/go.sum
LOADGEN_BINARY     := $(BIN)/e2e/loadgen
LOADGEN_IMAGE      ?= localhost/wva-e2e/loadgen:dev
LOADGEN_IMAGE_TAR  ?= $(E2E_IMAGES_DIR)/wva-e2e-loadgen-dev.tar
LOADGEN_SOURCES    := $(wildcard $(E2E_DIR)/cmd/loadgen/*.go $(E2E_DIR)/internal/loadgen/*.go) \
	$(E2E_DIR)/go.mod $(E2E_DIR)/go.sum

# The suite's environment for a kind run with node image $(1), kind config
# $(2) and provider $(3).
e2e_kind_env = E2E_MODE=kind \
	E2E_KIND=$(KIND) E2E_KIND_VERSION=$(KIND_VERSION) E2E_KIND_CLUSTER=$(E2E_KIND_CLUSTER) \
	E2E_KIND_NODE_IMAGE=$(1) E2E_KIND_CONFIG=$(2) \
	E2E_CONTROLLER_IMAGE_TAR=$(CONTROLLER_IMAGE_TAR) \
	E2E_VLLMSTUB_IMAGE=$(VLLMSTUB_IMAGE) E2E_VLLMSTUB_IMAGE_TAR=$(VLLMSTUB_IMAGE_TAR) \
	E2E_PROMETHEUS_IMAGE=$(E2E_PROMETHEUS_IMAGE) E2E_PROMETHEUS_IMAGE_TAR=$(E2E_PROMETHEUS_IMAGE_TAR) \
	E2E_EMULATOR_IMAGE=$(EMULATOR_IMAGE) E2E_EMULATOR_IMAGE_TAR=$(EMULATOR_IMAGE_TAR) \
	E2E_LOADGEN_IMAGE=$(LOADGEN_IMAGE) E2E_LOADGEN_IMAGE_TAR=$(LOADGEN_IMAGE_TAR) \
	KIND_EXPERIMENTAL_PROVIDER=$(3) $(if $(filter podman,$(3)),CONTAINERS_CONF=$(CONTAINERS_CONF)) \
	E2E_LABELS='$(LABELS)' E2E_SKIP_LABELS='$(SKIP_LABELS)' $(E2E_EXTRA_ENV)

# A kind-mode run of the suite on this machine's node image and provider;
# the command (`go test ...`) follows.
E2E_KIND_RUN = cd $(E2E_DIR) && $(call e2e_kind_env,$(KIND_NODE_IMAGE),$(KIND_CONFIG),$(KIND_PROVIDER))
# The features that need the KEDA images (above), and whether both tarballs
# exist (evaluated when test-e2e's recipe runs).
KEDA_E2E_FEATURES := ^(TestKEDARuns|TestLoadCycleKEDA)$$
KEDA_IMAGES_BUILT = $(and $(wildcard $(KEDA_OPERATOR_IMAGE_TAR)),$(wildcard $(KEDA_ADAPTER_IMAGE_TAR)))

# `make up` deploys the demo (deploy/demo: an emulated model with two
# variants, a repeating load cycle, Prometheus) with the controller of
# overlays/demo, which reads that Prometheus. DEMO=0 deploys the kind
# overlay (no metrics source) and the example VariantAutoscaling instead,
# the cluster `make e2e-existing` expects.
DEMO ?= 1
DEMO_DIR     := deploy/demo
DEMO_OVERLAY := deploy/kustomize/overlays/demo
UP_DEPLOY_FLAGS = $(if $(filter 1,$(DEMO)),-overlay $(DEMO_OVERLAY) -demo $(DEMO_DIR) -examples=)
# `make plot`: the last PLOT_SINCE of the demo, sampled every PLOT_STEP, to
# PLOT_OUT.csv and PLOT_OUT.png.
PLOT_SINCE ?= 15m
PLOT_STEP  ?= 5s
PLOT_OUT   ?= $(BIN)/plot/wva-demo
