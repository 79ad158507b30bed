package manifests

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// writeFiles lays out files (slash-separated path => content) under a new
// temporary directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for rel, content := range files {
		path := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const testDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  replicas: 3
  selector:
    matchLabels: {app: x}
  template:
    metadata:
      labels: {app: x}
    spec:
      containers:
      - name: c
        image: example.com/app:v1
`

func TestRenderAppliesOverlay(t *testing.T) {
	root := writeFiles(t, map[string]string{
		"base/kustomization.yaml": "resources: [deployment.yaml]\n",
		"base/deployment.yaml":    testDeployment,
		"overlay/kustomization.yaml": `resources: [../base]
namespace: ns
images:
- name: example.com/app
  newTag: v2
`,
	})
	objs, err := Render(filepath.Join(root, "overlay"))
	if err != nil {
		t.Fatalf("Render() error = %v", err)
	}
	if len(objs) != 1 {
		t.Fatalf("Render() returned %d objects, want 1", len(objs))
	}
	u := Find(objs, "Deployment", "ns", "app")
	if u == nil {
		t.Fatalf("Find(Deployment ns/app) = nil in %v", names(objs))
	}
	// Numbers are int64 (not int), as apimachinery expects: DeepCopy would
	// panic on an int.
	replicas, found, err := unstructured.NestedInt64(u.DeepCopy().Object, "spec", "replicas")
	if err != nil || !found || replicas != 3 {
		t.Errorf("spec.replicas = %d (found %t, err %v), want 3", replicas, found, err)
	}
	var d appsv1.Deployment
	if err := Convert(u, &d); err != nil {
		t.Fatalf("Convert() error = %v", err)
	}
	if got, want := d.Spec.Template.Spec.Containers[0].Image, "example.com/app:v2"; got != want {
		t.Errorf("image = %q, want %q", got, want)
	}
}

func TestRenderYAMLMatchesRender(t *testing.T) {
	root := writeFiles(t, map[string]string{
		"kustomization.yaml": "resources: [deployment.yaml]\n",
		"deployment.yaml":    testDeployment,
	})
	out, err := RenderYAML(root)
	if err != nil {
		t.Fatalf("RenderYAML() error = %v", err)
	}
	for _, want := range []string{"kind: Deployment", "name: app", "image: example.com/app:v1"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("RenderYAML() output lacks %q:\n%s", want, out)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	cases := map[string]struct {
		files    map[string]string
		dir      string
		wantErr  string
		notExist bool
	}{
		"missing directory": {
			dir:      "nope",
			wantErr:  "nope",
			notExist: true,
		},
		"no kustomization": {
			files:   map[string]string{"deployment.yaml": testDeployment},
			dir:     ".",
			wantErr: "kustomize build",
		},
		"missing resource": {
			files:   map[string]string{"kustomization.yaml": "resources: [absent.yaml]\n"},
			dir:     ".",
			wantErr: "absent.yaml",
		},
		"file outside the kustomization root": {
			files: map[string]string{
				"deployment.yaml":        testDeployment,
				"sub/kustomization.yaml": "resources: [../deployment.yaml]\n",
			},
			dir:     "sub",
			wantErr: "deployment.yaml",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			root := writeFiles(t, tc.files)
			_, err := Render(filepath.Join(root, filepath.FromSlash(tc.dir)))
			if err == nil {
				t.Fatalf("Render() error = nil, want one mentioning %q", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Render() error = %q, want it to mention %q", err, tc.wantErr)
			}
			if tc.notExist && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Render() error = %v, want one wrapping fs.ErrNotExist", err)
			}
		})
	}
}

func TestRepoRoot(t *testing.T) {
	root := writeFiles(t, map[string]string{
		"go.work":                           "go 1.26.8\n",
		"deploy/kustomize/base/placeholder": "",
		"e2e/manifests/placeholder":         "",
	})
	got, err := RepoRoot(filepath.Join(root, "e2e", "manifests"))
	if err != nil {
		t.Fatalf("RepoRoot() error = %v", err)
	}
	if diff := cmp.Diff(root, got); diff != "" {
		t.Errorf("RepoRoot(): -want +got:\n%s", diff)
	}

	lone := writeFiles(t, map[string]string{"a/placeholder": ""})
	if got, err := RepoRoot(filepath.Join(lone, "a")); err == nil {
		t.Errorf("RepoRoot() outside a repository = %q, want an error", got)
	}
}

func names(objs []*unstructured.Unstructured) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName())
	}
	return out
}
