# Prometheus: the server built from Go modules (hack/prometheus, a wrapper
# module outside go.work), and the test that runs the controller's metrics
# source against it.
#
# The variables (PROMETHEUS_DIR, PROMETHEUS_BINARY, PROMETHEUS_TEST_TIMEOUT)
# are in hack/variables.mk. The binary lives under $(BIN)/prometheus/<version>/,
# so make skips it when it exists and a version bump rebuilds it. Bumping:
# change PROMETHEUS_VERSION in hack/versions.mk, run `make prometheus-gen`,
# commit hack/prometheus/go.{mod,sum}.

##@ Prometheus

.PHONY: prometheus
prometheus: $(PROMETHEUS_BINARY) ## Build the Prometheus server from Go modules into bin/prometheus/<version>/.

.PHONY: test-prometheus
test-prometheus: $(PROMETHEUS_BINARY) ## Test the controller's Prometheus metrics source against a real Prometheus.
	cd modules/controller && PROMETHEUS_BINARY=$(PROMETHEUS_BINARY) \
		$(GO) test -race -count=1 -tags integration -timeout $(PROMETHEUS_TEST_TIMEOUT) $(GOTESTFLAGS) \
		-run Prometheus ./internal/metricsource/...

.PHONY: prometheus-gen
prometheus-gen: ## Point hack/prometheus/go.mod at PROMETHEUS_VERSION (after a version bump).
	cd $(PROMETHEUS_DIR) && GOWORK=off $(GO) get github.com/prometheus/prometheus@$(PROMETHEUS_VERSION) \
		&& GOWORK=off $(GO) mod tidy

.PHONY: prometheus-clean
prometheus-clean: ## Remove the Prometheus binary of the pinned version (the next build is cold).
	rm -rf $(dir $(PROMETHEUS_BINARY))

# No prerequisites: an existing binary is never rebuilt; its path carries the
# version, and build.sh checks that go.mod requires that version.
$(PROMETHEUS_BINARY):
	@BIN=$(BIN) GO=$(GO) PROMETHEUS_VERSION=$(PROMETHEUS_VERSION) $(PROMETHEUS_DIR)/build.sh
