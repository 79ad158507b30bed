# The controller module (modules/controller): binary, local run, envtest
# integration suite and the RBAC generated from its +kubebuilder:rbac markers.
#
# Included by the root Makefile (ROOT, BIN, GO, CONTROLLER_GEN). ENVTEST_ASSETS
# and the controlplane target come from controlplane.mk; they are only used in
# prerequisites and recipes, so the include order does not matter.

CONTROLLER_MODULE := modules/controller
CONTROLLER_BINARY := $(BIN)/wva-controller
KUBECTL_WVA_BINARY := $(BIN)/kubectl-wva
# Flags of `make run`, e.g. make run RUN_ARGS="--prometheus-url=http://localhost:9090".
RUN_ARGS ?= --zap-devel --metrics-bind-address=0
INTEGRATION_TIMEOUT ?= 10m

# `make manifests` (api.mk) also regenerates role.yaml from this module's markers.
RBAC_MODULE := $(CONTROLLER_MODULE)

##@ Controller

.PHONY: build-controller
build-controller: ## Build a static wva-controller binary into bin/.
	@mkdir -p $(BIN)
	cd $(CONTROLLER_MODULE) && CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $(CONTROLLER_BINARY) ./cmd/wva-controller

.PHONY: build-kubectl-wva
build-kubectl-wva: ## Build the kubectl plugin into bin/kubectl-wva (`kubectl wva validate|explain|what-if` once bin/ is on PATH).
	@mkdir -p $(BIN)
	cd $(CONTROLLER_MODULE) && CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $(KUBECTL_WVA_BINARY) ./cmd/kubectl-wva

.PHONY: run
run: ## Run the controller against the current kubeconfig (RUN_ARGS adds flags; CRD must be installed).
	cd $(CONTROLLER_MODULE) && $(GO) run ./cmd/wva-controller $(RUN_ARGS)

.PHONY: test-integration
test-integration: controlplane ## Run the controller's envtest suite on the source-built kube-apiserver and etcd.
	cd $(CONTROLLER_MODULE) && KUBEBUILDER_ASSETS=$(ENVTEST_ASSETS) \
		$(GO) test -race -count=1 -tags integration -timeout $(INTEGRATION_TIMEOUT) $(GOTESTFLAGS) ./test/integration/...

# Flags of the scale benchmark, e.g. make bench-scale BENCH_SCALE_ARGS="-fanout=1000 -memory-vas=0 -idle-vas=0".
BENCH_SCALE_ARGS ?=

.PHONY: bench-scale
bench-scale: $(ENVTEST_BINARIES) build-controller ## Run the scale benchmark (not in `make test`): fan-out at 200/1000/2000 VAs, memory, idle CPU (docs/performance.md).
	cd $(CONTROLLER_MODULE) && KUBEBUILDER_ASSETS=$(ENVTEST_ASSETS) \
		$(GO) run ./test/benchscale -controller $(CONTROLLER_BINARY) $(BENCH_SCALE_ARGS)

.PHONY: manifests-rbac
manifests-rbac: $(CONTROLLER_GEN) ## Generate the manager's ClusterRole and Role (wva-manager-role) from the RBAC markers.
	cd $(CONTROLLER_MODULE) && $(CONTROLLER_GEN) rbac:roleName=wva-manager-role paths=./... \
		output:rbac:artifacts:config=$(ROOT)/deploy/kustomize/base/rbac
