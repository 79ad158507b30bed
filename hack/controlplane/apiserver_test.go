package controlplane

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestEnvtestAssetsServe starts etcd and kube-apiserver from the envtest
// assets directory (KUBEBUILDER_ASSETS), on 127.0.0.1 and free ports, as
// controller-runtime's envtest would, then checks /readyz, /version,
// discovery and a ConfigMap round trip through etcd, with the API and kubectl.
func TestEnvtestAssetsServe(t *testing.T) {
	b := loadBinaries(t)
	k8s := b.versions[KubernetesVersion]
	etcdPath := b.path(t, "envtest", k8s, "etcd")
	apiserverPath := b.path(t, "envtest", k8s, "kube-apiserver")
	kubectlPath := b.path(t, "envtest", k8s, "kubectl")

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()

	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	etcd := startProcess(t, "etcd", etcdPath,
		"--name=test", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=test="+peerURL, "--unsafe-no-fsync=true", "--log-level=warn")
	plain := &http.Client{Timeout: 5 * time.Second}
	if err := pollUntil(ctx, etcd, 200*time.Millisecond, func(ctx context.Context) error {
		var health struct{ Health string }
		if err := getJSON(ctx, plain, etcdURL+"/health", "", &health); err != nil {
			return err
		}
		if health.Health != "true" {
			return fmt.Errorf("health %q", health.Health)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	const token = "controlplane-test-token"
	writeFile(t, filepath.Join(dir, "tokens.csv"), token+`,admin,admin,"system:masters"`+"\n")
	writeFile(t, filepath.Join(dir, "sa.key"), string(serviceAccountKey(t)))
	certDir := filepath.Join(dir, "certs")
	port := freePort(t)
	server := fmt.Sprintf("https://127.0.0.1:%d", port)
	apiserver := startProcess(t, "kube-apiserver", apiserverPath,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(port),
		// A loopback advertise address needs the endpoint reconciler off;
		// nothing may be advertised beyond 127.0.0.1 here.
		"--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none",
		"--cert-dir="+certDir,
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"), "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+filepath.Join(dir, "sa.key"),
		"--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range=10.0.0.0/24")

	// The self-signed serving certificate (and its CA) appear in cert-dir at start.
	caFile := filepath.Join(certDir, "apiserver.crt")
	var client *http.Client
	if err := pollUntil(ctx, apiserver, 200*time.Millisecond, func(ctx context.Context) error {
		if client == nil {
			c, err := tlsClient(caFile)
			if err != nil {
				return err
			}
			client = c
		}
		body, err := get(ctx, client, server+"/readyz", token)
		if err != nil {
			return err
		}
		if string(body) != "ok" {
			return fmt.Errorf("/readyz: %q", body)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	t.Run("version", func(t *testing.T) {
		var got versionInfo
		if err := getJSON(ctx, client, server+"/version", token, &got); err != nil {
			t.Fatal(err)
		}
		got.BuildDate = "" // from SOURCE_DATE_EPOCH or the release time
		want := versionInfo{GitVersion: k8s, Major: "1", Minor: strings.Split(k8s, ".")[1], GitTreeState: "clean"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("/version: -want +got:\n%s", diff)
		}
	})

	t.Run("discovery", func(t *testing.T) {
		var core struct{ Versions []string }
		if err := getJSON(ctx, client, server+"/api", token, &core); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"v1"}, core.Versions); diff != "" {
			t.Errorf("/api versions: -want +got:\n%s", diff)
		}
		var groups struct{ Groups []struct{ Name string } }
		if err := getJSON(ctx, client, server+"/apis", token, &groups); err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, g := range groups.Groups {
			names[g.Name] = true
		}
		for _, want := range []string{"apps", "coordination.k8s.io", "apiextensions.k8s.io"} {
			if !names[want] {
				t.Errorf("/apis: group %s missing", want)
			}
		}
	})

	t.Run("configmap round trip", func(t *testing.T) {
		want := map[string]string{"kvCacheThreshold": "0.80"}
		cm, err := json.Marshal(map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]string{"name": "roundtrip"}, "data": want,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := do(ctx, client, http.MethodPost, server+"/api/v1/namespaces/default/configmaps", token, cm); err != nil {
			t.Fatal(err)
		}
		var got struct{ Data map[string]string }
		if err := getJSON(ctx, client, server+"/api/v1/namespaces/default/configmaps/roundtrip", token, &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got.Data); diff != "" {
			t.Errorf("ConfigMap data via the API: -want +got:\n%s", diff)
		}
		cmd := exec.CommandContext(ctx, kubectlPath, "--server="+server, "--token="+token,
			"--certificate-authority="+caFile, "--namespace=default",
			"get", "configmap", "roundtrip", "-o", "jsonpath={.data.kvCacheThreshold}")
		cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(dir, "no-kubeconfig"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl get configmap: %v\n%s", err, out)
		}
		if diff := cmp.Diff("0.80", string(out)); diff != "" {
			t.Errorf("ConfigMap data via kubectl: -want +got:\n%s", diff)
		}
	})
}

// versionInfo is the part of k8s.io/apimachinery/pkg/version.Info checked here.
type versionInfo struct {
	GitVersion   string `json:"gitVersion"`
	Major        string `json:"major"`
	Minor        string `json:"minor"`
	GitTreeState string `json:"gitTreeState"`
	BuildDate    string `json:"buildDate"`
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
}

// serviceAccountKey returns a PEM ECDSA key, which kube-apiserver accepts both
// to sign service account tokens and to verify them.
func serviceAccountKey(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generating the service account key: %v", err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("encoding the service account key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

// tlsClient trusts only the certificates in caFile: kube-apiserver writes its
// self-signed serving certificate and the CA that signed it there.
func tlsClient(caFile string) (*http.Client, error) {
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading the serving certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("no certificate in %s yet", caFile)
	}
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}, nil
}

func get(ctx context.Context, c *http.Client, url, token string) ([]byte, error) {
	return do(ctx, c, http.MethodGet, url, token, nil)
}

func getJSON(ctx context.Context, c *http.Client, url, token string, into any) error {
	body, err := get(ctx, c, url, token)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("decoding %s: %w", url, err)
	}
	return nil
}

// do sends one request and returns the body of a 2xx answer, or an error
// naming the status and body.
func do(ctx context.Context, c *http.Client, method, url, token string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", method, url, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the body: %w", method, url, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, bytes.TrimSpace(out))
	}
	return out, nil
}
