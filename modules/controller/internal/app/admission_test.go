package app

import (
	"crypto/tls"
	"errors"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/wva-project/wva/modules/controller/internal/admission/certs"
	"github.com/wva-project/wva/modules/controller/internal/options"
)

func TestWebhookServer(t *testing.T) {
	o := options.Defaults(func(string) string { return "" })
	cm := &certs.Manager{}
	for _, mode := range []options.ConfigAdmission{options.ConfigAdmissionWarn, options.ConfigAdmissionEnforce} {
		o.ConfigAdmission = mode
		s, ok := webhookServer(o, cm).(*webhook.DefaultServer)
		if !ok {
			t.Fatalf("--config-admission=%s: no default webhook server", mode)
		}
		if s.Options.Port != 9443 {
			t.Errorf("--config-admission=%s: port %d, want 9443", mode, s.Options.Port)
		}
		cfg := &tls.Config{}
		for _, opt := range s.Options.TLSOpts {
			opt(cfg)
		}
		if cfg.GetCertificate == nil {
			t.Fatalf("--config-admission=%s: the server would read certificates from disk", mode)
		}
		if _, err := cfg.GetCertificate(nil); !errors.Is(err, certs.ErrNoCertificate) {
			t.Errorf("GetCertificate = %v, want the certificate manager's (ErrNoCertificate before its first check)", err)
		}
		if len(cfg.NextProtos) != 1 || cfg.NextProtos[0] != "http/1.1" {
			t.Errorf("NextProtos = %v, want http/1.1 only", cfg.NextProtos)
		}
	}
	o.ConfigAdmission = options.ConfigAdmissionOff
	if s := webhookServer(o, cm); s != nil {
		t.Errorf("--config-admission=off: webhook server %T, want none", s)
	}
}
