package certs

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

const (
	ns      = "wva-system"
	vwcName = "wva-capacity-config-validation"
)

var (
	secretKey = types.NamespacedName{Namespace: ns, Name: "wva-webhook-cert"}
	start     = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

func emptySecret() *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: secretKey.Name, Namespace: ns}, Type: corev1.SecretTypeOpaque}
}

func webhookConfiguration() *admissionregistrationv1.ValidatingWebhookConfiguration {
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: vwcName},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name: "capacity-scaling-config.llmd.ai",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{
				Namespace: ns, Name: "wva-webhook-service",
			}},
		}},
	}
}

type fixture struct {
	client client.Client
	clock  *clocktesting.FakeClock
	m      *Manager
}

func newFixture(t *testing.T, funcs interceptor.Funcs, objs ...client.Object) *fixture {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := interceptor.NewClient(fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build(), funcs)
	clk := clocktesting.NewFakeClock(start)
	return &fixture{client: c, clock: clk, m: &Manager{
		Client: c, Secret: secretKey, WebhookConfiguration: vwcName,
		DNSNames: ServiceDNSNames("wva-webhook-service", ns), Clock: clk, Log: logr.Discard(),
	}}
}

func (f *fixture) secret(t *testing.T) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	if err := f.client.Get(context.Background(), secretKey, s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) caBundle(t *testing.T) []byte {
	t.Helper()
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := f.client.Get(context.Background(), types.NamespacedName{Name: vwcName}, vwc); err != nil {
		t.Fatal(err)
	}
	return vwc.Webhooks[0].ClientConfig.CABundle
}

// verify checks that the served certificate is trusted by caBundle for the
// Service's name at now.
func verify(t *testing.T, m *Manager, caBundle []byte, now time.Time) {
	t.Helper()
	served, err := m.GetCertificate(nil)
	if err != nil {
		t.Fatalf("GetCertificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(served.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caBundle) {
		t.Fatalf("caBundle holds no certificate: %q", caBundle)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "wva-webhook-service.wva-system.svc", Roots: pool, CurrentTime: now}); err != nil {
		t.Errorf("served certificate does not verify against the caBundle: %v", err)
	}
}

func TestEnsureIssuesIntoEmptySecret(t *testing.T) {
	f := newFixture(t, interceptor.Funcs{}, emptySecret(), webhookConfiguration())
	if _, err := f.m.GetCertificate(nil); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("GetCertificate before Ensure: %v, want ErrNoCertificate", err)
	}
	if err := f.m.Ensure(context.Background()); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	s := f.secret(t)
	for _, k := range []string{CACertKey, CAKeyKey, CertKey, KeyKey} {
		if len(s.Data[k]) == 0 {
			t.Errorf("Secret has no %s", k)
		}
	}
	if _, ok := s.Data[PreviousCACert]; ok {
		t.Errorf("a first issue keeps a previous CA")
	}
	if !bytes.Equal(f.caBundle(t), s.Data[CACertKey]) {
		t.Errorf("caBundle is not the Secret's CA")
	}
	verify(t, f.m, f.caBundle(t), start)
	leaf, _ := x509.ParseCertificate(mustServed(t, f.m).Certificate[0])
	if got, want := leaf.NotAfter.Sub(start), DefaultValidity; got != want {
		t.Errorf("certificate valid for %s, want %s", got, want)
	}
}

