//go:build e2e

package e2e

import (
	"context"
	"slices"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/manifests"
	"github.com/wva-project/wva/e2e/internal/spec"
)

// The admission webhook's Secret and ValidatingWebhookConfiguration
// (deploy/kustomize/base/webhook), the only ones the controller may touch.
const (
	webhookSecret        = "wva-webhook-cert"
	webhookConfiguration = "wva-capacity-config-validation"
)

// Feature 7: the controller can read its one ConfigMap and nothing else of
// the kind (no other ConfigMap, no other Secret than its webhook
// certificate's), and its pod runs with the restricted security context.
func TestLeastPrivilege(t *testing.T) {
	f := fixture.New(suite, "privilege")
	var otherNS string

	feature := features.New("least privilege").
		WithLabel("area", "security").WithLabel("size", "small").
		WithSetup("register cleanup", f.Setup).
		WithSetup("another namespace", f.NamespaceCreated(&otherNS)).
		Assess("SubjectAccessReviews of the controller's ServiceAccount", controllerAccessIs(func() map[string]accessCase { return privilegeCases(otherNS) })).
		Assess("the controller pod runs restricted", controllerPodRestricted).
		WithTeardown("delete the namespace", f.TeardownStep).
		Feature()

	suite.Env.Test(t, feature)
}

// access is what a SubjectAccessReview asks for.
type access struct {
	verb, group, resource, subresource, namespace, name string
}

// accessCase is an access and whether the controller should have it.
type accessCase struct {
	access  access
	allowed bool
}

// privilegeCases are the accesses feature 7 reviews, by name; otherNS is a
// namespace other than the controller's.
func privilegeCases(otherNS string) map[string]accessCase {
	configMap := func(verb, namespace, name string) access {
		return access{verb: verb, resource: "configmaps", namespace: namespace, name: name}
	}
	secret := func(verb, namespace, name string) access {
		return access{verb: verb, resource: "secrets", namespace: namespace, name: name}
	}
	webhookConfig := func(verb, name string) access {
		return access{verb: verb, group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations", name: name}
	}
	own := manifests.Namespace
	return map[string]accessCase{
		"get its ConfigMap":   {configMap("get", own, manifests.ConfigMapName), true},
		"list its ConfigMap":  {configMap("list", own, manifests.ConfigMapName), true},
		"watch its ConfigMap": {configMap("watch", own, manifests.ConfigMapName), true},

		"get another ConfigMap in its namespace":   {configMap("get", own, "kube-root-ca.crt"), false},
		"list every ConfigMap in its namespace":    {configMap("list", own, ""), false},
		"list ConfigMaps in another namespace":     {configMap("list", otherNS, ""), false},
		"get its ConfigMap's name elsewhere":       {configMap("get", otherNS, manifests.ConfigMapName), false},
		"list ConfigMaps in every namespace":       {configMap("list", "", ""), false},
		"update its ConfigMap":                     {configMap("update", own, manifests.ConfigMapName), false},
		"get a Secret in its namespace":            {secret("get", own, "any"), false},
		"list Secrets in its namespace":            {secret("list", own, ""), false},
		"list Secrets in another namespace":        {secret("list", otherNS, ""), false},
		"list Secrets in every namespace":          {secret("list", "", ""), false},
		"watch Secrets in every namespace":         {secret("watch", "", ""), false},
		"get a Secret in another namespace":        {secret("get", otherNS, "any"), false},
		"delete Deployments (it only scales them)": {access{verb: "delete", group: "apps", resource: "deployments", namespace: otherNS}, false},

		// The admission webhook's certificate: its one Secret and its
		// own ValidatingWebhookConfiguration, by name only.
		"get its webhook Secret":              {secret("get", own, webhookSecret), true},
		"update its webhook Secret":           {secret("update", own, webhookSecret), true},
		"create Secrets in its namespace":     {secret("create", own, ""), false},
		"delete its webhook Secret":           {secret("delete", own, webhookSecret), false},
		"get its webhook configuration":       {webhookConfig("get", webhookConfiguration), true},
		"patch its webhook configuration":     {webhookConfig("patch", webhookConfiguration), true},
		"patch another webhook configuration": {webhookConfig("patch", "someone-elses"), false},
		"list webhook configurations":         {webhookConfig("list", ""), false},
		"create webhook configurations":       {webhookConfig("create", ""), false},

		// What it needs, so that the denials above are not vacuous.
		"list VariantAutoscalings":        {access{verb: "list", group: "llmd.ai", resource: "variantautoscalings"}, true},
		"patch VariantAutoscaling status": {access{verb: "patch", group: "llmd.ai", resource: "variantautoscalings", subresource: "status", namespace: otherNS}, true},
		"update a Deployment's scale":     {access{verb: "update", group: "apps", resource: "deployments", subresource: "scale", namespace: otherNS}, true},
	}
}

// controllerAccessIs is a step that asks the API server, with a
// SubjectAccessReview each, whether the controller's ServiceAccount may do
// what each case (computed when the step runs) names, and fails on every
// answer that differs from the case's.
func controllerAccessIs(cases func() map[string]accessCase) features.Func {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		for name, tc := range cases() {
			sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User:   spec.ControllerUser,
				Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + manifests.Namespace, "system:authenticated"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{
					Verb: tc.access.verb, Group: tc.access.group, Resource: tc.access.resource,
					Subresource: tc.access.subresource, Namespace: tc.access.namespace, Name: tc.access.name,
				},
			}}
			got, err := suite.Kube.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("%s: SubjectAccessReview: %v", name, err)
			}
			if got.Status.Allowed != tc.allowed {
				t.Errorf("%s (%+v): allowed=%t, want %t (reason %q)", name, tc.access, got.Status.Allowed, tc.allowed, got.Status.Reason)
			}
		}
		return ctx
	}
}

