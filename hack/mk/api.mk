# API code and manifest generation (modules/api, deploy/kustomize/base).
#
# The variables (API_MODULE, CRD_OUTPUT_DIR, the RBAC_* settings,
# GENERATED_PATHS, CONTROLLER_GEN, ...) are in hack/variables.mk. Every
# generated file is committed; `make verify` fails when regenerating changes
# one of them.

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
