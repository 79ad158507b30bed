# KEDA for metrics actuation: the operator and the metrics API server built
# from Go modules (hack/keda, a wrapper module outside go.work), their images
# written without Docker, and the module's own manifests (rendered and
# installed by the e2e/keda package).
#
# Included by the root Makefile (ROOT, BIN, GO). IMAGEWRITER comes from
# hack/mk/kind.mk, read after this fragment, hence $$(IMAGEWRITER) under
# .SECONDEXPANSION. The binaries live under $(BIN)/keda/<version>/, so make
# skips them when they exist and a version bump rebuilds them. Bumping: change
# KEDA_VERSION in hack/versions.mk, run `make keda-gen`, commit
# hack/keda/go.{mod,sum}.

include $(ROOT)/hack/versions.mk

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
KEDA_DEPLOY = cd $(E2E_DIR) && $(GO) run ./keda/cmd/deploy -kubeconfig $(KIND_KUBECONFIG) -version $(KEDA_VERSION) \
	-config-dir $(KEDA_CONFIG_DIR) -operator-image $(KEDA_OPERATOR_IMAGE) -metrics-server-image $(KEDA_ADAPTER_IMAGE)
# The settings of the KEDA e2e features (e2e/keda_test.go, e2e/loadkeda_test.go),
# added to the suite's environment by the e2e targets that run them.
KEDA_E2E_ENV = E2E_KEDA_VERSION=$(KEDA_VERSION) E2E_KEDA_CONFIG_DIR=$(KEDA_CONFIG_DIR) \
	E2E_KEDA_OPERATOR_IMAGE=$(KEDA_OPERATOR_IMAGE) E2E_KEDA_OPERATOR_IMAGE_TAR=$(KEDA_OPERATOR_IMAGE_TAR) \
	E2E_KEDA_METRICS_SERVER_IMAGE=$(KEDA_ADAPTER_IMAGE) E2E_KEDA_METRICS_SERVER_IMAGE_TAR=$(KEDA_ADAPTER_IMAGE_TAR)

##@ KEDA

.PHONY: keda
keda: $(KEDA_OPERATOR) $(KEDA_ADAPTER) ## Build the KEDA operator and metrics API server from Go modules into bin/keda/<version>/.

.PHONY: keda-images
keda-images: $(KEDA_OPERATOR_IMAGE_TAR) $(KEDA_ADAPTER_IMAGE_TAR) ## Write the KEDA operator and metrics API server image tarballs to bin/images/ (no Docker).

.PHONY: keda-deploy
keda-deploy: keda-images kind-up ## Load the KEDA images into cluster KIND_CLUSTER and install KEDA from its module's manifests.
	$(KIND) load image-archive $(KEDA_OPERATOR_IMAGE_TAR) --name $(KIND_CLUSTER)
	$(KIND) load image-archive $(KEDA_ADAPTER_IMAGE_TAR) --name $(KIND_CLUSTER)
	$(KEDA_DEPLOY)

.PHONY: keda-undeploy
keda-undeploy: ## Remove KEDA from cluster KIND_CLUSTER (ScaledObjects and the other KEDA resources first).
	$(KEDA_DEPLOY) -uninstall

.PHONY: test-e2e-keda
test-e2e-keda: kind-image image e2e-images keda-images $(KIND) ## Run the KEDA e2e features alone ("KEDA runs", the load cycle with KEDA) on a new kind cluster (E2E_KIND_CLUSTER).
	@$(MAKE) --no-print-directory e2e-pass-keda

.PHONY: keda-gen
keda-gen: ## Point hack/keda/go.mod at KEDA_VERSION with KEDA's replace/exclude directives (after a version bump).
	GO=$(GO) KEDA_VERSION=$(KEDA_VERSION) $(KEDA_DIR)/gen.sh

.PHONY: keda-clean
keda-clean: ## Remove the KEDA binaries and image tarballs of the pinned version (the next build is cold).
	rm -rf $(KEDA_BIN) $(KEDA_OPERATOR_IMAGE_TAR) $(KEDA_ADAPTER_IMAGE_TAR)

# No prerequisites: an existing binary is never rebuilt; its path carries the
# version, and build.sh checks that go.mod requires that version. Both come
# from one `go build` (they share most packages), hence the grouped target.
$(KEDA_OPERATOR) $(KEDA_ADAPTER) &:
	@$(KEDA_BUILD)

# As upstream's Dockerfile and Dockerfile.adapter: the binary at the root,
# distroless's nonroot user (65532), the entrypoint with upstream's flags
# (the manifests override the command and arguments anyway). -accounts adds
# /etc/passwd and /tmp, which distroless/static has too. distroless also
# ships the time-zone database, which the cron scaler's required timezone
# field needs (time.LoadLocation): here it is the Go toolchain's own
# zoneinfo.zip, the data `-tags timetzdata` would embed, found through
# ZONEINFO. CA certificates (distroless has them, for scalers that call
# cloud APIs over TLS) are left out: nothing here talks to one.
KEDA_ZONEINFO = $(shell $(GO) env GOROOT)/lib/time/zoneinfo.zip
KEDA_IMAGE_FLAGS = -accounts -file $(KEDA_ZONEINFO)=/usr/share/zoneinfo.zip:0644 -env ZONEINFO=/usr/share/zoneinfo.zip \
	-user 65532:65532 -workdir /

.SECONDEXPANSION:
$(KEDA_OPERATOR_IMAGE_TAR): $(KEDA_OPERATOR) $$(IMAGEWRITER)
	@mkdir -p $(dir $@)
	$(IMAGEWRITER) image -tag $(KEDA_OPERATOR_IMAGE) -o $@ -file $(KEDA_OPERATOR)=/keda:0755 $(KEDA_IMAGE_FLAGS) \
		-entrypoint /keda -entrypoint --zap-log-level=info -entrypoint --zap-encoder=console

$(KEDA_ADAPTER_IMAGE_TAR): $(KEDA_ADAPTER) $$(IMAGEWRITER)
	@mkdir -p $(dir $@)
	$(IMAGEWRITER) image -tag $(KEDA_ADAPTER_IMAGE) -o $@ -file $(KEDA_ADAPTER)=/keda-adapter:0755 $(KEDA_IMAGE_FLAGS) \
		-entrypoint /keda-adapter -entrypoint --secure-port=6443 -entrypoint --zap-log-level=info -entrypoint --zap-encoder=console