func mustServed(t *testing.T, m *Manager) *tls.Certificate {
	t.Helper()
	c, err := m.GetCertificate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEnsureKeepsValidCertificate(t *testing.T) {
	updates := 0
	f := newFixture(t, interceptor.Funcs{Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
		updates++
		return c.Update(ctx, obj, opts...)
	}}, emptySecret(), webhookConfiguration())
	if err := f.m.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := f.secret(t)
	// Another replica (a fresh Manager) loads the same certificate.
	other := Manager{
		Client: f.m.Client, Secret: f.m.Secret, WebhookConfiguration: f.m.WebhookConfiguration,
		DNSNames: f.m.DNSNames, Clock: f.m.Clock, Log: f.m.Log,
	}
	f.clock.Step(DefaultValidity - DefaultRenewBefore - time.Hour)
	for _, m := range []*Manager{f.m, &other} {
		if err := m.Ensure(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if updates != 1 {
		t.Errorf("%d Secret updates, want 1 (the first issue only)", updates)
	}
	if after := f.secret(t); !bytes.Equal(before.Data[CertKey], after.Data[CertKey]) {
		t.Error("a valid certificate was replaced")
	}
	if !bytes.Equal(mustServed(t, f.m).Certificate[0], mustServed(t, &other).Certificate[0]) {
		t.Error("two replicas serve different certificates")
	}
}

func TestEnsureRotatesNearExpiry(t *testing.T) {
	f := newFixture(t, interceptor.Funcs{}, emptySecret(), webhookConfiguration())
	if err := f.m.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := f.secret(t)
	f.clock.Step(DefaultValidity - DefaultRenewBefore + time.Hour)
	now := f.clock.Now()
	if err := f.m.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	second := f.secret(t)
	if bytes.Equal(first.Data[CACertKey], second.Data[CACertKey]) || bytes.Equal(first.Data[CertKey], second.Data[CertKey]) {
		t.Fatal("certificates not renewed within the renewal window")
	}
	if !bytes.Equal(second.Data[PreviousCACert], first.Data[CACertKey]) {
		t.Error("the replaced CA is not kept as the previous CA")
	}
	bundle := f.caBundle(t)
	verify(t, f.m, bundle, now)
	// A replica still serving the first certificate stays trusted.
	old, err := tls.X509KeyPair(first.Data[CertKey], first.Data[KeyKey])
	if err != nil {
		t.Fatal(err)
	}
	stale := &Manager{}
	stale.current.Store(&old)
	verify(t, stale, bundle, now)

	// Once the previous CA has expired, the bundle drops it.
	f.clock.Step(DefaultRenewBefore)
	if err := f.m.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := bytes.Count(f.caBundle(t), []byte("BEGIN CERTIFICATE")); got != 1 {
		t.Errorf("caBundle holds %d certificates after the previous CA expired, want 1", got)
	}
}

func TestEnsureReplacesUnusableSecret(t *testing.T) {
	cases := map[string]map[string][]byte{
		"garbage":       {CACertKey: []byte("x"), CertKey: []byte("y")},
		"half written":  {CACertKey: pemBlock("CERTIFICATE", []byte{1})},
		"wrong service": nil, // filled below
	}
	other, err := issue(start, DefaultValidity, ServiceDNSNames("elsewhere", ns))
	if err != nil {
		t.Fatal(err)
	}
	cases["wrong service"] = map[string][]byte{CACertKey: other.caPEM, CAKeyKey: other.caKeyPEM, CertKey: other.certPEM, KeyKey: other.keyPEM}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			s := emptySecret()
			s.Data = data
			f := newFixture(t, interceptor.Funcs{}, s, webhookConfiguration())
			if err := f.m.Ensure(context.Background()); err != nil {
				t.Fatal(err)
			}
			verify(t, f.m, f.caBundle(t), start)
		})
	}
}

func TestEnsureCABundleAlreadySetIsNotWritten(t *testing.T) {
	patches := 0
	f := newFixture(t, interceptor.Funcs{Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
		patches++
		return c.Patch(ctx, obj, p, opts...)
	}}, emptySecret(), webhookConfiguration())
	for range 3 {
		if err := f.m.Ensure(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if patches != 1 {
		t.Errorf("%d patches of the ValidatingWebhookConfiguration, want 1", patches)
	}
}

func TestEnsureErrors(t *testing.T) {
	conflict := interceptor.Funcs{Update: func(context.Context, client.WithWatch, client.Object, ...client.UpdateOption) error {
		return apierrors.NewConflict(corev1.Resource("secrets"), secretKey.Name, errors.New("changed"))
	}}
	cases := map[string]struct {
		funcs   interceptor.Funcs
		objs    []client.Object
		wantIs  func(error) bool
		serving bool
	}{
		"no Secret":    {objs: []client.Object{webhookConfiguration()}, wantIs: apierrors.IsNotFound},
		"no webhook":   {objs: []client.Object{emptySecret()}, wantIs: apierrors.IsNotFound, serving: true},
		"Secret raced": {funcs: conflict, objs: []client.Object{emptySecret(), webhookConfiguration()}, wantIs: apierrors.IsConflict},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, tc.funcs, tc.objs...)
			err := f.m.Ensure(context.Background())
			if err == nil || !tc.wantIs(err) {
				t.Fatalf("Ensure error = %v", err)
			}
			if _, err := f.m.GetCertificate(nil); (err == nil) != tc.serving {
				t.Errorf("serving after the error = %v, want %v", err == nil, tc.serving)
			}
		})
	}
}

// TestStartRetriesAndStops drives Start with the fake clock: a failed check
// is retried after RetryInterval, and Start returns when ctx is done.
func TestStartRetriesAndStops(t *testing.T) {
	f := newFixture(t, interceptor.Funcs{}, webhookConfiguration())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.m.Start(ctx) }()
	waitFor(t, func() bool { return f.clock.HasWaiters() })
	if err := f.client.Create(ctx, emptySecret()); err != nil {
		t.Fatal(err)
	}
	f.clock.Step(DefaultRetryInterval)
	waitFor(t, func() bool { _, err := f.m.GetCertificate(nil); return err == nil })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Start: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Start did not return after cancel")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestIssueCertificates(t *testing.T) {
	b, err := issue(start, time.Hour, ServiceDNSNames("svc", ns))
	if err != nil {
		t.Fatal(err)
	}
	if !b.ca.IsCA || b.cert.IsCA {
		t.Errorf("IsCA: ca %v, serving %v", b.ca.IsCA, b.cert.IsCA)
	}
	if err := b.usable(start, 0, ServiceDNSNames("svc", ns)); err != nil {
		t.Errorf("fresh bundle unusable: %v", err)
	}
	if err := b.usable(start, 2*time.Hour, nil); err == nil {
		t.Error("bundle expiring within the renewal window is usable")
	}
	block, _ := pem.Decode(b.keyPEM)
	if block == nil || block.Type != "EC PRIVATE KEY" {
		t.Errorf("serving key PEM type = %v", block)
	}
}
