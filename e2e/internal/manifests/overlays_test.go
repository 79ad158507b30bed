package manifests

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// rendered is one built kustomization of deploy/kustomize.
type rendered struct {
	name string
	objs []*unstructured.Unstructured
}

// renderAll renders the base and every overlay of the controller. Each test renders its own
// copy (a build takes milliseconds) so tests share no state.
func renderAll(t *testing.T) []rendered {
	t.Helper()
	root := repoRoot(t)
	var builds []rendered
	for _, dir := range []string{BaseDir, KindOverlayDir, ProductionOverlayDir, DemoOverlayDir} {
		objs, err := Render(OSPath(root, dir))
		if err != nil {
			t.Fatalf("Render(%s) error = %v", dir, err)
		}
		builds = append(builds, rendered{name: dir, objs: objs})
	}
	return builds
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestObjectsNamespaceAndLabels(t *testing.T) {
	// Every kind the manifests may contain; a new kind must be added to one
	// of these, so that its namespace is checked.
	clusterScoped := map[string]bool{
		"Namespace": true, "CustomResourceDefinition": true, "ClusterRole": true, "ClusterRoleBinding": true,
		"ValidatingWebhookConfiguration": true,
	}
	namespaced := map[string]bool{
		"ServiceAccount": true, "Role": true, "RoleBinding": true, "ConfigMap": true,
		"Deployment": true, "Service": true, "PodDisruptionBudget": true, "Secret": true,
	}
	for _, b := range renderAll(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, o := range b.objs {
				id := o.GetKind() + " " + o.GetName()
				switch {
				case clusterScoped[o.GetKind()]:
					if o.GetNamespace() != "" {
						t.Errorf("%s: cluster-scoped object has namespace %q", id, o.GetNamespace())
					}
				case namespaced[o.GetKind()]:
					if o.GetNamespace() != Namespace {
						t.Errorf("%s: namespace = %q, want %q", id, o.GetNamespace(), Namespace)
					}
				default:
					t.Errorf("%s: kind %q is in neither list of this test; add it to clusterScoped or namespaced", id, o.GetKind())
				}
				for _, key := range []string{"app.kubernetes.io/name", "app.kubernetes.io/part-of"} {
					if got := o.GetLabels()[key]; got != "wva" {
						t.Errorf("%s: label %s = %q, want %q", id, key, got, "wva")
					}
				}
			}
			if Find(b.objs, "Namespace", "", Namespace) == nil {
				t.Errorf("no Namespace %s in %v", Namespace, names(b.objs))
			}
		})
	}
}

func TestNoDuplicateObjects(t *testing.T) {
	for _, b := range renderAll(t) {
		t.Run(b.name, func(t *testing.T) {
			seen := map[string]bool{}
			for _, o := range b.objs {
				gvk := o.GroupVersionKind()
				id := gvk.Group + "/" + gvk.Kind + " " + o.GetNamespace() + "/" + o.GetName()
				if seen[id] {
					t.Errorf("duplicate object %s", id)
				}
				seen[id] = true
			}
		})
	}
}

// TestObjectsConvertStrictly decodes every built-in object into its Go type,
// so a misspelt or misplaced field fails. The CRD is the only kind without a
// Go type here (apiextensions is not a dependency); it is generated and
// checked by modules/api.
func TestObjectsConvertStrictly(t *testing.T) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, rbacv1.AddToScheme, policyv1.AddToScheme, admissionregistrationv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	crd := schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}
	for _, b := range renderAll(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, o := range b.objs {
				gvk := o.GroupVersionKind()
				if gvk == crd {
					continue
				}
				typed, err := scheme.New(gvk)
				if err != nil {
					t.Errorf("%s %s: no Go type for %v: %v", o.GetKind(), o.GetName(), gvk, err)
					continue
				}
				if err := Convert(o, typed); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestCapacityConfigMapMatchesStandaloneFile(t *testing.T) {
	standalone := readConfigMap(t, OSPath(repoRoot(t), StandaloneConfigMapFile))
	if standalone.Name != ConfigMapName || standalone.Namespace != Namespace {
		t.Errorf("%s: ConfigMap %s/%s, want %s/%s", StandaloneConfigMapFile, standalone.Namespace, standalone.Name, Namespace, ConfigMapName)
	}
	wantDefault := "kvCacheThreshold: 0.80\nqueueLengthThreshold: 5\nkvSpareTrigger: 0.1\nqueueSpareTrigger: 3\n"
	if diff := cmp.Diff(map[string]string{"default": wantDefault}, standalone.Data); diff != "" {
		t.Errorf("%s data (overrides stay commented out): -want +got:\n%s", StandaloneConfigMapFile, diff)
	}

	for _, b := range renderAll(t) {
		t.Run(b.name, func(t *testing.T) {
			u := Find(b.objs, "ConfigMap", Namespace, ConfigMapName)
			if u == nil {
				t.Fatalf("no ConfigMap %s/%s in %v", Namespace, ConfigMapName, names(b.objs))
			}
			var cm corev1.ConfigMap
			if err := Convert(u, &cm); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(standalone.Data["default"], cm.Data["default"]); diff != "" {
				t.Errorf("default entry differs from %s: -want +got:\n%s", StandaloneConfigMapFile, diff)
			}
			if diff := cmp.Diff(standalone.Data, cm.Data); diff != "" {
				t.Errorf("data differs from %s: -want +got:\n%s", StandaloneConfigMapFile, diff)
			}
		})
	}
}

func readConfigMap(t *testing.T, path string) *corev1.ConfigMap {
	t.Helper()
	data := readFile(t, path)
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(data, &cm); err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return &cm
}

func TestProductionAvailability(t *testing.T) {
	objs, err := Render(OSPath(repoRoot(t), ProductionOverlayDir))
	if err != nil {
		t.Fatal(err)
	}
	d := deployment(t, objs)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas = %v, want 2", d.Spec.Replicas)
	}

	wantAffinity := &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
			Weight: 100,
			PodAffinityTerm: corev1.PodAffinityTerm{
				TopologyKey:   corev1.LabelHostname,
				LabelSelector: d.Spec.Selector,
			},
		}},
	}}
	if diff := cmp.Diff(wantAffinity, d.Spec.Template.Spec.Affinity); diff != "" {
		t.Errorf("affinity (spread over nodes, selecting the controller's own pods): -want +got:\n%s", diff)
	}

	u := Find(objs, "PodDisruptionBudget", Namespace, DeploymentName)
	if u == nil {
		t.Fatalf("no PodDisruptionBudget %s/%s in %v", Namespace, DeploymentName, names(objs))
	}
	var pdb policyv1.PodDisruptionBudget
	if err := Convert(u, &pdb); err != nil {
		t.Fatal(err)
	}
	wantPDB := policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr(intstr.FromInt32(1)), Selector: d.Spec.Selector}
	if diff := cmp.Diff(wantPDB, pdb.Spec); diff != "" {
		t.Errorf("PodDisruptionBudget spec: -want +got:\n%s", diff)
	}
}

func deployment(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	u := Find(objs, "Deployment", Namespace, DeploymentName)
	if u == nil {
		t.Fatalf("no Deployment %s/%s in %v", Namespace, DeploymentName, names(objs))
	}
	var d appsv1.Deployment
	if err := Convert(u, &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

func ptr[T any](v T) *T { return &v }
