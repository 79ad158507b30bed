package manifests

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Names of the deployed objects, shared by the manifests, the controller and
// the e2e suite.
const (
	Namespace          = "workload-variant-autoscaler-system"
	ConfigMapName      = "capacity-scaling-config"
	DeploymentName     = "wva-controller"
	ServiceAccountName = "wva-controller"
	ContainerName      = "manager"
	ImageRepository    = "ghcr.io/wva-project/wva-controller"
	// The admission webhook's objects (--config-admission).
	WebhookServiceName       = "wva-webhook-service"
	WebhookSecretName        = "wva-webhook-cert"
	WebhookConfigurationName = "wva-capacity-config-validation"
)

// Paths of the deployment manifests, relative to the repository root, in the
// slash-separated form; OSPath turns one into a path on disk.
const (
	BaseDir                 = "deploy/kustomize/base"
	KindOverlayDir          = "deploy/kustomize/overlays/kind"
	ProductionOverlayDir    = "deploy/kustomize/overlays/production"
	DemoOverlayDir          = "deploy/kustomize/overlays/demo"
	DemoDir                 = "deploy/demo"
	StandaloneConfigMapFile = "deploy/configmap-capacity-scaling.yaml"
	ExamplesDir             = "deploy/examples"
)

// DemoNamespace holds the demo of DemoDir (everything but its RBAC in
// Namespace and its ClusterRoleBinding).
const DemoNamespace = "wva-demo"

// OSPath joins the repository root and a slash-separated path such as
// KindOverlayDir.
func OSPath(root, rel string) string {
	return filepath.Join(root, filepath.FromSlash(rel))
}

// RepoRoot returns the repository root: the nearest directory at or above
// start that holds both go.work and deploy/kustomize. Tests pass "." (their
// package directory).
func RepoRoot(start string) (string, error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", fmt.Errorf("resolving %q: %w", start, err)
	}
	for {
		if isFile(filepath.Join(dir, "go.work")) && isDir(filepath.Join(dir, "deploy", "kustomize")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no repository root (a directory with go.work and deploy/kustomize) at or above %q", start)
		}
		dir = parent
	}
}

// Render builds the kustomization in dir, as `kustomize build dir` does
// (same resource order, files outside dir's tree refused unless referenced as
// kustomization bases), and returns its objects in output order.
func Render(dir string) ([]*unstructured.Unstructured, error) {
	resources, err := build(dir)
	if err != nil {
		return nil, err
	}
	objs := make([]*unstructured.Unstructured, 0, resources.Size())
	for _, r := range resources.Resources() {
		// Through JSON, so that numbers are int64/float64 as everywhere else
		// in apimachinery (and DeepCopy works).
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("encoding %s built from %s: %w", r.CurId(), dir, err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("decoding %s built from %s: %w", r.CurId(), dir, err)
		}
		objs = append(objs, u)
	}
	return objs, nil
}

// RenderYAML builds the kustomization in dir and returns the multi-document
// YAML `kustomize build dir` prints.
func RenderYAML(dir string) ([]byte, error) {
	resources, err := build(dir)
	if err != nil {
		return nil, err
	}
	out, err := resources.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("encoding the build of %s: %w", dir, err)
	}
	return out, nil
}

func build(dir string) (resmap.ResMap, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolving kustomization directory %q: %w", dir, err)
	}
	if !isDir(abs) {
		return nil, fmt.Errorf("kustomization directory %q: %w", dir, fs.ErrNotExist)
	}
	opts := krusty.MakeDefaultOptions()
	// The CLI's default: the legacy order (namespaces, CRDs, RBAC, ...,
	// workloads), which is also a safe order to apply in.
	opts.Reorder = krusty.ReorderOptionUnspecified
	resources, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), abs)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return resources, nil
}

// Find returns the object of kind with namespace and name among objs (use ""
// as the namespace of a cluster-scoped object), or nil.
func Find(objs []*unstructured.Unstructured, kind, namespace, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetNamespace() == namespace && o.GetName() == name {
			return o
		}
	}
	return nil
}

// Convert decodes u into a typed object such as *appsv1.Deployment. A field
// that the type does not have is an error, so a misspelt field in a manifest
// (which the API server would drop or reject) fails here.
func Convert(u *unstructured.Unstructured, into any) error {
	err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, into, true)
	if err != nil {
		return fmt.Errorf("converting %s %s/%s to %T: %w", u.GetKind(), u.GetNamespace(), u.GetName(), into, err)
	}
	return nil
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
