package keda

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/wva-project/wva/e2e/internal/manifests"
)

const (
	testOperatorImage      = "localhost/wva-e2e/keda:2.21.0"
	testMetricsServerImage = "localhost/wva-e2e/keda-metrics-apiserver:2.21.0"
)

// pinnedVersion reads KEDA_VERSION from hack/versions.mk, the version the
// Makefile builds and installs.
func pinnedVersion(t *testing.T) string {
	t.Helper()
	root, err := manifests.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, "hack", "versions.mk"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	line := regexp.MustCompile(`^KEDA_VERSION\s*\?=\s*(\S+)\s*$`)
	s := bufio.NewScanner(f)
	for s.Scan() {
		if m := line.FindStringSubmatch(s.Text()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("hack/versions.mk sets no KEDA_VERSION (scan error: %v)", s.Err())
	return ""
}

// moduleConfigDir is the config/ directory of the pinned KEDA module,
// downloaded through the Go module proxy when the module cache lacks it.
func moduleConfigDir(t *testing.T) (dir, version string) {
	t.Helper()
	version = pinnedVersion(t)
	mod, err := ModuleDir(context.Background(), "", version)
	if err != nil {
		t.Fatalf("locating KEDA %s: %v", version, err)
	}
	return filepath.Join(mod, "config"), strings.TrimPrefix(version, "v")
}

// TestRenderModuleConfig renders the real config/minimal of the pinned
// module: KEDA's own CRDs, both Deployments on the given images, nothing
// of the admission webhooks, every object labelled with the version.
func TestRenderModuleConfig(t *testing.T) {
	configDir, version := moduleConfigDir(t)
	objs, err := Render(Options{
		ConfigDir: configDir, Version: version,
		OperatorImage: testOperatorImage, MetricsServerImage: testMetricsServerImage,
	})
	if err != nil {
		t.Fatal(err)
	}

	var crds []string
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			crds = append(crds, o.GetName())
		}
		if strings.Contains(o.GetName(), "admission") {
			t.Errorf("%s %s: the admission webhooks should not be installed", o.GetKind(), o.GetName())
		}
		if got := o.GetLabels()["app.kubernetes.io/version"]; got != version {
			t.Errorf("%s %s: label app.kubernetes.io/version = %q, want %q", o.GetKind(), o.GetName(), got, version)
		}
	}
	for _, want := range []string{
		"scaledobjects.keda.sh", "scaledjobs.keda.sh",
		"triggerauthentications.keda.sh", "clustertriggerauthentications.keda.sh",
	} {
		if !slices.Contains(crds, want) {
			t.Errorf("CRD %s not rendered; CRDs: %v", want, crds)
		}
	}

	for _, tc := range []struct {
		name, image string
		wantArgs    []string
	}{
		{OperatorDeployment, testOperatorImage, []string{"--enable-cert-rotation=true", disableWebhookPatching}},
		{MetricsServerDeployment, testMetricsServerImage, []string{"--secure-port=6443", "--cert-dir=/certs"}},
	} {
		var d appsv1.Deployment
		if err := manifests.Convert(manifests.Find(objs, "Deployment", Namespace, tc.name), &d); err != nil {
			t.Fatal(err)
		}
		c := d.Spec.Template.Spec.Containers[0]
		if c.Image != tc.image || c.ImagePullPolicy != corev1.PullIfNotPresent {
			t.Errorf("%s: image %q pull policy %q, want %q IfNotPresent", tc.name, c.Image, c.ImagePullPolicy, tc.image)
		}
		for _, a := range tc.wantArgs {
			if !slices.Contains(c.Args, a) {
				t.Errorf("%s: args %q lack %s", tc.name, c.Args, a)
			}
		}
		// The images run as distroless's nonroot user, which
		// runAsNonRoot accepts only because the image says so by number.
		if sc := d.Spec.Template.Spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s: pod securityContext.runAsNonRoot is not true", tc.name)
		}
	}
}

// TestRenderRejectsUnknownLayout: a config directory that is not the one
// Render knows is an error naming what is missing, not a partial install.
func TestRenderRejectsUnknownLayout(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"minimal/kustomization.yaml": "resources: [ns.yaml]\n",
		"minimal/ns.yaml":            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: keda\n",
	}
	for rel, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Render(Options{ConfigDir: dir, Version: "2.21.0", OperatorImage: testOperatorImage, MetricsServerImage: testMetricsServerImage})
	if err == nil {
		t.Fatal("Render of a config without KEDA's Deployments succeeded")
	}
	for _, want := range []string{"no CustomResourceDefinitions", "no APIService", "no Deployment keda/keda-operator", "no Deployment keda/keda-metrics-apiserver"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	configDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(configDir, "minimal"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(configDir, "minimal", "kustomization.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	valid := Options{ConfigDir: configDir, Version: "2.21.0", OperatorImage: testOperatorImage, MetricsServerImage: testMetricsServerImage}
	cases := map[string]struct {
		edit     func(*Options)
		wantErrs []string
	}{
		"valid":           {edit: func(*Options) {}},
		"no config dir":   {edit: func(o *Options) { o.ConfigDir = "" }, wantErrs: []string{"ConfigDir must be set"}},
		"not KEDA config": {edit: func(o *Options) { o.ConfigDir = t.TempDir() }, wantErrs: []string{"no minimal/kustomization.yaml"}},
		"v in version":    {edit: func(o *Options) { o.Version = "v2.21.0" }, wantErrs: []string{"without a v"}},
		"no version":      {edit: func(o *Options) { o.Version = "" }, wantErrs: []string{"without a v"}},
		"every problem at once": {
			edit: func(o *Options) { *o = Options{MetricsServerImage: "localhost/keda@sha256:abc"} },
			wantErrs: []string{
				"ConfigDir must be set", "without a v",
				"OperatorImage: image must be set", "MetricsServerImage: image \"localhost/keda@sha256:abc\": use a tag",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := valid
			tc.edit(&o)
			err := o.Validate()
			if len(tc.wantErrs) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate succeeded, want errors %q", tc.wantErrs)
			}
			for _, want := range tc.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

func TestSplitImage(t *testing.T) {
	cases := map[string]struct {
		ref               string
		wantName, wantTag string
		wantErr           bool
	}{
		"repository and tag": {ref: "localhost/wva-e2e/keda:2.21.0", wantName: "localhost/wva-e2e/keda", wantTag: "2.21.0"},
		"registry port":      {ref: "localhost:5000/keda:v1", wantName: "localhost:5000/keda", wantTag: "v1"},
		"registry port only": {ref: "localhost:5000/keda", wantErr: true},
		"no tag":             {ref: "localhost/keda", wantErr: true},
		"empty tag":          {ref: "localhost/keda:", wantErr: true},
		"digest":             {ref: "localhost/keda@sha256:0123", wantErr: true},
		"empty":              {ref: "", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			n, tag, err := splitImage(tc.ref)
			if (err != nil) != tc.wantErr {
				t.Fatalf("splitImage(%q) error = %v, want error %t", tc.ref, err, tc.wantErr)
			}
			if diff := cmp.Diff([2]string{tc.wantName, tc.wantTag}, [2]string{n, tag}); diff != "" {
				t.Errorf("splitImage(%q): -want +got:\n%s", tc.ref, diff)
			}
		})
	}
}

func TestModuleDirRejectsNonModuleVersion(t *testing.T) {
	if _, err := ModuleDir(context.Background(), "", "2.21.0"); err == nil {
		t.Error("ModuleDir accepted version 2.21.0 (no v)")
	}
}
