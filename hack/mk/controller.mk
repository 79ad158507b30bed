# The controller module (modules/controller): binary, local run, envtest
# integration suite and the RBAC generated from its +kubebuilder:rbac markers.
#
# The variables (CONTROLLER_MODULE, CONTROLLER_BINARY, RUN_ARGS, ENVTEST_ASSETS,
# RBAC_MODULE, which points `make manifests` at this module's markers, ...) are
# in hack/variables.mk.

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

.PHONY: bench-scale
bench-scale: $(ENVTEST_BINARIES) build-controller ## Run the scale benchmark (not in `make test`): fan-out at 200/1000/2000 VAs, memory, idle CPU (docs/performance.md).
	cd $(CONTROLLER_MODULE) && KUBEBUILDER_ASSETS=$(ENVTEST_ASSETS) \
		$(GO) run ./test/benchscale -controller $(CONTROLLER_BINARY) $(BENCH_SCALE_ARGS)

.PHONY: manifests-rbac
manifests-rbac: $(CONTROLLER_GEN) ## Generate the manager's ClusterRole and Role (wva-manager-role) from the RBAC markers.
	cd $(CONTROLLER_MODULE) && $(CONTROLLER_GEN) rbac:roleName=wva-manager-role paths=./... \
		output:rbac:artifacts:config=$(ROOT)/deploy/kustomize/base/rbac
