package certs

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// Defaults of Manager's durations.
const (
	DefaultValidity      = 365 * 24 * time.Hour
	DefaultRenewBefore   = 30 * 24 * time.Hour
	DefaultCheckInterval = 10 * time.Minute
	// DefaultRetryInterval is how soon a failed check is retried.
	DefaultRetryInterval = 10 * time.Second
)

// Log messages.
const (
	MsgIssued        = "Webhook serving certificate issued"
	MsgLoaded        = "Webhook serving certificate loaded"
	MsgCABundleSet   = "Webhook caBundle updated"
	MsgCheckFailed   = "Webhook certificate check failed, will retry"
	MsgNotServingYet = "no webhook serving certificate loaded yet"
)

// ErrNoCertificate is what GetCertificate returns before the first check
// succeeded (the API server then treats the webhook as down: failurePolicy
// Ignore admits the request).
var ErrNoCertificate = errors.New(MsgNotServingYet)

// Least privilege: the one Secret (get, update: it is read by name, uncached,
// and created empty by the manifests) and the one ValidatingWebhookConfiguration.
//
// +kubebuilder:rbac:groups="",namespace=workload-variant-autoscaler-system,resources=secrets,resourceNames=wva-webhook-cert,verbs=get;update
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations,resourceNames=wva-capacity-config-validation,verbs=get;update;patch

// Manager keeps the webhook's certificate and caBundle current.
type Manager struct {
	// Client must be uncached: a cached Get of a Secret would make the
	// manager list and watch every Secret, which RBAC forbids.
	Client client.Client
	// Secret holds the CA and the serving certificate. It must exist.
	Secret types.NamespacedName
	// WebhookConfiguration is the ValidatingWebhookConfiguration whose
	// webhooks get the caBundle.
	WebhookConfiguration string
	// DNSNames are the serving certificate's names, the Service's first.
	DNSNames []string
	Clock    clock.Clock
	Log      logr.Logger
	// Zero values mean the defaults above.
	Validity, RenewBefore, CheckInterval, RetryInterval time.Duration

	current atomic.Pointer[tls.Certificate]
}

var (
	_ manager.Runnable               = (*Manager)(nil)
	_ manager.LeaderElectionRunnable = (*Manager)(nil)
)

// ServiceDNSNames are the names a webhook Service is called by.
func ServiceDNSNames(service, namespace string) []string {
	return []string{service + "." + namespace + ".svc", service + "." + namespace + ".svc.cluster.local"}
}

// NeedLeaderElection is false: every replica serves the webhook.
func (m *Manager) NeedLeaderElection() bool { return false }

// GetCertificate is the webhook server's tls.Config.GetCertificate.
func (m *Manager) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if c := m.current.Load(); c != nil {
		return c, nil
	}
	return nil, ErrNoCertificate
}

// Start checks at once, then every CheckInterval (RetryInterval after a
// failure), until ctx is done. A failure is logged, never fatal: the
// webhook is then down, which failurePolicy Ignore makes harmless.
func (m *Manager) Start(ctx context.Context) error {
	for {
		wait := or(m.CheckInterval, DefaultCheckInterval)
		if err := m.Ensure(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			m.Log.Error(err, MsgCheckFailed, "secret", m.Secret.String(), "retryIn", or(m.RetryInterval, DefaultRetryInterval).String())
			wait = or(m.RetryInterval, DefaultRetryInterval)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-m.Clock.After(wait):
		}
	}
}

