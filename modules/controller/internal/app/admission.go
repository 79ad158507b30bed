package app

import (
	"crypto/tls"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/wva-project/wva/modules/controller/internal/admission"
	"github.com/wva-project/wva/modules/controller/internal/admission/certs"
	"github.com/wva-project/wva/modules/controller/internal/options"
)

// webhookServer returns the webhook server for --config-admission, serving
// the certificate of cm, or nil when admission is off (then the manager
// starts no webhook server: it only starts one that GetWebhookServer was
// asked for).
func webhookServer(o options.Options, cm *certs.Manager) webhook.Server {
	if o.ConfigAdmission == options.ConfigAdmissionOff {
		return nil
	}
	return webhook.NewServer(webhook.Options{
		Port: o.WebhookPort,
		TLSOpts: []func(*tls.Config){func(c *tls.Config) {
			// HTTP/2 stays off, as for the metrics server.
			c.NextProtos = []string{"http/1.1"}
			c.GetCertificate = cm.GetCertificate
		}},
	})
}

// setupAdmission registers the validating webhook for the ConfigMap and the
// certificate manager behind it; nothing when admission is off.
func setupAdmission(mgr ctrl.Manager, s Setup, key types.NamespacedName, cm *certs.Manager) error {
	o := s.Options
	if o.ConfigAdmission == options.ConfigAdmissionOff {
		return nil
	}
	// Uncached: the Secret and the ValidatingWebhookConfiguration are read
	// by name, and RBAC allows no list or watch of either.
	c, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), HTTPClient: mgr.GetHTTPClient()})
	if err != nil {
		return fmt.Errorf("creating the webhook certificate client: %w", err)
	}
	cm.Client = c
	cm.Secret = types.NamespacedName{Namespace: o.ConfigMapNamespace, Name: o.WebhookSecret}
	cm.WebhookConfiguration = o.WebhookConfiguration
	cm.DNSNames = certs.ServiceDNSNames(o.WebhookService, o.ConfigMapNamespace)
	cm.Clock = s.Clock
	cm.Log = mgr.GetLogger().WithName("webhook-certs")
	if err := mgr.Add(cm); err != nil {
		return fmt.Errorf("adding the webhook certificate manager: %w", err)
	}
	mgr.GetWebhookServer().Register(admission.Path, &webhook.Admission{
		Handler: &admission.Validator{Key: key, Mode: o.ConfigAdmission},
	})
	return nil
}
