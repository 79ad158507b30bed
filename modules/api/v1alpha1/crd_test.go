package v1alpha1_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// crdFile is the committed, generated CRD, relative to this package.
const crdFile = "../../../deploy/kustomize/base/crd/llmd.ai_variantautoscalings.yaml"

// The CRD is decoded into the few fields these tests read, so the module keeps
// depending on apimachinery only (not on apiextensions).
type crd struct {
	Spec struct {
		Group    string   `json:"group"`
		Names    crdNames `json:"names"`
		Scope    string   `json:"scope"`
		Versions []struct {
			Name                     string          `json:"name"`
			Served                   bool            `json:"served"`
			Storage                  bool            `json:"storage"`
			Subresources             map[string]any  `json:"subresources"`
			AdditionalPrinterColumns []printerColumn `json:"additionalPrinterColumns"`
			Schema                   struct {
				OpenAPIV3Schema *jsonSchema `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

type crdNames struct {
	Kind       string   `json:"kind"`
	ListKind   string   `json:"listKind"`
	Plural     string   `json:"plural"`
	Singular   string   `json:"singular"`
	ShortNames []string `json:"shortNames"`
}

type printerColumn struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	JSONPath string `json:"jsonPath"`
}

type jsonSchema struct {
	Description  string                 `json:"description"`
	Properties   map[string]*jsonSchema `json:"properties"`
	Items        *jsonSchema            `json:"items"`
	XValidations []validationRule       `json:"x-kubernetes-validations"`
	schemaConstraints
}

// schemaConstraints are the parts of a schema node the tests compare.
type schemaConstraints struct {
	Type        string   `json:"type"`
	Format      string   `json:"format"`
	Pattern     string   `json:"pattern"`
	Default     any      `json:"default"`
	Minimum     *float64 `json:"minimum"`
	MinLength   *int64   `json:"minLength"`
	MaxLength   *int64   `json:"maxLength"`
	MinProps    *int64   `json:"minProperties"`
	Required    []string `json:"required"`
	Enum        []string `json:"enum"`
	ListType    string   `json:"x-kubernetes-list-type"`
	ListMapKeys []string `json:"x-kubernetes-list-map-keys"`
}

type validationRule struct {
	Rule      string `json:"rule"`
	Message   string `json:"message"`
	FieldPath string `json:"fieldPath"`
}

func loadCRD(t *testing.T) *crd {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(crdFile))
	if err != nil {
		t.Fatalf("reading the generated CRD (run `make manifests`): %v", err)
	}
	var c crd
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("decoding %s: %v", crdFile, err)
	}
	if len(c.Spec.Versions) != 1 {
		t.Fatalf("%s has %d versions, want 1", crdFile, len(c.Spec.Versions))
	}
	if c.Spec.Versions[0].Schema.OpenAPIV3Schema == nil {
		t.Fatalf("%s has no openAPIV3Schema", crdFile)
	}
	return &c
}

// schemaAt returns the schema node at a dotted property path from the root;
// "[]" steps into array items.
func schemaAt(t *testing.T, c *crd, path string) *jsonSchema {
	t.Helper()
	node := c.Spec.Versions[0].Schema.OpenAPIV3Schema
	for _, step := range strings.Split(path, ".") {
		if step == "[]" {
			node = node.Items
		} else {
			node = node.Properties[step]
		}
		if node == nil {
			t.Fatalf("the CRD schema has no %q (at step %q)", path, step)
		}
	}
	return node
}

func TestCRDNamesScopeAndVersion(t *testing.T) {
	c := loadCRD(t)
	if got, want := c.Spec.Group, v1alpha1.Group; got != want {
		t.Errorf("group = %q, want %q", got, want)
	}
	if got, want := c.Spec.Scope, "Namespaced"; got != want {
		t.Errorf("scope = %q, want %q", got, want)
	}
	wantNames := crdNames{
		Kind:       "VariantAutoscaling",
		ListKind:   "VariantAutoscalingList",
		Plural:     "variantautoscalings",
		Singular:   "variantautoscaling",
		ShortNames: []string{"va"},
	}
	if diff := cmp.Diff(wantNames, c.Spec.Names); diff != "" {
		t.Errorf("names: -want +got:\n%s", diff)
	}
	v := c.Spec.Versions[0]
	if v.Name != v1alpha1.Version || !v.Served || !v.Storage {
		t.Errorf("version = {name: %q, served: %t, storage: %t}, want {%q, true, true}", v.Name, v.Served, v.Storage, v1alpha1.Version)
	}
	if diff := cmp.Diff(map[string]any{"status": map[string]any{}}, v.Subresources); diff != "" {
		t.Errorf("subresources: -want +got:\n%s", diff)
	}
}

func TestCRDPrinterColumns(t *testing.T) {
	want := []printerColumn{
		{Name: "Model", Type: "string", JSONPath: ".spec.modelID"},
		{Name: "Target", Type: "string", JSONPath: ".spec.scaleTargetRef.name"},
		{Name: "Current", Type: "integer", JSONPath: ".status.currentReplicas"},
		{Name: "Desired", Type: "integer", JSONPath: ".status.desiredReplicas"},
		{Name: "Config", Type: "string", JSONPath: ".status.appliedConfig.source"},
		{Name: "Ready", Type: "string", JSONPath: `.status.conditions[?(@.type=="Ready")].status`},
		{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
	}
	if diff := cmp.Diff(want, loadCRD(t).Spec.Versions[0].AdditionalPrinterColumns); diff != "" {
		t.Errorf("additionalPrinterColumns: -want +got:\n%s", diff)
	}
}

func TestCRDSchemaConstraints(t *testing.T) {
	const decimal = `^[0-9]+(\.[0-9]+)?$`
	one, zero, oneF := int64(1), float64(0), float64(1)
	cases := map[string]struct {
		want schemaConstraints
	}{
		"spec":                                  {want: schemaConstraints{Type: "object", Required: []string{"modelID", "scaleTargetRef"}}},
		"spec.scaleTargetRef":                   {want: schemaConstraints{Type: "object", Required: []string{"apiVersion", "kind", "name"}}},
		"spec.scaleTargetRef.apiVersion":        {want: schemaConstraints{Type: "string", MinLength: &one, MaxLength: ptr(int64(253))}},
		"spec.scaleTargetRef.kind":              {want: schemaConstraints{Type: "string", MinLength: &one, MaxLength: ptr(int64(63))}},
		"spec.scaleTargetRef.name":              {want: schemaConstraints{Type: "string", MinLength: &one, MaxLength: ptr(int64(253))}},
		"spec.modelID":                          {want: schemaConstraints{Type: "string", MinLength: &one, MaxLength: ptr(int64(256))}},
		"spec.variantCost":                      {want: schemaConstraints{Type: "string", Pattern: decimal, MinLength: &one, MaxLength: ptr(int64(32)), Default: v1alpha1.DefaultVariantCost}},
		"spec.minReplicas":                      {want: schemaConstraints{Type: "integer", Format: "int32", Minimum: &zero, Default: float64(v1alpha1.DefaultMinReplicas)}},
		"spec.maxReplicas":                      {want: schemaConstraints{Type: "integer", Format: "int32", Minimum: &zero}},
		"status":                                {want: schemaConstraints{Type: "object", MinProps: &one}},
		"status.observedGeneration":             {want: schemaConstraints{Type: "integer", Format: "int64", Minimum: &oneF}},
		"status.currentReplicas":                {want: schemaConstraints{Type: "integer", Format: "int32", Minimum: &zero}},
		"status.desiredReplicas":                {want: schemaConstraints{Type: "integer", Format: "int32", Minimum: &zero}},
		"status.lastAnalysis.reason":            {want: schemaConstraints{Type: "string", MinLength: &one, MaxLength: ptr(int64(1024))}},
		"status.conditions":                     {want: schemaConstraints{Type: "array", ListType: "map", ListMapKeys: []string{"type"}}},
		"status.appliedConfig":                  {want: schemaConstraints{Type: "object", Required: []string{"kvCacheThreshold", "kvSpareTrigger", "queueLengthThreshold", "queueSpareTrigger", "source"}}},
		"status.appliedConfig.kvCacheThreshold": {want: schemaConstraints{Type: "string", Pattern: decimal, MinLength: &one, MaxLength: ptr(int64(32))}},
		"status.appliedConfig.source":           {want: schemaConstraints{Type: "string", Pattern: `^(builtin|default|override/[-._a-zA-Z0-9]+)(#[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$`, MinLength: &one, MaxLength: ptr(int64(326))}},
		"status.appliedConfig.window":           {want: schemaConstraints{Type: "string", Pattern: `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, MinLength: &one, MaxLength: ptr(int64(63))}},
		"status.appliedConfig.windowEnds":       {want: schemaConstraints{Type: "string", Format: "date-time"}},
		"status.lastAnalysis.decision":          {want: schemaConstraints{Type: "string", Enum: []string{v1alpha1.DecisionScaleUp, v1alpha1.DecisionScaleDown, v1alpha1.DecisionNoChange}}},
	}
	c := loadCRD(t)
	for path, tc := range cases {
		t.Run(path, func(t *testing.T) {
			got := schemaAt(t, c, path).schemaConstraints
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("schema of %s: -want +got:\n%s", path, diff)
			}
		})
	}
}

func TestCRDSpecReplicaBoundsRule(t *testing.T) {
	want := []validationRule{{
		Rule:      "!has(self.maxReplicas) || self.maxReplicas >= (has(self.minReplicas) ? self.minReplicas : 1)",
		Message:   "maxReplicas must be greater than or equal to minReplicas",
		FieldPath: ".maxReplicas",
	}}
	if diff := cmp.Diff(want, schemaAt(t, loadCRD(t), "spec").XValidations); diff != "" {
		t.Errorf("x-kubernetes-validations of spec: -want +got:\n%s", diff)
	}
}

// TestCRDPatterns checks the committed patterns against example values. The
// patterns use only syntax on which Go's RE2 and the API server's ECMA-262
// regular expressions agree.
func TestCRDPatterns(t *testing.T) {
	cases := map[string]struct {
		path   string
		accept []string
		reject []string
	}{
		"variantCost": {
			path:   "spec.variantCost",
			accept: []string{"10", "0", "2.5", "0.125", "100000"},
			reject: []string{"", "-1", "1.", ".5", "1e3", "1,5", " 10", "10 ", "ten", "NaN"},
		},
		"kvCacheThreshold": {
			path:   "status.appliedConfig.kvCacheThreshold",
			accept: []string{"0.80", "1", "0"},
			reject: []string{"", "-0.1", ".8", "8e-1"},
		},
		"avgSpareKvCapacity": {
			path:   "status.lastAnalysis.avgSpareKvCapacity",
			accept: []string{"0.05", "-0.10", "3"},
			reject: []string{"", "+1", "1e-2", "-"},
		},
		"source": {
			path:   "status.appliedConfig.source",
			accept: []string{"builtin", "default", "override/granite-prod", "override/a.b_c", "default#night", "override/granite-prod#business-hours"},
			reject: []string{"", "override/", "Default", "override/a/b", "overrides/x", "builtin ", "default#", "default#Night", "default#-night", "default#a#b", "override/x#night-"},
		},
		"window": {
			path:   "status.appliedConfig.window",
			accept: []string{"night", "business-hours", "a", "9to5"},
			reject: []string{"", "-night", "night-", "Night", "a_b", "a#b"},
		},
	}
	c := loadCRD(t)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			pattern := schemaAt(t, c, tc.path).Pattern
			re, err := regexp.Compile(pattern)
			if err != nil {
				t.Fatalf("pattern %q of %s does not compile: %v", pattern, tc.path, err)
			}
			for _, v := range tc.accept {
				if !re.MatchString(v) {
					t.Errorf("%s pattern %q rejects %q, want accepted", tc.path, pattern, v)
				}
			}
			for _, v := range tc.reject {
				if re.MatchString(v) {
					t.Errorf("%s pattern %q accepts %q, want rejected", tc.path, pattern, v)
				}
			}
		})
	}
}

// TestCRDFieldsHaveDescriptions guards the field documentation that `kubectl
// explain` shows (and that crd:maxDescLen=0 would strip).
func TestCRDFieldsHaveDescriptions(t *testing.T) {
	c := loadCRD(t)
	var missing []string
	var walk func(path string, s *jsonSchema)
	walk = func(path string, s *jsonSchema) {
		if s.Description == "" {
			missing = append(missing, path)
		}
		for name, child := range s.Properties {
			walk(path+"."+name, child)
		}
		if s.Items != nil {
			for name, child := range s.Items.Properties {
				walk(path+"[]."+name, child)
			}
		}
	}
	walk("spec", schemaAt(t, c, "spec"))
	walk("status", schemaAt(t, c, "status"))
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("CRD fields without a description: %v", missing)
	}
}
