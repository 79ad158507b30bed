//go:build integration

package metricsource_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/metricsource"
)

// bcrypt hashes (cost 4) of the basic-auth passwords, as Prometheus's web
// config wants them (golang.org/x/crypto/bcrypt.GenerateFromPassword).
const (
	password1, password1Hash = "pw-1", "$2a$04$R9Q3cf/V9DgTDYZT.AMxneXUVdoxjTHH36Cz4iy8DAZps1H7V8/cq"
	password2, password2Hash = "pw-2", "$2a$04$mdGgzvcRmcW4M4LVHRrvgOajjS2FnFyMi1r5eV5bglh7RvDRFgoYm"
)

// granitePodA is what the fixture's llm/pod-a exports for model.
var granitePodA = capacity.ReplicaMetrics{Pod: "pod-a", KvCacheUsage: 0.25, HasKvCacheUsage: true, QueueLength: 3, HasQueueLength: true}

// pki is a CA and a serving certificate it signed for 127.0.0.1, as PEM
// files.
type pki struct{ caFile, certFile, keyFile string }

func newPKI(t *testing.T, dir string) pki {
	t.Helper()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "wva-test-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "prometheus"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := pki{filepath.Join(dir, "ca.crt"), filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")}
	writePEM(t, p.caFile, "CERTIFICATE", caDER)
	writePEM(t, p.certFile, "CERTIFICATE", leafDER)
	writePEM(t, p.keyFile, "EC PRIVATE KEY", keyDER)
	return p
}

func writePEM(t *testing.T, path, blockType string, der []byte) {
	t.Helper()
	writeSecret(t, path, string(pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})))
}

func writeSecret(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeWebConfig writes a Prometheus web config serving TLS with p's
// certificate and accepting user with the password of hash.
func writeWebConfig(t *testing.T, path string, p pki, user, hash string) {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"tls_server_config": map[string]string{"cert_file": p.certFile, "key_file": p.keyFile},
		"basic_auth_users":  map[string]string{user: hash},
	})
	if err != nil {
		t.Fatal(err)
	}
	writeSecret(t, path, string(b))
}

// newSource is a source reaching url through the transport o describes.
func newSource(t *testing.T, url string, o metricsource.HTTPOptions) *metricsource.Prometheus {
	t.Helper()
	rt, err := o.RoundTripper(logr.Discard())
	if err != nil {
		t.Fatalf("RoundTripper: %v", err)
	}
	source, err := metricsource.NewPrometheus(url, 10*time.Second, rt)
	if err != nil {
		t.Fatalf("NewPrometheus(%q): %v", url, err)
	}
	return source
}

// podA reads the metrics of model's llm/pod-a through source.
func podA(t *testing.T, source *metricsource.Prometheus) (capacity.ReplicaMetrics, error) {
	t.Helper()
	byPod, err := source.ModelMetrics(t.Context(), "llm", model)
	if err != nil {
		return capacity.ReplicaMetrics{}, err
	}
	return byPod["pod-a"], nil
}

// wantQueryError checks that err is the failure of the model's queries,
// naming each PromQL, and holds want.
func wantQueryError(t *testing.T, source *metricsource.Prometheus, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	for _, q := range source.Queries("llm", model) {
		if !strings.Contains(err.Error(), fmt.Sprintf("prometheus query %q: ", q)) {
			t.Errorf("error %q does not name the query %q", err, q)
		}
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

// TestPrometheusTLSAndBasicAuth runs the source against the real Prometheus
// serving its API over TLS with basic auth (--web.config.file).
func TestPrometheusTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t, dir)
	webFile, passwordFile := filepath.Join(dir, "web.yml"), filepath.Join(dir, "password")
	writeWebConfig(t, webFile, p, "wva", password1Hash)
	writeSecret(t, passwordFile, password1+"\n")
	good := metricsource.HTTPOptions{CAFile: p.caFile, BasicAuthUsername: "wva", BasicAuthPasswordFile: passwordFile}
	rt, err := good.RoundTripper(logr.Discard())
	if err != nil {
		t.Fatalf("RoundTripper: %v", err)
	}
	promURL := startPrometheusWith(t, scrapedPods(), webConfig{
		file: webFile, https: true, client: &http.Client{Transport: rt, Timeout: 5 * time.Second},
	})
	source := newSource(t, promURL, good)
	got, err := podA(t, source)
	if err != nil {
		t.Fatalf("with the CA and the password: %v", err)
	}
	if diff := cmp.Diff(granitePodA, got); diff != "" {
		t.Errorf("pod-a: -want +got:\n%s", diff)
	}

	wrongFile := filepath.Join(dir, "wrong")
	writeSecret(t, wrongFile, "nope")
	for name, tc := range map[string]struct {
		o    metricsource.HTTPOptions
		want string
	}{
		"system roots":   {o: metricsource.HTTPOptions{BasicAuthUsername: "wva", BasicAuthPasswordFile: passwordFile}, want: "x509: certificate signed by unknown authority"},
		"no credentials": {o: metricsource.HTTPOptions{CAFile: p.caFile}, want: "client error: 401"},
		"wrong password": {o: metricsource.HTTPOptions{CAFile: p.caFile, BasicAuthUsername: "wva", BasicAuthPasswordFile: wrongFile}, want: "client error: 401: Unauthorized"},
	} {
		t.Run(name, func(t *testing.T) {
			s := newSource(t, promURL, tc.o)
			_, err := podA(t, s)
			wantQueryError(t, s, err, tc.want)
		})
	}

	t.Run("insecure-skip-verify", func(t *testing.T) {
		s := newSource(t, promURL, metricsource.HTTPOptions{InsecureSkipVerify: true, BasicAuthUsername: "wva", BasicAuthPasswordFile: passwordFile})
		if _, err := podA(t, s); err != nil {
			t.Errorf("with --%s: %v", metricsource.FlagInsecureSkipVerify, err)
		}
	})

	// The password changes on both sides; the source re-reads its file.
	writeWebConfig(t, webFile, p, "wva", password2Hash)
	_, err = podA(t, source)
	wantQueryError(t, source, err, "client error: 401")
	writeSecret(t, passwordFile, password2)
	if _, err := podA(t, source); err != nil {
		t.Errorf("after the password file changed: %v", err)
	}
}

