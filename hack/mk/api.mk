# API code and manifest generation (modules/api, deploy/kustomize/base).
#
# Included by the root Makefile, which defines ROOT, BIN, GO and CONTROLLER_GEN.
# Every generated file is committed; `make verify` fails when regenerating
# changes one of them.

API_MODULE      := modules/api
BOILERPLATE     := $(ROOT)/hack/boilerplate.go.txt
CRD_OUTPUT_DIR  := deploy/kustomize/base/crd
RBAC_OUTPUT_DIR := deploy/kustomize/base/rbac

# RBAC generation. The manager's ClusterRole and namespaced Role are named
# $(RBAC_ROLE_NAME) and written to $(RBAC_OUTPUT_DIR)/role.yaml, which until
# then is maintained by hand in exactly the form controller-gen produces.
# To generate it from the controller's +kubebuilder:rbac markers, set
#
#   RBAC_MODULE := modules/controller
#
# (here, or in the controller's own fragment: the variable is read only when
# the recipes run, so a fragment included after this one can set it). The
# markers are read from $(RBAC_PATHS) inside that module; namespaced rules
# (the ConfigMap, restricted by resourceNames) carry
# namespace=workload-variant-autoscaler-system. Leader election, metrics auth
# and the bindings stay hand-written next to role.yaml.
RBAC_MODULE    ?=
RBAC_PATHS     ?= ./...
RBAC_ROLE_NAME ?= wva-manager-role

# Files and directories that `generate` and `manifests` write (relative to
# ROOT). Deferred (=) so that RBAC_MODULE may be set by a later fragment.
GENERATED_PATHS = $(API_MODULE)/v1alpha1/zz_generated.deepcopy.go \
	$(CRD_OUTPUT_DIR) \
	$(if $(RBAC_MODULE),$(RBAC_OUTPUT_DIR)/role.yaml)

##@ Generate

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate the API's DeepCopy methods (zz_generated.deepcopy.go).
	cd $(API_MODULE) && $(CONTROLLER_GEN) object:headerFile=$(BOILERPLATE) paths=./...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRD (and, once RBAC_MODULE is set, the manager RBAC) into deploy/kustomize/base.
	cd $(API_MODULE) && $(CONTROLLER_GEN) crd paths=./... output:crd:artifacts:config=$(ROOT)/$(CRD_OUTPUT_DIR)
	$(if $(RBAC_MODULE),cd $(RBAC_MODULE) && $(CONTROLLER_GEN) rbac:roleName=$(RBAC_ROLE_NAME) paths=$(RBAC_PATHS) output:rbac:artifacts:config=$(ROOT)/$(RBAC_OUTPUT_DIR))

# verify is an aggregate: other fragments may add checks with `verify: verify-<x>`.
.PHONY: verify
verify: verify-generated ## Check that every committed generated file is up to date.

.PHONY: verify-generated
verify-generated: generate manifests ## Regenerate, then fail with a diff if a committed generated file changed.
	@if ! git diff --exit-code -- $(GENERATED_PATHS); then \
		echo "error: generated files are out of date; run 'make generate manifests' and commit the result" >&2; \
		exit 1; \
	fi
	@untracked="$$(git ls-files --others --exclude-standard -- $(GENERATED_PATHS))"; \
	if [ -n "$$untracked" ]; then \
		echo "error: generated files are not committed:" >&2; \
		echo "$$untracked" >&2; \
		exit 1; \
	fi
