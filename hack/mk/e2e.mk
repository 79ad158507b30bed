# End-to-end: the e2e/ suite (sigs.k8s.io/e2e-framework) on a real kind
# cluster with the controller running in-cluster from its image, and the
# one-command local cluster (`make up` / `make down`).
#
# Included by the root Makefile (ROOT, BIN, GO). The kind variables come from
# hack/mk/controlplane.mk (KIND, the source-built kind binary) and
# hack/mk/kind.mk (KIND_NODE_IMAGE, KIND_CONFIG, KIND_PROVIDER,
# CONTROLLER_IMAGE_TAR, KIND_KUBECONFIG, IMAGEWRITER, ...), PROMETHEUS_BINARY
# from hack/mk/prometheus.mk. Recipes expand them when they run; the
# prerequisites naming variables of fragments read after this one (kind.mk,
# prometheus.mk) are written $$(VAR) under .SECONDEXPANSION, which expands
# them once every fragment is read.
#
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
# labels and their values are listed in e2e/labels_test.go and e2e/README.md.
LABELS      ?=
SKIP_LABELS ?=

# The images of feature 10 (scale-up on real metrics), written without Docker
# by the image writer: the vLLM stub (e2e/cmd/vllmstub, static, FROM scratch)
# and the Prometheus server of hack/mk/prometheus.mk. Both run as 65532.
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

##@ e2e

# A kind-mode run of the suite on this machine's node image and provider;
# the command (`go test ...`) follows.
E2E_KIND_RUN = cd $(E2E_DIR) && $(call e2e_kind_env,$(KIND_NODE_IMAGE),$(KIND_CONFIG),$(KIND_PROVIDER))
# The features that need the KEDA images (hack/mk/keda.mk), and whether
# both tarballs exist (evaluated when test-e2e's recipe runs).
KEDA_E2E_FEATURES := ^(TestKEDARuns|TestLoadCycleKEDA)$$
KEDA_IMAGES_BUILT = $(and $(wildcard $(KEDA_OPERATOR_IMAGE_TAR)),$(wildcard $(KEDA_ADAPTER_IMAGE_TAR)))

.PHONY: test-e2e
test-e2e: kind-image image e2e-images $(KIND) ## Run the e2e suite on a new kind cluster that fits this machine (offline node image + podman without a Docker engine); LABELS=area=reload runs a subset.
	$(if $(KEDA_IMAGES_BUILT),$(E2E_KIND_RUN) $(KEDA_E2E_ENV) $(GO) test -tags e2e $(E2E_GOTESTFLAGS) ./...,\
	$(if $(LABELS)$(SKIP_LABELS),@echo "test-e2e: KEDA images not built: the KEDA features are skipped (make keda-images builds them)"; \
		$(E2E_KIND_RUN) $(GO) test -tags e2e $(E2E_GOTESTFLAGS) ./...,\
		MAKE='$(MAKE)' BUILD_LOG=$(BIN)/e2e-background-build.log $(ROOT)/hack/e2e-overlap.sh \
		keda-images e2e-pass-without-keda e2e-pass-keda e2e-cluster-delete))

# test-e2e's two passes when the KEDA images are still to be built (a fresh
# machine): hack/e2e-overlap.sh builds them at nice 19 while the first pass
# runs every other feature on a cluster it keeps; the second runs the KEDA
# features on that cluster and deletes it (unless E2E_EXTRA_ENV keeps it).
# The KEDA build (about 7.5 minutes of two idle cores) then mostly overlaps
# the first pass, which waits on the cluster.
.PHONY: e2e-pass-without-keda e2e-pass-keda e2e-cluster-delete
e2e-pass-without-keda:
	$(E2E_KIND_RUN) E2E_KEEP_CLUSTER=1 $(GO) test -tags e2e $(E2E_GOTESTFLAGS) -skip '$(KEDA_E2E_FEATURES)' ./...
e2e-pass-keda:
	$(E2E_KIND_RUN) $(KEDA_E2E_ENV) $(GO) test -tags e2e $(E2E_GOTESTFLAGS) -run '$(KEDA_E2E_FEATURES)' .
e2e-cluster-delete:
	$(MAKE) --no-print-directory kind-down KIND_CLUSTER=$(E2E_KIND_CLUSTER)

.PHONY: e2e
e2e: image e2e-images keda-images $(KIND) ## Run the e2e suite with Docker and the published kindest/node image (GitHub Actions, laptops).
	@timeout 20 docker info >/dev/null 2>&1 || { echo "e2e: no Docker engine answers; use 'make test-e2e' (podman + offline node image)" >&2; exit 1; }
	cd $(E2E_DIR) && $(call e2e_kind_env,$(KIND_PUBLISHED_NODE_IMAGE),$(ROOT)/kind/cluster.yaml,docker) $(KEDA_E2E_ENV) \
		$(GO) test -tags e2e $(E2E_GOTESTFLAGS) ./...

.PHONY: e2e-images
e2e-images: $(VLLMSTUB_IMAGE_TAR) $(E2E_PROMETHEUS_IMAGE_TAR) $(EMULATOR_IMAGE_TAR) $(LOADGEN_IMAGE_TAR) ## Write the e2e image tarballs (vLLM stub, Prometheus, vLLM emulator, load generator) to bin/images/.