// tokenProxy is a reverse proxy in front of Prometheus that, like
// kube-rbac-proxy in front of OpenShift's Thanos querier or a Cortex
// gateway, forwards a request only with the bearer token it accepts now and
// a tenant header.
type tokenProxy struct {
	mu     sync.Mutex
	token  string
	tenant string
	next   http.Handler
	denied int
}

func (p *tokenProxy) accept(token string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.token = token
}

func (p *tokenProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	ok := r.Header.Get("Authorization") == "Bearer "+p.token && r.Header.Get("X-Scope-OrgID") == p.tenant
	if !ok {
		p.denied++
	}
	p.mu.Unlock()
	if !ok {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	p.next.ServeHTTP(w, r)
}

// projectedToken lays out a token as kubelet projects a service-account
// token into a pod: dir/token -> ..data/token, ..data -> a timestamped
// directory, swapped atomically by renaming a new symlink over ..data.
type projectedToken struct {
	dir string
	gen int
}

func (p *projectedToken) path() string { return filepath.Join(p.dir, "token") }

func (p *projectedToken) write(t *testing.T, token string) {
	t.Helper()
	p.gen++
	version := fmt.Sprintf("..2026_12_02_%02d", p.gen)
	if err := os.Mkdir(filepath.Join(p.dir, version), 0o700); err != nil {
		t.Fatal(err)
	}
	writeSecret(t, filepath.Join(p.dir, version, "token"), token)
	tmp := filepath.Join(p.dir, "..data_tmp")
	if err := os.Symlink(version, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(p.dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if p.gen == 1 {
		if err := os.Symlink(filepath.Join("..data", "token"), p.path()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPrometheusThroughTokenProxy runs the source through a TLS reverse
// proxy that checks a bearer token and a tenant header, with the token
// rotated mid-run.
func TestPrometheusThroughTokenProxy(t *testing.T) {
	promURL := startPrometheus(t, scrapedPods())
	target, err := url.Parse(promURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &tokenProxy{token: "token-1", tenant: "team-a", next: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewTLSServer(proxy)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "service-ca.crt")
	writePEM(t, caFile, "CERTIFICATE", srv.Certificate().Raw)
	token := &projectedToken{dir: dir}
	token.write(t, "token-1")

	// The proxy serves the API under a path prefix, as a route can.
	base := srv.URL + "/"
	source := newSource(t, base, metricsource.HTTPOptions{
		CAFile: caFile, BearerTokenFile: token.path(), Headers: metricsource.Headers{{Name: "X-Scope-OrgID", Value: "team-a"}},
	})
	got, err := podA(t, source)
	if err != nil {
		t.Fatalf("with token-1: %v", err)
	}
	if diff := cmp.Diff(granitePodA, got); diff != "" {
		t.Errorf("pod-a: -want +got:\n%s", diff)
	}

	t.Run("no tenant header", func(t *testing.T) {
		s := newSource(t, base, metricsource.HTTPOptions{CAFile: caFile, BearerTokenFile: token.path()})
		_, err := podA(t, s)
		wantQueryError(t, s, err, "client error: 401: Unauthorized")
		var apiErr *promv1.Error
		if !errors.As(err, &apiErr) || apiErr.Type != promv1.ErrClient {
			t.Errorf("error %v: want a *promv1.Error of type %s", err, promv1.ErrClient)
		}
	})

	// Rotation: the proxy accepts token-2 only; until the projected file
	// holds it, queries fail; then the next query carries it, with no new
	// source (no restart).
	proxy.accept("token-2")
	_, err = podA(t, source)
	wantQueryError(t, source, err, "client error: 401")
	token.write(t, "token-2")
	for i := range 3 {
		if _, err := podA(t, source); err != nil {
			t.Fatalf("query %d after the rotation: %v", i, err)
		}
	}
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	if proxy.denied == 0 {
		t.Error("the proxy denied nothing: the test did not exercise the token check")
	}
}
