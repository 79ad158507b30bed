# End-to-end: the e2e/ suite (sigs.k8s.io/e2e-framework) on a real kind
# cluster with the controller running in-cluster from its image, and the
# one-command local cluster (`make up` / `make down`).
#
# The variables (E2E_DIR, the image names and tarballs, LABELS, E2E_KIND_RUN,
# KEDA_E2E_FEATURES, DEMO, PLOT_*, ...) and those of the other areas they use
# (KIND, KIND_NODE_IMAGE, IMAGEWRITER, PROMETHEUS_BINARY, KEDA_E2E_ENV, ...)
# are in hack/variables.mk. The suite is configured through the environment
# (E2E_*), not flags; see e2e/internal/cluster/options.go.

##@ e2e

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

$(VLLMSTUB_IMAGE_TAR): $(VLLMSTUB_BINARY) $(IMAGEWRITER)
	@mkdir -p $(dir $@)
	$(IMAGEWRITER) image -tag $(VLLMSTUB_IMAGE) -o $@ -file $(VLLMSTUB_BINARY)=/vllmstub:0755 \
		-entrypoint /vllmstub -user 65532:65532

$(EMULATOR_IMAGE_TAR): $(EMULATOR_BINARY) $(IMAGEWRITER)
	@mkdir -p $(dir $@)
	$(IMAGEWRITER) image -tag $(EMULATOR_IMAGE) -o $@ -file $(EMULATOR_BINARY)=/vllm-emulator:0755 \
		-entrypoint /vllm-emulator -user 65532:65532

$(LOADGEN_IMAGE_TAR): $(LOADGEN_BINARY) $(IMAGEWRITER)
	@mkdir -p $(dir $@)
	$(IMAGEWRITER) image -tag $(LOADGEN_IMAGE) -o $@ -file $(LOADGEN_BINARY)=/loadgen:0755 \
		-entrypoint /loadgen -user 65532:65532

# The data directory is an emptyDir the feature mounts at /prometheus; the
# configuration a ConfigMap at /etc/prometheus.
$(E2E_PROMETHEUS_IMAGE_TAR): $(PROMETHEUS_BINARY) $(IMAGEWRITER)
	@mkdir -p $(dir $@)
	$(IMAGEWRITER) image -tag $(E2E_PROMETHEUS_IMAGE) -o $@ -accounts -file $(PROMETHEUS_BINARY)=/bin/prometheus:0755 \
		-entrypoint /bin/prometheus -cmd --config.file=/etc/prometheus/prometheus.yml -cmd --storage.tsdb.path=/prometheus \
		-user 65532:65532 -workdir /prometheus

.PHONY: e2e-existing
e2e-existing: ## Run the e2e features against the cluster of KUBECONFIG (controller deployed with the kind overlay, no ConfigMap).
	@test -n "$(KUBECONFIG)" || { echo "e2e-existing: set KUBECONFIG to the cluster's kubeconfig" >&2; exit 1; }
	cd $(E2E_DIR) && E2E_LABELS='$(LABELS)' E2E_SKIP_LABELS='$(SKIP_LABELS)' $(E2E_EXTRA_ENV) $(GO) test -tags e2e $(E2E_GOTESTFLAGS) . \
		-args -mode=existing -kubeconfig=$(abspath $(KUBECONFIG))

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
