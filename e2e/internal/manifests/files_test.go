package manifests

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/wva-project/wva/modules/api/v1alpha1"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// documents splits a multi-document YAML file.
func documents(t *testing.T, path string) [][]byte {
	t.Helper()
	r := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(readFile(t, path))))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
		if len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
	}
}

// TestStandaloneConfigMapProductionExample uncomments the override entries of
// deploy/configmap-capacity-scaling.yaml, as a user would, and checks that the
// result is valid and carries the spec's "production setup" entries.
func TestStandaloneConfigMapProductionExample(t *testing.T) {
	path := OSPath(repoRoot(t), StandaloneConfigMapFile)
	lines := strings.Split(string(readFile(t, path)), "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "uncomment") })
	if start < 0 {
		t.Fatalf("%s has no commented-out production example", path)
	}
	for i := start + 1; i < len(lines); i++ {
		switch {
		case lines[i] == "  #":
			lines[i] = ""
		case strings.HasPrefix(lines[i], "  # "):
			lines[i] = "  " + strings.TrimPrefix(lines[i], "  # ")
		}
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict([]byte(strings.Join(lines, "\n")), &cm); err != nil {
		t.Fatalf("%s with the example uncommented does not decode: %v", path, err)
	}
	want := map[string]string{
		"default": "kvCacheThreshold: 0.80\nqueueLengthThreshold: 5\nkvSpareTrigger: 0.1\nqueueSpareTrigger: 3\n",
		"granite-prod": "model_id: ibm/granite-13b\nnamespace: production\nkvCacheThreshold: 0.70\n" +
			"queueLengthThreshold: 3\nkvSpareTrigger: 0.20\nqueueSpareTrigger: 5\n",
		"llama-dev": "model_id: meta/llama-70b\nnamespace: development\nkvCacheThreshold: 0.90\n" +
			"queueLengthThreshold: 15\nkvSpareTrigger: 0.05\nqueueSpareTrigger: 2\n",
	}
	if diff := cmp.Diff(want, cm.Data); diff != "" {
		t.Errorf("data with the example uncommented: -want +got:\n%s", diff)
	}
}

// TestExamples checks that the example VariantAutoscaling is valid for the API
// types and scales the example vLLM Deployment under its served model name.
func TestExamples(t *testing.T) {
	root := repoRoot(t)
	vaDocs := documents(t, OSPath(root, ExamplesDir+"/variantautoscaling.yaml"))
	if len(vaDocs) != 1 {
		t.Fatalf("variantautoscaling.yaml has %d documents, want 1", len(vaDocs))
	}
	var va v1alpha1.VariantAutoscaling
	if err := yaml.UnmarshalStrict(vaDocs[0], &va); err != nil {
		t.Fatalf("decoding the example VariantAutoscaling: %v", err)
	}
	if got, want := va.APIVersion, v1alpha1.GroupVersion.String(); got != want {
		t.Errorf("apiVersion = %q, want %q", got, want)
	}
	if va.Spec.MinReplicas == nil || va.Spec.MaxReplicas == nil || *va.Spec.MaxReplicas < *va.Spec.MinReplicas {
		t.Errorf("min/max replicas = %v/%v, want both set with max >= min", va.Spec.MinReplicas, va.Spec.MaxReplicas)
	}

	var deployments []appsv1.Deployment
	for _, doc := range documents(t, OSPath(root, ExamplesDir+"/vllm-deployment.yaml")) {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatal(err)
		}
		switch meta.Kind {
		case "Deployment":
			var d appsv1.Deployment
			if err := yaml.UnmarshalStrict(doc, &d); err != nil {
				t.Fatalf("decoding the example Deployment: %v", err)
			}
			deployments = append(deployments, d)
		case "Service":
			var s corev1.Service
			if err := yaml.UnmarshalStrict(doc, &s); err != nil {
				t.Fatalf("decoding the example Service: %v", err)
			}
		default:
			t.Errorf("unexpected kind %q in vllm-deployment.yaml", meta.Kind)
		}
	}
	if len(deployments) != 1 {
		t.Fatalf("vllm-deployment.yaml has %d Deployments, want 1", len(deployments))
	}
	d := deployments[0]
	wantRef := v1alpha1.ScaleTargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name}
	if diff := cmp.Diff(wantRef, va.Spec.ScaleTargetRef); diff != "" {
		t.Errorf("scaleTargetRef does not point at the example Deployment: -want +got:\n%s", diff)
	}
	args := d.Spec.Template.Spec.Containers[0].Args
	if want := "--served-model-name=" + va.Spec.ModelID; !slices.Contains(args, want) {
		t.Errorf("vLLM args %v lack %q: the VariantAutoscaling's modelID must be the served model name", args, want)
	}
}
