package keda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wva-project/wva/e2e/internal/manifests"
)

// Module is KEDA's Go module path.
const Module = "github.com/kedacore/keda/v2"

// Names of what config/minimal installs.
const (
	Namespace               = "keda"
	OperatorDeployment      = "keda-operator"
	MetricsServerDeployment = "keda-metrics-apiserver"
	// APIServiceName is the external metrics API that the metrics server
	// serves and HorizontalPodAutoscalers read.
	APIServiceName = "v1beta1.external.metrics.k8s.io"
	// ExternalMetricsGroupVersion is the group/version of that API.
	ExternalMetricsGroupVersion = "external.metrics.k8s.io/v1beta1"
)

// Upstream's image repositories, as config/manager and config/metrics-server
// name them; Render replaces them.
const (
	upstreamOperatorImage      = "ghcr.io/kedacore/keda"
	upstreamMetricsServerImage = "ghcr.io/kedacore/keda-metrics-apiserver"
)

// minimalDir is the kustomization Render builds, relative to the config
// directory: config/default without the admission webhooks.
const minimalDir = "minimal"

// disableWebhookPatching is the operator flag that stops its certificate
// rotator from looking for the ValidatingWebhookConfiguration keda-admission,
// which config/minimal does not install (it would log an error on every
// rotation otherwise).
const disableWebhookPatching = "--enable-webhook-patching=false"

// Options say what Render builds.
type Options struct {
	// ConfigDir is the config/ directory of the KEDA module:
	// filepath.Join(ModuleDir(...), "config").
	ConfigDir string
	// Version labels every object (app.kubernetes.io/version) the way
	// KEDA's release manifests do: without a "v", e.g. "2.21.0".
	Version string
	// OperatorImage and MetricsServerImage are the images to run, as
	// repository:tag, e.g. localhost/wva-e2e/keda:2.21.0 (make keda-images).
	OperatorImage      string
	MetricsServerImage string
}

// Validate reports every unusable option.
func (o Options) Validate() error {
	var errs []error
	if o.ConfigDir == "" {
		errs = append(errs, errors.New("ConfigDir must be set (the config/ directory of the KEDA module)"))
	} else if fi, err := os.Stat(filepath.Join(o.ConfigDir, minimalDir, "kustomization.yaml")); err != nil || !fi.Mode().IsRegular() {
		errs = append(errs, fmt.Errorf("ConfigDir %q: no %s/kustomization.yaml: is it the config/ directory of %s?", o.ConfigDir, minimalDir, Module))
	}
	if o.Version == "" || strings.HasPrefix(o.Version, "v") {
		errs = append(errs, fmt.Errorf("version %q: want KEDA's release form without a v, e.g. 2.21.0", o.Version))
	}
	for _, img := range []struct{ name, ref string }{
		{"OperatorImage", o.OperatorImage},
		{"MetricsServerImage", o.MetricsServerImage},
	} {
		if _, _, err := splitImage(img.ref); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", img.name, err))
		}
	}
	return errors.Join(errs...)
}

// Render builds KEDA's config/minimal kustomization from opts.ConfigDir with
// the images, pull policy, version label and operator flag described in the
// package documentation, and returns the objects in `kustomize build` order
// (namespace, CRDs and RBAC before the Deployments). It checks the result:
// an upstream layout this package does not know (a renamed Deployment, a
// second container) is an error rather than a silently different install.
func Render(opts Options) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	err := withOverlay(opts, func(dir string) error {
		var err error
		objs, err = renderChecked(dir, opts)
		return err
	})
	return objs, err
}

// RenderYAML is Render as the multi-document YAML `kustomize build` prints,
// for `kubectl apply --server-side -f -`.
func RenderYAML(opts Options) ([]byte, error) {
	var out []byte
	err := withOverlay(opts, func(dir string) error {
		if _, err := renderChecked(dir, opts); err != nil {
			return err
		}
		var err error
		if out, err = manifests.RenderYAML(dir); err != nil {
			return fmt.Errorf("rendering KEDA from %s: %w", opts.ConfigDir, err)
		}
		return nil
	})
	return out, err
}

