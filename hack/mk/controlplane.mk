# Control plane: Kubernetes binaries built from Go modules (hack/controlplane).
#
# Every binary lives under $(BIN)/<component>/<version>/, so make skips those
# that exist and a version bump in hack/versions.mk rebuilds exactly what it
# names. The paths (KUBERNETES_BINARIES, ETCD, KIND, ENVTEST_ASSETS, ...) are
# variables of hack/variables.mk, which the other areas use too.

##@ Control plane

.PHONY: controlplane
controlplane: $(ENVTEST_BINARIES) ## Build kube-apiserver, etcd and kubectl and the envtest assets dir (integration tests).

.PHONY: k8s-binaries
k8s-binaries: $(ENVTEST_BINARIES) $(KUBERNETES_BINARIES) $(ETCD) $(COREDNS) $(PAUSE) $(KIND) $(CRICTL) ## Build every Kubernetes-side binary (7 Kubernetes commands, etcd, coredns, pause, kind, crictl).

.PHONY: test-controlplane
test-controlplane: k8s-binaries ## Check every built binary's version and start etcd + kube-apiserver.
	cd $(CONTROLPLANE_DIR) && BIN=$(BIN) GOWORK=off $(GO) test -race -count=1 -timeout 5m $(GOTESTFLAGS) ./...

.PHONY: controlplane-gen
controlplane-gen: ## Regenerate hack/controlplane go.mod/go.sum from hack/versions.mk (after a version bump).
	GO=$(GO) $(CONTROLPLANE_DIR)/gen-replaces.sh

.PHONY: controlplane-clean
controlplane-clean: ## Remove the binaries of the pinned versions (the next build is cold).
	rm -rf $(KUBERNETES_BIN) $(dir $(ETCD)) $(dir $(COREDNS)) $(dir $(PAUSE)) $(dir $(KIND)) $(dir $(CRICTL)) $(ENVTEST_ASSETS)

# One file target per binary: no prerequisites, so an existing binary is never
# rebuilt; its path carries the version.
$(KUBERNETES_BINARIES): $(KUBERNETES_BIN)/%:
	@$(CONTROLPLANE_BUILD) $*

$(ETCD):
	@$(CONTROLPLANE_BUILD) etcd

$(COREDNS):
	@$(CONTROLPLANE_BUILD) coredns

$(PAUSE):
	@$(CONTROLPLANE_BUILD) pause

$(KIND):
	@$(CONTROLPLANE_BUILD) kind

$(CRICTL):
	@$(CONTROLPLANE_BUILD) crictl

# The envtest links only need their targets to exist (order-only): symlinks
# share their target's mtime, which would otherwise look out of date.
$(ENVTEST_BINARIES) &: | $(KUBE_APISERVER) $(KUBECTL) $(ETCD)
	@$(CONTROLPLANE_BUILD) envtest

# print-VAR prints a make variable, e.g. `make -s print-KUBERNETES_VERSION`.
print-%:
	@echo '$($*)'