// controllerPodRestricted is a step that fails unless the controller's pod
// runs with the restricted security context (checkRestricted) in a
// namespace that enforces the restricted Pod Security level.
func controllerPodRestricted(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	pod, err := suite.CurrentControllerPod(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkRestricted(t, pod)
	ns, err := suite.Kube.CoreV1().Namespaces().Get(ctx, manifests.Namespace, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ns.Labels["pod-security.kubernetes.io/enforce"]; got != "restricted" {
		t.Errorf("namespace %s: pod-security.kubernetes.io/enforce=%q, want restricted", ns.Name, got)
	}
	return ctx
}

// checkRestricted checks the effective security context of the manager
// container of pod (container settings, else the pod's).
func checkRestricted(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	i := slices.IndexFunc(pod.Spec.Containers, func(c corev1.Container) bool { return c.Name == manifests.ContainerName })
	if i < 0 {
		t.Fatalf("pod %s has no container %q", pod.Name, manifests.ContainerName)
	}
	c := pod.Spec.Containers[i].SecurityContext
	if c == nil {
		c = &corev1.SecurityContext{}
	}
	p := pod.Spec.SecurityContext
	if p == nil {
		p = &corev1.PodSecurityContext{}
	}
	runAsNonRoot := c.RunAsNonRoot
	if runAsNonRoot == nil {
		runAsNonRoot = p.RunAsNonRoot
	}
	seccomp := c.SeccompProfile
	if seccomp == nil {
		seccomp = p.SeccompProfile
	}
	if runAsNonRoot == nil || !*runAsNonRoot {
		t.Errorf("runAsNonRoot is not true")
	}
	if c.ReadOnlyRootFilesystem == nil || !*c.ReadOnlyRootFilesystem {
		t.Errorf("readOnlyRootFilesystem is not true")
	}
	if c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation {
		t.Errorf("allowPrivilegeEscalation is not false")
	}
	if c.Privileged != nil && *c.Privileged {
		t.Errorf("privileged is true")
	}
	if c.Capabilities == nil || !slices.Contains(c.Capabilities.Drop, "ALL") || len(c.Capabilities.Add) > 0 {
		t.Errorf("capabilities: got %+v, want drop [ALL] and nothing added", c.Capabilities)
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("seccompProfile: got %+v, want RuntimeDefault", seccomp)
	}
	t.Logf("pod %s: runAsNonRoot, readOnlyRootFilesystem, no privilege escalation, drop ALL, seccomp %v", pod.Name, seccomp)
}