func renderChecked(dir string, opts Options) ([]*unstructured.Unstructured, error) {
	objs, err := manifests.Render(dir)
	if err != nil {
		return nil, fmt.Errorf("rendering KEDA from %s: %w", opts.ConfigDir, err)
	}
	if err := check(objs, opts); err != nil {
		return nil, fmt.Errorf("rendering KEDA from %s: %w", opts.ConfigDir, err)
	}
	return objs, nil
}

// withOverlay writes the overlay kustomization for opts and calls build with
// its directory. Kustomize refuses absolute paths to bases, so the overlay
// and a copy of the config directory (a few dozen small files; the module
// cache's copy is read-only and far away) share a temporary directory,
// removed afterwards.
func withOverlay(opts Options, build func(dir string) error) error {
	if err := opts.Validate(); err != nil {
		return fmt.Errorf("rendering KEDA: %w", err)
	}
	dir, err := os.MkdirTemp("", "wva-keda-")
	if err != nil {
		return fmt.Errorf("rendering KEDA: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if err := os.CopyFS(filepath.Join(dir, "config"), os.DirFS(opts.ConfigDir)); err != nil {
		return fmt.Errorf("rendering KEDA: copying %s: %w", opts.ConfigDir, err)
	}
	kustomization, err := overlay(opts, "../config/"+minimalDir)
	if err != nil {
		return fmt.Errorf("rendering KEDA: %w", err)
	}
	overlayDir := filepath.Join(dir, "overlay")
	if err := os.Mkdir(overlayDir, 0o700); err != nil {
		return fmt.Errorf("rendering KEDA: %w", err)
	}
	if err := os.WriteFile(filepath.Join(overlayDir, "kustomization.yaml"), kustomization, 0o600); err != nil {
		return fmt.Errorf("rendering KEDA: %w", err)
	}
	return build(overlayDir)
}

// overlay returns the kustomization.yaml that Render builds on base (a
// relative path to config/minimal).
func overlay(opts Options, base string) ([]byte, error) {
	image := func(upstream, ref string) map[string]string {
		name, tag, _ := splitImage(ref) // validated
		return map[string]string{"name": upstream, "newName": name, "newTag": tag}
	}
	pullPolicy := func(deployment string) map[string]any {
		return map[string]any{
			"target": map[string]string{"kind": "Deployment", "name": deployment},
			"patch":  `[{"op": "add", "path": "/spec/template/spec/containers/0/imagePullPolicy", "value": "IfNotPresent"}]`,
		}
	}
	k := map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1",
		"kind":       "Kustomization",
		"resources":  []string{base},
		"images": []map[string]string{
			image(upstreamOperatorImage, opts.OperatorImage),
			image(upstreamMetricsServerImage, opts.MetricsServerImage),
		},
		// config/minimal labels everything "main"; the release build
		// rewrites that to the version (KEDA's Makefile, target release).
		"labels": []map[string]any{{"pairs": map[string]string{"app.kubernetes.io/version": opts.Version}}},
		"patches": []map[string]any{
			pullPolicy(OperatorDeployment),
			pullPolicy(MetricsServerDeployment),
			{
				"target": map[string]string{"kind": "Deployment", "name": OperatorDeployment},
				"patch":  fmt.Sprintf(`[{"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": %q}]`, disableWebhookPatching),
			},
		},
	}
	// JSON is YAML, and kustomize reads it as such.
	return json.MarshalIndent(k, "", "  ")
}

