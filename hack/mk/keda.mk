# KEDA for metrics actuation: the operator and the metrics API server built
# from Go modules (hack/keda, a wrapper module outside go.work), their images
# written without Docker, and the module's own manifests (rendered and
# installed by the e2e/internal/keda package).
#
# The variables (KEDA_OPERATOR, KEDA_*_IMAGE[_TAR], KEDA_DEPLOY, KEDA_E2E_ENV,
# KEDA_IMAGE_FLAGS, ...) are in hack/variables.mk. The binaries live under
# $(BIN)/keda/<version>/, so make skips them when they exist and a version
# bump rebuilds them. Bumping: change KEDA_VERSION in hack/versions.mk, run
# `make keda-gen`, commit hack/keda/go.{mod,sum}.

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
# the distroless-like base of KEDA_IMAGE_FLAGS, the entrypoint with upstream's
# flags (the manifests override the command and arguments anyway).
$(KEDA_OPERATOR_IMAGE_TAR): $(KEDA_OPERATOR) $(IMAGEWRITER)
	@mkdir -p $(dir $@)
	$(IMAGEWRITER) image -tag $(KEDA_OPERATOR_IMAGE) -o $@ -file $(KEDA_OPERATOR)=/keda:0755 $(KEDA_IMAGE_FLAGS) \
		-entrypoint /keda -entrypoint --zap-log-level=info -entrypoint --zap-encoder=console

$(KEDA_ADAPTER_IMAGE_TAR): $(KEDA_ADAPTER) $(IMAGEWRITER)
	@mkdir -p $(dir $@)
	$(IMAGEWRITER) image -tag $(KEDA_ADAPTER_IMAGE) -o $@ -file $(KEDA_ADAPTER)=/keda-adapter:0755 $(KEDA_IMAGE_FLAGS) \
		-entrypoint /keda-adapter -entrypoint --secure-port=6443 -entrypoint --zap-log-level=info -entrypoint --zap-encoder=console
