package manifests

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestDecode(t *testing.T) {
	cases := map[string]struct {
		yaml      string
		wantNames []string
		wantErr   bool
	}{
		"one document": {
			yaml:      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
			wantNames: []string{"ConfigMap/a"},
		},
		"documents in order, comment-only ones skipped": {
			yaml: "# header\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: llm\n---\n# nothing\n---\n" +
				"apiVersion: llmd.ai/v1alpha1\nkind: VariantAutoscaling\nmetadata:\n  name: va\nspec:\n  modelID: m\n",
			wantNames: []string{"Namespace/llm", "VariantAutoscaling/va"},
		},
		"empty": {yaml: ""},
		"no apiVersion": {
			yaml:    "kind: ConfigMap\nmetadata:\n  name: a\n",
			wantErr: true,
		},
		"no kind": {
			yaml:    "apiVersion: v1\nmetadata:\n  name: a\n",
			wantErr: true,
		},
		"no name": {
			yaml:    "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
			wantErr: true,
		},
		"not YAML": {
			yaml:    "apiVersion: v1\nkind: [\n",
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			objs, err := Decode([]byte(tc.yaml))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error: got %v, want error %t", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.wantNames, kindNames(objs)); diff != "" {
				t.Errorf("objects: -want +got:\n%s", diff)
			}
		})
	}
}

func TestReadFileExamples(t *testing.T) {
	objs, err := ReadFile(OSPath(repoRoot(t), ExamplesDir+"/variantautoscaling.yaml"))
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	if diff := cmp.Diff([]string{"VariantAutoscaling/granite-8b-l4"}, kindNames(objs)); diff != "" {
		t.Errorf("objects: -want +got:\n%s", diff)
	}
	if _, err := ReadFile(OSPath(repoRoot(t), ExamplesDir+"/missing.yaml")); err == nil {
		t.Error("ReadFile of a missing file succeeded")
	}
}

func TestWithoutCapacityConfigMap(t *testing.T) {
	objs, err := Render(OSPath(repoRoot(t), KindOverlayDir))
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	rest, found := Without(objs, "ConfigMap", Namespace, ConfigMapName)
	if !found {
		t.Fatalf("the kind overlay has no ConfigMap %s/%s", Namespace, ConfigMapName)
	}
	if len(rest) != len(objs)-1 || Find(rest, "ConfigMap", Namespace, ConfigMapName) != nil {
		t.Errorf("Without kept the ConfigMap or dropped more: %d of %d objects left", len(rest), len(objs))
	}
	if Find(rest, "Deployment", Namespace, DeploymentName) == nil {
		t.Error("Without dropped the controller Deployment")
	}
	again, found := Without(rest, "ConfigMap", Namespace, ConfigMapName)
	if found || len(again) != len(rest) {
		t.Errorf("Without on objects lacking the ConfigMap: found=%t, %d of %d left", found, len(again), len(rest))
	}
}

func kindNames(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}
	return out
}