// check verifies that the rendered objects are the install Render promises.
func check(objs []*unstructured.Unstructured, opts Options) error {
	var errs []error
	crds := 0
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			crds++
		}
		if o.GetKind() == "ValidatingWebhookConfiguration" {
			errs = append(errs, fmt.Errorf("unexpected ValidatingWebhookConfiguration %s: config/%s should not install the admission webhooks", o.GetName(), minimalDir))
		}
	}
	if crds == 0 {
		errs = append(errs, errors.New("no CustomResourceDefinitions"))
	}
	if manifests.Find(objs, "APIService", "", APIServiceName) == nil {
		errs = append(errs, fmt.Errorf("no APIService %s", APIServiceName))
	}
	for _, d := range []struct {
		name, image string
		wantArg     string
	}{
		{OperatorDeployment, opts.OperatorImage, disableWebhookPatching},
		{MetricsServerDeployment, opts.MetricsServerImage, ""},
	} {
		obj := manifests.Find(objs, "Deployment", Namespace, d.name)
		if obj == nil {
			errs = append(errs, fmt.Errorf("no Deployment %s/%s", Namespace, d.name))
			continue
		}
		containers, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
		if len(containers) != 1 {
			errs = append(errs, fmt.Errorf("deployment %s/%s has %d containers, want 1", Namespace, d.name, len(containers)))
			continue
		}
		c, _ := containers[0].(map[string]any)
		if got, _ := c["image"].(string); got != d.image {
			errs = append(errs, fmt.Errorf("deployment %s/%s runs image %q, want %q", Namespace, d.name, got, d.image))
		}
		if got, _ := c["imagePullPolicy"].(string); got != "IfNotPresent" {
			errs = append(errs, fmt.Errorf("deployment %s/%s has imagePullPolicy %q, want IfNotPresent", Namespace, d.name, got))
		}
		if d.wantArg != "" {
			args, _, _ := unstructured.NestedStringSlice(c, "args")
			if !slices.Contains(args, d.wantArg) {
				errs = append(errs, fmt.Errorf("deployment %s/%s: args %q lack %s", Namespace, d.name, args, d.wantArg))
			}
		}
	}
	return errors.Join(errs...)
}

// splitImage splits repository:tag. A digest or a missing tag is an error:
// kind loads images by tag, and IfNotPresent only finds what was loaded.
func splitImage(ref string) (name, tag string, err error) {
	if ref == "" {
		return "", "", errors.New("image must be set, as repository:tag")
	}
	if strings.Contains(ref, "@") {
		return "", "", fmt.Errorf("image %q: use a tag, not a digest", ref)
	}
	i := strings.LastIndex(ref, ":")
	if i <= strings.LastIndex(ref, "/") || i == len(ref)-1 {
		return "", "", fmt.Errorf("image %q has no tag: want repository:tag", ref)
	}
	return ref[:i], ref[i+1:], nil
}

// ModuleDir returns the directory of KEDA's module at version (e.g.
// "v2.21.0") in the module cache, downloading it through the Go module
// proxy if it is not there: `go mod download -json`, run outside any module
// so that no go.mod or go.work around the caller matters. goBinary is the
// go command ("go" when empty).
func ModuleDir(ctx context.Context, goBinary, version string) (string, error) {
	if goBinary == "" {
		goBinary = "go"
	}
	if !strings.HasPrefix(version, "v") {
		return "", fmt.Errorf("KEDA module version %q: want a module version such as v2.21.0", version)
	}
	cmd := exec.CommandContext(ctx, goBinary, "mod", "download", "-json", Module+"@"+version)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	// On failure the JSON carries the reason in Error.
	var info struct {
		Dir   string
		Error string
	}
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil {
		if runErr != nil {
			return "", fmt.Errorf("go mod download %s@%s: %w (%s)", Module, version, runErr, strings.TrimSpace(stderr.String()))
		}
		return "", fmt.Errorf("go mod download %s@%s: decoding its output %q: %w", Module, version, stdout.Bytes(), err)
	}
	switch {
	case info.Error != "":
		return "", fmt.Errorf("go mod download %s@%s: %s", Module, version, info.Error)
	case runErr != nil:
		return "", fmt.Errorf("go mod download %s@%s: %w (%s)", Module, version, runErr, strings.TrimSpace(stderr.String()))
	case info.Dir == "":
		return "", fmt.Errorf("go mod download %s@%s reported no directory", Module, version)
	}
	return info.Dir, nil
}
