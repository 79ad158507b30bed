# Workload Variant Autoscaler (WVA): developer Makefile.
#
# Every target loops over the Go modules of the workspace (never `go test ./...`
# at the root). Tools are pinned in hack/variables.mk and installed into ./bin
# by `go install`, so a fresh machine needs only Go and make. `make help` lists
# the targets.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec
.DEFAULT_GOAL := help

# Every variable (paths, tool versions and paths, images, knobs) is assigned
# in hack/variables.mk, after hack/versions.mk, which pins every source-built
# component in one place; both are read once, before any rule. The rules of
# each area (API generation, control plane, kind, e2e, ...) live in
# hack/mk/*.mk so that each stays next to the code it drives.
include hack/versions.mk
include hack/variables.mk
include $(sort $(wildcard hack/mk/*.mk))

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} \
		/^[a-zA-Z0-9_.-]+:.*?##/ { printf "  \033[36m%-20s\033[0m %s\n", $$1, $$2 } \
		/^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: fmt
fmt: ## Format the Go code of every module.
	@for m in $(MODULES); do (cd $$m && $(GO) fmt ./...) || exit 1; done

.PHONY: vet
vet: ## Run go vet on every module.
	@for m in $(MODULES); do echo "vet $$m"; (cd $$m && $(GO) vet ./...) || exit 1; done

.PHONY: lint
lint: $(GOLANGCI_LINT) $(ACTIONLINT) lint-kind ## Run golangci-lint on every module (module dependency rules, import aliases), the Kube API Linter on modules/api and actionlint on the workflows.
	@for m in $(MODULES); do echo "lint $$m"; (cd $$m && $(GOLANGCI_LINT) run --config $(ROOT)/.golangci.yaml ./...) || exit 1; done
	@echo "kube-api-linter $(API_MODULE)"; cd $(API_MODULE) && $(GOLANGCI_LINT) run --config $(KUBE_API_LINTER_CONFIG) ./...
	@echo "actionlint .github/workflows"; $(ACTIONLINT) $(ROOT)/.github/workflows/*.yaml

.PHONY: tidy
tidy: ## Run go mod tidy on every module.
	@for m in $(MODULES); do (cd $$m && $(GO) mod tidy) || exit 1; done

.PHONY: build
build: ## Build every module.
	@for m in $(MODULES); do echo "build $$m"; (cd $$m && $(GO) build ./...) || exit 1; done

##@ Test

.PHONY: test
# The suites that need only CPU (no cluster, no real-time deadline): make test
# runs them in the background at the lowest priority alongside test-e2e,
# whose features mostly wait on the cluster, instead of before it
# (hack/alongside.sh); a cold run saves their time.
TEST_ALONGSIDE_E2E := lint test-standalone test-concurrency

test: test-unit verify test-integration test-prometheus test-controlplane test-kind-unit test-kind-smoke ## Run every test suite (the README's and CI's test command); lint, test-standalone and test-concurrency run alongside test-e2e.
	@MAKE='$(MAKE)' $(ROOT)/hack/alongside.sh '$(TEST_ALONGSIDE_E2E)' $(BIN)/test-alongside.log -- \
		$(MAKE) --no-print-directory test-e2e

.PHONY: test-quick
test-quick: test-unit test-standalone verify ## The inner loop: unit tests, the capacity module on its own, generated files.

.PHONY: test-unit
test-unit: ## Run the unit tests of every module with -race.
	@for m in $(MODULES); do echo "test $$m"; (cd $$m && $(GO) test -race $(GOTESTFLAGS) ./...) || exit 1; done

.PHONY: test-standalone
test-standalone: ## Test modules/capacity on its own, outside the workspace (as an importer would).
	cd modules/capacity && GOWORK=off $(GO) test ./...

.PHONY: test-concurrency
test-concurrency: ## Run the ...ConcurrentSafe tests with -race -count=$(COUNT).
	cd modules/capacity && $(GO) test -race -count=$(COUNT) -run 'ConcurrentSafe' ./...

.PHONY: bench
bench: ## Run the benchmarks of every module (BENCHTIME=1x for a smoke run).
	@for m in $(MODULES); do echo "bench $$m"; (cd $$m && $(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...) || exit 1; done

.PHONY: fuzz
fuzz: ## Run each fuzz target of modules/capacity for FUZZTIME (default 30s).
	@cd modules/capacity && for f in $$($(GO) test -list '^Fuzz' . | grep '^Fuzz'); do \
		echo "fuzz $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s . || exit 1; done

##@ Tools

.PHONY: tools
tools: $(GOLANGCI_LINT) $(CONTROLLER_GEN) $(ACTIONLINT) ## Install the pinned golangci-lint, controller-gen and actionlint into bin/.

$(ACTIONLINT):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	mv $(BIN)/actionlint $@

$(GOLANGCI_LINT):
	GO=$(GO) GOLANGCI_LINT_VERSION=$(GOLANGCI_LINT_VERSION) KUBE_API_LINTER_VERSION=$(KUBE_API_LINTER_VERSION) \
		$(GOLANGCI_LINT_DIR)/build.sh $@

.PHONY: golangci-lint-gen
golangci-lint-gen: ## Point hack/golangci-lint/go.mod at GOLANGCI_LINT_VERSION and KUBE_API_LINTER_VERSION (after a bump).
	cd $(GOLANGCI_LINT_DIR) && GOWORK=off $(GO) get github.com/golangci/golangci-lint/v2@$(GOLANGCI_LINT_VERSION) \
		sigs.k8s.io/kube-api-linter@$(KUBE_API_LINTER_VERSION) && GOWORK=off $(GO) mod tidy

$(CONTROLLER_GEN):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)
	mv $(BIN)/controller-gen $@
