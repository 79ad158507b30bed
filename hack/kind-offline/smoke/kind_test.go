//go:build kindsmoke

package smoke

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// settings is what make passes in the environment.
type settings struct {
	kind, nodeImage, config, provider, cluster, expectVersion, goBin string
}

func loadSettings(t *testing.T) settings {
	t.Helper()
	s := settings{
		kind:          os.Getenv("KIND"),
		nodeImage:     os.Getenv("KIND_NODE_IMAGE"),
		config:        os.Getenv("KIND_CONFIG"),
		provider:      os.Getenv("KIND_PROVIDER"),
		cluster:       os.Getenv("SMOKE_CLUSTER"),
		expectVersion: os.Getenv("SMOKE_EXPECT_VERSION"),
		goBin:         os.Getenv("GO"),
	}
	for name, v := range map[string]string{"KIND": s.kind, "KIND_NODE_IMAGE": s.nodeImage, "KIND_CONFIG": s.config, "KIND_PROVIDER": s.provider} {
		if v == "" {
			t.Fatalf("%s is not set: run this test through `make test-kind-smoke`", name)
		}
	}
	if s.cluster == "" {
		s.cluster = "wva-smoke"
	}
	if s.goBin == "" {
		s.goBin = "go"
	}
	return s
}

// kindCLI runs the kind binary; the provider comes from the environment
// (KIND_EXPERIMENTAL_PROVIDER, CONTAINERS_CONF), as make exports it.
type kindCLI struct {
	bin string
}

func (k kindCLI) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, k.bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kind %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

func (k kindCLI) clusterExists(ctx context.Context, name string) (bool, error) {
	out, err := k.run(ctx, "get", "clusters")
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == name {
			return true, nil
		}
	}
	return false, nil
}

// clientFor builds a clientset from kind's kubeconfig after checking that
// it points at the loopback address, the only one this test may talk to.
func clientFor(t *testing.T, kubeconfig string) *kubernetes.Clientset {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("kubeconfig %s: %v", kubeconfig, err)
	}
	u, err := url.Parse(cfg.Host)
	if err != nil {
		t.Fatalf("kubeconfig server %q: %v", cfg.Host, err)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		t.Fatalf("kubeconfig server %q: want the API server on a loopback address", cfg.Host)
	}
	cfg.Timeout = 15 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("clientset: %v", err)
	}
	return cs
}

// waitFor polls check every second until it reports done or timeout passes,
// then fails the test with the state it saw last. It returns how long it took.
func waitFor(ctx context.Context, t *testing.T, what string, timeout time.Duration,
	check func(context.Context) (done bool, state string, err error),
) time.Duration {
	t.Helper()
	start := time.Now()
	last := "nothing yet"
	err := wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		done, state, err := check(ctx)
		if err != nil {
			last = "error: " + err.Error()
			return false, nil
		}
		last = state
		return done, nil
	})
	if err != nil {
		t.Fatalf("%s: not within %s: %v; last seen: %s", what, timeout, err, last)
	}
	took := time.Since(start)
	t.Logf("%s after %.1fs (%s)", what, took.Seconds(), last)
	return took
}

// engineOutput runs the container engine (podman or docker) for reports.
func engineOutput(ctx context.Context, provider string, args ...string) string {
	out, err := exec.CommandContext(ctx, provider, args...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s %s: %v: %s", provider, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
