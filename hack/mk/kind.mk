# Kind: a real cluster on this machine. Where a Docker engine answers, kind
# uses it with the published kindest/node image; elsewhere (no registry, no
# Docker engine) kind's podman provider runs a node image assembled offline
# by hack/kind-offline from Debian packages and the binaries hack/controlplane
# builds from Go modules. The variables (KIND_PROVIDER, KIND_NODE_IMAGE,
# IMAGEWRITER, CONTROLLER_IMAGE_TAR, ...), some exported for the e2e suite, are
# in hack/variables.mk.

##@ Kind

.PHONY: kind-host
kind-host: ## Prepare this host for kind (apt-get podman/debootstrap/containerd when missing, containers.conf).
	@$(KIND_OFFLINE_ENV) $(KIND_OFFLINE_DIR)/host-setup.sh --provider $(KIND_PROVIDER) --offline $(KIND_OFFLINE)

$(IMAGEWRITER): $(KIND_OFFLINE_GO_SOURCES)
	cd $(KIND_OFFLINE_DIR) && GOWORK=off CGO_ENABLED=0 $(GO) build -trimpath -o $@ ./cmd/imagewriter

.PHONY: imagewriter
imagewriter: $(IMAGEWRITER) ## Build the image writer (docker-archive tarballs without Docker).

.PHONY: kind-image
kind-image: kind-host $(IMAGEWRITER) ## Build the offline node image if missing (podman, no Docker engine; FORCE=1 rebuilds).
	@if [ "$(KIND_OFFLINE)" != 1 ]; then \
		echo "kind-image: $(KIND_PROVIDER) uses the published $(KIND_NODE_IMAGE) (KIND_OFFLINE=1 builds the offline one)"; \
	elif [ "$(FORCE)" != 1 ] && $(KIND_OFFLINE_ENV) $(KIND_OFFLINE_DIR)/node-image.sh --check; then \
		echo "kind-image: $(KIND_NODE_IMAGE) already in $(KIND_PROVIDER), built by the current recipe"; \
	else \
		$(MAKE) -s --no-print-directory $(KIND_NODE_INPUTS) && \
		$(KIND_OFFLINE_ENV) FORCE=$(FORCE) $(KIND_OFFLINE_DIR)/node-image.sh; \
	fi

.PHONY: kind-up
kind-up: kind-image $(KIND) ## Create cluster KIND_CLUSTER (default wva) if missing; kubeconfig: bin/kubeconfig-<name>.
	@$(KIND_OFFLINE_ENV) $(KIND_OFFLINE_DIR)/cluster.sh up

.PHONY: kind-down
kind-down: $(KIND) ## Delete cluster KIND_CLUSTER and its kubeconfig.
	@$(KIND_OFFLINE_ENV) $(KIND_OFFLINE_DIR)/cluster.sh down

# build-controller (static, CGO_ENABLED=0 -trimpath, writes CONTROLLER_BINARY) comes from controller.mk.
.PHONY: image
image: build-controller $(IMAGEWRITER) ## Write the controller image tarball to bin/images/ (static, FROM scratch, no Docker).
	$(IMAGEWRITER) controller -binary $(CONTROLLER_BINARY) -tag $(CONTROLLER_IMAGE) -o $(CONTROLLER_IMAGE_TAR)

.PHONY: kind-load
kind-load: image kind-up ## Load the controller image tarball into cluster KIND_CLUSTER.
	$(KIND) load image-archive $(CONTROLLER_IMAGE_TAR) --name $(KIND_CLUSTER)

.PHONY: docker-build
docker-build: ## Build the controller image with Docker from /Dockerfile (where Docker is available).
	docker build -t $(CONTROLLER_IMAGE) -f $(ROOT)/Dockerfile $(ROOT)

.PHONY: test-kind-unit
test-kind-unit: ## Unit tests of hack/kind-offline (image writer, component images, kind configs, scripts).
	cd $(KIND_OFFLINE_DIR) && GOWORK=off $(GO) test -race -count=1 $(GOTESTFLAGS) ./...
	@$(KIND_OFFLINE_DIR)/install-shellcheck.sh
	cd $(KIND_OFFLINE_DIR) && shellcheck -x -P SCRIPTDIR *.sh

.PHONY: lint-kind
lint-kind: $(GOLANGCI_LINT) ## Run golangci-lint on hack/kind-offline (smoke test included).
	cd $(KIND_OFFLINE_DIR) && GOWORK=off $(GOLANGCI_LINT) run --build-tags kindsmoke --config $(ROOT)/.golangci.yaml ./...

.PHONY: test-kind-smoke
test-kind-smoke: kind-image $(KIND) ## Smoke-test a real kind cluster: create, wait Ready, run an in-cluster API probe, export logs, delete.
	cd $(KIND_OFFLINE_DIR) && GOWORK=off KIND=$(KIND) \
		SMOKE_EXPECT_VERSION=$(if $(filter 1,$(KIND_OFFLINE)),$(KUBERNETES_VERSION)) \
		$(GO) test -tags kindsmoke -count=1 -timeout 20m -v ./smoke/

.PHONY: kind-clean
kind-clean: ## Remove the offline node image and its cached images (Debian rootfs caches stay).
	-$(KIND_PROVIDER) image rm $(KIND_OFFLINE_NODE_IMAGE)
	rm -rf $(KIND_OFFLINE_CACHE)/images $(KIND_OFFLINE_CACHE)/layers $(KIND_OFFLINE_CACHE)/work