.PHONY: e2e-binaries
e2e-binaries: $(VLLMSTUB_BINARY) $(EMULATOR_BINARY) $(LOADGEN_BINARY) ## Build the e2e suite's static binaries (vLLM stub, vLLM emulator, load generator) to bin/e2e/.

$(VLLMSTUB_BINARY): $(VLLMSTUB_SOURCES)
	cd $(E2E_DIR) && CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $@ ./cmd/vllmstub

$(EMULATOR_BINARY): $(EMULATOR_SOURCES)
	cd $(E2E_DIR) && CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $@ ./cmd/vllm-emulator

$(LOADGEN_BINARY): $(LOADGEN_SOURCES)
	cd $(E2E_DIR) && CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $@ ./cmd/loadgen

.SECONDEXPANSION:
$(VLLMSTUB_IMAGE_TAR): $(VLLMSTUB_BINARY) $$(IMAGEWRITER)
	@mkdir -p $(dir $@)
	$(IMAGEWRITER) image -tag $(VLLMSTUB_IMAGE) -o $@ -file $(VLLMSTUB_BINARY)=/vllmstub:0755 \
		-entrypoint /vllmstub -user 65532:65532

$(EMULATOR_IMAGE_TAR): $(EMULATOR_BINARY) $$(IMAGEWRITER)
	@mkdir -p $(dir $@)
	$(IMAGEWRITER) image -tag $(EMULATOR_IMAGE) -o $@ -file $(EMULATOR_BINARY)=/vllm-emulator:0755 \
		-entrypoint /vllm-emulator -user 65532:65532

$(LOADGEN_IMAGE_TAR): $(LOADGEN_BINARY) $$(IMAGEWRITER)
	@mkdir -p $(dir $@)
	$(IMAGEWRITER) image -tag $(LOADGEN_IMAGE) -o $@ -file $(LOADGEN_BINARY)=/loadgen:0755 \
		-entrypoint /loadgen -user 65532:65532

# The data directory is an emptyDir the feature mounts at /prometheus; the
# configuration a ConfigMap at /etc/prometheus.
$(E2E_PROMETHEUS_IMAGE_TAR): $$(PROMETHEUS_BINARY) $$(IMAGEWRITER)
	@mkdir -p $(dir $@)
	$(IMAGEWRITER) image -tag $(E2E_PROMETHEUS_IMAGE) -o $@ -accounts -file $(PROMETHEUS_BINARY)=/bin/prometheus:0755 \
		-entrypoint /bin/prometheus -cmd --config.file=/etc/prometheus/prometheus.yml -cmd --storage.tsdb.path=/prometheus \
		-user 65532:65532 -workdir /prometheus

.PHONY: e2e-existing
e2e-existing: ## Run the e2e features against the cluster of KUBECONFIG (controller deployed with the kind overlay, no ConfigMap).
	@test -n "$(KUBECONFIG)" || { echo "e2e-existing: set KUBECONFIG to the cluster's kubeconfig" >&2; exit 1; }
	cd $(E2E_DIR) && E2E_LABELS='$(LABELS)' E2E_SKIP_LABELS='$(SKIP_LABELS)' $(E2E_EXTRA_ENV) $(GO) test -tags e2e $(E2E_GOTESTFLAGS) . \
		-args -mode=existing -kubeconfig=$(abspath $(KUBECONFIG))

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

.PHONY: demo-load
demo-load: kind-up $(E2E_PROMETHEUS_IMAGE_TAR) $(EMULATOR_IMAGE_TAR) $(LOADGEN_IMAGE_TAR) ## Load the demo's images (Prometheus, vLLM emulator, load generator) into cluster KIND_CLUSTER.
	@for tar in $(E2E_PROMETHEUS_IMAGE_TAR) $(EMULATOR_IMAGE_TAR) $(LOADGEN_IMAGE_TAR); do \
		echo "kind load image-archive $$tar"; $(KIND) load image-archive $$tar --name $(KIND_CLUSTER); done

.PHONY: up
up: kind-load $(if $(filter 1,$(DEMO)),demo-load) ## Create kind cluster KIND_CLUSTER (wva), load the images, deploy the controller and the demo (DEMO=0: the example VariantAutoscaling instead).
	cd $(E2E_DIR) && $(GO) run ./cmd/deploy -kubeconfig $(KIND_KUBECONFIG) $(UP_DEPLOY_FLAGS)

.PHONY: plot
plot: ## Draw the demo's timeline (load, KV cache, replicas) of the last PLOT_SINCE (15m) from its Prometheus to PLOT_OUT.{csv,png}.
	cd $(E2E_DIR) && $(GO) run ./cmd/plot -kubeconfig $(KIND_KUBECONFIG) -since $(PLOT_SINCE) -step $(PLOT_STEP) -out $(PLOT_OUT)

.PHONY: down
down: kind-down ## Delete kind cluster KIND_CLUSTER (wva) made by `make up`.