// Ensure makes the Secret hold a usable certificate (issuing one if not),
// serves it, and writes the CA into the caBundle of every webhook of
// WebhookConfiguration.
func (m *Manager) Ensure(ctx context.Context) error {
	now := m.Clock.Now()
	secret := &corev1.Secret{}
	if err := m.Client.Get(ctx, m.Secret, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("webhook certificate Secret %s not found (the manifests create it empty; the controller may not create Secrets): %w", m.Secret, err)
		}
		return fmt.Errorf("reading webhook certificate Secret %s: %w", m.Secret, err)
	}
	b, err := parse(secret.Data)
	if err == nil {
		err = b.usable(now, or(m.RenewBefore, DefaultRenewBefore), m.DNSNames)
	}
	if err != nil {
		reason := err.Error()
		if b, err = m.rotate(ctx, secret, now); err != nil {
			return err
		}
		m.Log.Info(MsgIssued, "secret", m.Secret.String(), "reason", reason,
			"notAfter", b.cert.NotAfter.UTC().Format(time.RFC3339), "dnsNames", m.DNSNames)
	}
	if old := m.current.Load(); old == nil || !bytes.Equal(old.Certificate[0], b.pair.Certificate[0]) {
		m.current.Store(&b.pair)
		m.Log.Info(MsgLoaded, "secret", m.Secret.String(), "notAfter", b.cert.NotAfter.UTC().Format(time.RFC3339))
	}
	return m.setCABundle(ctx, caBundle(b, secret.Data[PreviousCACert], now))
}

// rotate writes a new CA and certificate into secret, keeping the CA it
// replaces (if any, and still valid) as the previous CA.
func (m *Manager) rotate(ctx context.Context, secret *corev1.Secret, now time.Time) (*bundle, error) {
	b, err := issue(now, or(m.Validity, DefaultValidity), m.DNSNames)
	if err != nil {
		return nil, fmt.Errorf("issuing the webhook certificate: %w", err)
	}
	data := map[string][]byte{CACertKey: b.caPEM, CAKeyKey: b.caKeyPEM, CertKey: b.certPEM, KeyKey: b.keyPEM}
	if old, err := parseCert(secret.Data[CACertKey]); err == nil && now.Before(old.NotAfter) {
		data[PreviousCACert] = secret.Data[CACertKey]
	}
	updated := secret.DeepCopy()
	updated.Data = data
	// Update carries the resourceVersion read: a replica that rotated
	// meanwhile makes this one conflict rather than overwrite its CA.
	if err := m.Client.Update(ctx, updated); err != nil {
		return nil, fmt.Errorf("writing the new webhook certificate to Secret %s: %w", m.Secret, err)
	}
	secret.Data = maps.Clone(data)
	return b, nil
}

// caBundle is the current CA, then the previous one while it is valid.
func caBundle(b *bundle, previous []byte, now time.Time) []byte {
	out := bytes.Clone(b.caPEM)
	if old, err := parseCert(previous); err == nil && now.Before(old.NotAfter) && !old.Equal(b.ca) {
		out = append(out, previous...)
	}
	return out
}

func (m *Manager) setCABundle(ctx context.Context, bundle []byte) error {
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := m.Client.Get(ctx, types.NamespacedName{Name: m.WebhookConfiguration}, vwc); err != nil {
		return fmt.Errorf("reading ValidatingWebhookConfiguration %s: %w", m.WebhookConfiguration, err)
	}
	if len(vwc.Webhooks) == 0 {
		return fmt.Errorf("ValidatingWebhookConfiguration %s has no webhooks", m.WebhookConfiguration)
	}
	patch := client.MergeFromWithOptions(vwc.DeepCopy(), client.MergeFromWithOptimisticLock{})
	changed := false
	for i := range vwc.Webhooks {
		if !bytes.Equal(vwc.Webhooks[i].ClientConfig.CABundle, bundle) {
			vwc.Webhooks[i].ClientConfig.CABundle = bundle
			changed = true
		}
	}
	if !changed {
		return nil
	}
	if err := m.Client.Patch(ctx, vwc, patch); err != nil {
		return fmt.Errorf("writing the caBundle of ValidatingWebhookConfiguration %s: %w", m.WebhookConfiguration, err)
	}
	m.Log.Info(MsgCABundleSet, "validatingWebhookConfiguration", m.WebhookConfiguration, "webhooks", len(vwc.Webhooks))
	return nil
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
