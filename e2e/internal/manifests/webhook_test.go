package manifests

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
)

// TestAdmissionWebhook pins the validating webhook for capacity-scaling-config:
// only CREATE and UPDATE of that one ConfigMap, failurePolicy Ignore, no
// caBundle (the controller writes it), reached through a Service whose
// target is the container's webhook port, and an empty certificate Secret.
func TestAdmissionWebhook(t *testing.T) {
	wantCondition := []admissionregistrationv1.MatchCondition{{
		Name: "capacity-scaling-config-only",
		Expression: "has(object.metadata.name) && object.metadata.name == '" + ConfigMapName +
			"' && object.metadata.namespace == '" + Namespace + "'",
	}}
	for _, b := range renderAll(t) {
		t.Run(b.name, func(t *testing.T) {
			u := Find(b.objs, "ValidatingWebhookConfiguration", "", WebhookConfigurationName)
			if u == nil {
				t.Fatalf("no ValidatingWebhookConfiguration %s in %v", WebhookConfigurationName, names(b.objs))
			}
			var vwc admissionregistrationv1.ValidatingWebhookConfiguration
			if err := Convert(u, &vwc); err != nil {
				t.Fatal(err)
			}
			if len(vwc.Webhooks) != 1 {
				t.Fatalf("%d webhooks, want 1", len(vwc.Webhooks))
			}
			w := vwc.Webhooks[0]
			if w.FailurePolicy == nil || *w.FailurePolicy != admissionregistrationv1.Ignore {
				t.Errorf("failurePolicy = %v, want Ignore (a controller that is down never blocks a ConfigMap edit)", w.FailurePolicy)
			}
			if w.SideEffects == nil || *w.SideEffects != admissionregistrationv1.SideEffectClassNone {
				t.Errorf("sideEffects = %v, want None", w.SideEffects)
			}
			if diff := cmp.Diff([]string{"v1"}, w.AdmissionReviewVersions); diff != "" {
				t.Errorf("admissionReviewVersions: -want +got:\n%s", diff)
			}
			if w.TimeoutSeconds == nil || *w.TimeoutSeconds > 10 {
				t.Errorf("timeoutSeconds = %v, want at most 10", w.TimeoutSeconds)
			}
			if diff := cmp.Diff(wantCondition, w.MatchConditions); diff != "" {
				t.Errorf("matchConditions: -want +got:\n%s", diff)
			}
			wantRules := []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{
					APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"},
					Scope: ptr(admissionregistrationv1.NamespacedScope),
				},
			}}
			if diff := cmp.Diff(wantRules, w.Rules); diff != "" {
				t.Errorf("rules: -want +got:\n%s", diff)
			}
			if len(w.ClientConfig.CABundle) != 0 || w.ClientConfig.URL != nil {
				t.Errorf("clientConfig = %+v, want a service reference without caBundle", w.ClientConfig)
			}
			ref := w.ClientConfig.Service
			if ref == nil || ref.Name != WebhookServiceName || ref.Namespace != Namespace ||
				ref.Path == nil || *ref.Path != "/validate-capacity-scaling-config" || ref.Port == nil || *ref.Port != 443 {
				t.Fatalf("clientConfig.service = %+v, want %s/%s:443/validate-capacity-scaling-config", ref, Namespace, WebhookServiceName)
			}

			su := Find(b.objs, "Service", Namespace, WebhookServiceName)
			if su == nil {
				t.Fatalf("no Service %s", WebhookServiceName)
			}
			var svc corev1.Service
			if err := Convert(su, &svc); err != nil {
				t.Fatal(err)
			}
			c := deployment(t, b.objs).Spec.Template.Spec.Containers[0]
			if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 443 || containerPort(c, svc.Spec.Ports[0].TargetPort) != 9443 {
				t.Errorf("webhook Service ports = %+v, want 443 to the container's 9443", svc.Spec.Ports)
			}
			if !slices.Contains(c.Args, "--webhook-port=9443") {
				t.Errorf("container args %v do not set --webhook-port=9443", c.Args)
			}

			secu := Find(b.objs, "Secret", Namespace, WebhookSecretName)
			if secu == nil {
				t.Fatalf("no Secret %s", WebhookSecretName)
			}
			var sec corev1.Secret
			if err := Convert(secu, &sec); err != nil {
				t.Fatal(err)
			}
			if len(sec.Data) != 0 || len(sec.StringData) != 0 || sec.Type != corev1.SecretTypeOpaque {
				t.Errorf("Secret %s: type %q with %d keys, want an empty Opaque Secret (the controller fills it; kubectl apply must not overwrite it)",
					WebhookSecretName, sec.Type, len(sec.Data)+len(sec.StringData))
			}
		})
	}
}
