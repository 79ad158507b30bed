package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Keys of the Secret.
const (
	CACertKey       = "ca.crt"
	CAKeyKey        = "ca.key"
	CertKey         = "tls.crt"
	KeyKey          = "tls.key"
	PreviousCACert  = "ca-previous.crt"
	commonNameCA    = "wva-webhook-ca"
	backdate        = time.Hour // tolerates clocks a little behind ours
	serialNumberLen = 128
)

// bundle is the content of the Secret, parsed.
type bundle struct {
	caPEM, caKeyPEM, certPEM, keyPEM []byte
	ca, cert                         *x509.Certificate
	pair                             tls.Certificate
}

// issue creates a CA and a serving certificate for dnsNames, both valid
// from now for validity.
func issue(now time.Time, validity time.Duration, dnsNames []string) (*bundle, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the CA key: %w", err)
	}
	caTmpl, err := template(now, validity)
	if err != nil {
		return nil, err
	}
	caTmpl.Subject = pkix.Name{CommonName: commonNameCA}
	caTmpl.IsCA, caTmpl.BasicConstraintsValid = true, true
	caTmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("signing the CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parsing the new CA certificate: %w", err)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the serving key: %w", err)
	}
	tmpl, err := template(now, validity)
	if err != nil {
		return nil, err
	}
	tmpl.Subject = pkix.Name{CommonName: dnsNames[0]}
	tmpl.DNSNames = dnsNames
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("signing the serving certificate: %w", err)
	}
	caKeyDER, err := x509.MarshalECPrivateKey(caKey)
	if err != nil {
		return nil, fmt.Errorf("encoding the CA key: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding the serving key: %w", err)
	}
	return parse(map[string][]byte{
		CACertKey: pemBlock("CERTIFICATE", caDER),
		CAKeyKey:  pemBlock("EC PRIVATE KEY", caKeyDER),
		CertKey:   pemBlock("CERTIFICATE", der),
		KeyKey:    pemBlock("EC PRIVATE KEY", keyDER),
	})
}

func template(now time.Time, validity time.Duration) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), serialNumberLen))
	if err != nil {
		return nil, fmt.Errorf("generating a serial number: %w", err)
	}
	return &x509.Certificate{SerialNumber: serial, NotBefore: now.Add(-backdate), NotAfter: now.Add(validity)}, nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// errEmpty is a Secret without a certificate yet (as the manifests create it).
var errEmpty = errors.New("no certificate in the Secret")

// parse reads a Secret's data into a bundle; it fails if a key is missing
// or does not parse, or if the key pair does not match.
func parse(data map[string][]byte) (*bundle, error) {
	b := &bundle{caPEM: data[CACertKey], caKeyPEM: data[CAKeyKey], certPEM: data[CertKey], keyPEM: data[KeyKey]}
	if len(b.caPEM) == 0 && len(b.certPEM) == 0 {
		return nil, errEmpty
	}
	var err error
	if b.ca, err = parseCert(b.caPEM); err != nil {
		return nil, fmt.Errorf("%s: %w", CACertKey, err)
	}
	if b.pair, err = tls.X509KeyPair(b.certPEM, b.keyPEM); err != nil {
		return nil, fmt.Errorf("%s and %s: %w", CertKey, KeyKey, err)
	}
	if b.cert, err = x509.ParseCertificate(b.pair.Certificate[0]); err != nil {
		return nil, fmt.Errorf("%s: %w", CertKey, err)
	}
	if _, err := tls.X509KeyPair(b.caPEM, b.caKeyPEM); err != nil {
		return nil, fmt.Errorf("%s and %s: %w", CACertKey, CAKeyKey, err)
	}
	return b, nil
}

func parseCert(p []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(p)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

// usable reports why b must be replaced at now, or nil: it must be signed
// by its CA for every name in dnsNames, and neither certificate may expire
// within renewBefore.
func (b *bundle) usable(now time.Time, renewBefore time.Duration, dnsNames []string) error {
	pool := x509.NewCertPool()
	pool.AddCert(b.ca)
	for _, name := range dnsNames {
		if _, err := b.cert.Verify(x509.VerifyOptions{
			DNSName: name, Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}); err != nil {
			return fmt.Errorf("serving certificate does not verify for %s: %w", name, err)
		}
	}
	for _, c := range []*x509.Certificate{b.ca, b.cert} {
		if c.NotAfter.Sub(now) < renewBefore {
			return fmt.Errorf("certificate %q expires at %s, within the renewal window of %s",
				c.Subject.CommonName, c.NotAfter.UTC().Format(time.RFC3339), renewBefore)
		}
	}
	return nil
}
