//go:build kindsmoke

package smoke

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/wva-project/wva/hack/kind-offline/imagewriter"
)

const (
	probeImage     = "localhost/wva-apiprobe:smoke"
	probePod       = "apiprobe"
	probeContainer = "probe"
)

func TestKindSmoke(t *testing.T) {
	s := loadSettings(t)
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
	defer cancel()
	kind := kindCLI{bin: s.kind}
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")

	// A cluster left by an interrupted run would make create fail.
	if exists, err := kind.clusterExists(ctx, s.cluster); err != nil {
		t.Fatal(err)
	} else if exists {
		t.Logf("deleting cluster %s left by an earlier run", s.cluster)
		if _, err := kind.run(ctx, "delete", "cluster", "--name", s.cluster); err != nil {
			t.Fatal(err)
		}
	}

	start := time.Now()
	t.Cleanup(func() {
		// The test's context may be done; deletion gets its own deadline.
		cleanupCtx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		deleteStart := time.Now()
		if _, err := kind.run(cleanupCtx, "delete", "cluster", "--name", s.cluster, "--kubeconfig", kubeconfig); err != nil {
			t.Errorf("deleting cluster %s: %v", s.cluster, err)
			return
		}
		t.Logf("cluster %s deleted in %.1fs", s.cluster, time.Since(deleteStart).Seconds())
	})
	if _, err := kind.run(ctx, "create", "cluster", "--name", s.cluster, "--image", s.nodeImage,
		"--config", s.config, "--kubeconfig", kubeconfig, "--wait", "0s"); err != nil {
		t.Fatal(err)
	}
	t.Logf("kind create cluster %s (%s, %s): %.1fs", s.cluster, s.provider, s.nodeImage, time.Since(start).Seconds())

	cs := clientFor(t, kubeconfig)
	t.Cleanup(func() {
		if t.Failed() {
			dumpState(t, cs, s)
		}
	})
	server, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("server version: %v", err)
	}
	if s.expectVersion != "" && server.GitVersion != s.expectVersion {
		t.Errorf("server version: want %s, got %s", s.expectVersion, server.GitVersion)
	}

	waitFor(ctx, t, "node Ready", 3*time.Minute, nodesReady(cs))
	waitFor(ctx, t, "CoreDNS Running and Ready", 3*time.Minute, podsRunning(cs, "k8s-app=kube-dns", true))
	waitFor(ctx, t, "kube-proxy Running", 2*time.Minute, podsRunning(cs, "k8s-app=kube-proxy", false))
	t.Logf("cluster usable %.1fs after create started", time.Since(start).Seconds())

	tar := buildProbeImage(ctx, t, s, dir)
	loadStart := time.Now()
	if _, err := kind.run(ctx, "load", "image-archive", tar, "--name", s.cluster); err != nil {
		t.Fatal(err)
	}
	t.Logf("kind load image-archive %s: %.1fs", probeImage, time.Since(loadStart).Seconds())

	runProbe(ctx, t, cs, server.GitVersion)
	exportLogs(ctx, t, kind, s.cluster, filepath.Join(dir, "logs"))
	t.Logf("node container memory: %s", engineOutput(ctx, s.provider, "stats", "--no-stream",
		"--format", "{{.MemUsage}}", s.cluster+"-control-plane"))
	t.Logf("smoke test total (create to logs exported): %.1fs", time.Since(start).Seconds())
}

// exportLogs runs `kind export logs`, which the e2e suite runs when a test
// fails, and checks that it succeeds and writes the node's kubelet and
// containerd journals, crictl's image list and the per-container logs of the
// API server and of the probe.
func exportLogs(ctx context.Context, t *testing.T, kind kindCLI, cluster, dir string) {
	t.Helper()
	start := time.Now()
	if _, err := kind.run(ctx, "export", "logs", dir, "--name", cluster); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	node := cluster + "-control-plane"
	for _, p := range exportProblems(dir, nodeExport{node: node, containers: []containerLog{
		{namespace: metav1.NamespaceSystem, pod: "kube-apiserver-" + node, container: "kube-apiserver"},
		{namespace: metav1.NamespaceDefault, pod: probePod, container: probeContainer, contains: "server version: "},
	}}) {
		t.Errorf("kind export logs, %s: %s", node, p)
	}
	files, size := 0, int64(0)
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files, size = files+1, size+info.Size()
		return nil
	})
	if err != nil {
		t.Errorf("walking %s: %v", dir, err)
	}
	t.Logf("kind export logs: %.1fs, %d files, %.1f MB", took.Seconds(), files, float64(size)/1e6)
}

// buildProbeImage compiles cmd/apiprobe statically and writes it FROM
// scratch, non-root, with imagewriter.
func buildProbeImage(ctx context.Context, t *testing.T, s settings, dir string) string {
	t.Helper()
	start := time.Now()
	bin := filepath.Join(dir, "apiprobe")
	cmd := exec.CommandContext(ctx, s.goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/apiprobe")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/apiprobe: %v\n%s", err, out)
	}
	tar := filepath.Join(dir, "apiprobe.tar")
	spec := imagewriter.Spec{
		Tag:        probeImage,
		Entries:    append(imagewriter.Accounts(), imagewriter.File(bin, "/apiprobe", 0o555)),
		Entrypoint: []string{"/apiprobe"},
		User:       imagewriter.NonRootUser,
	}
	if err := imagewriter.Write(spec, tar); err != nil {
		t.Fatalf("writing the probe image: %v", err)
	}
	t.Logf("probe image built and written in %.1fs", time.Since(start).Seconds())
	return tar
}

// runProbe runs the probe as a pod and checks that it reached the API server
// through the `kubernetes` Service and printed the server's version.
func runProbe(ctx context.Context, t *testing.T, cs *kubernetes.Clientset, serverVersion string) {
	t.Helper()
	svc, err := cs.CoreV1().Services(metav1.NamespaceDefault).Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("kubernetes Service: %v", err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: probePod, Namespace: metav1.NamespaceDefault},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name:            probeContainer,
				Image:           probeImage,
				ImagePullPolicy: corev1.PullNever,
				Args:            []string{"-timeout=90s"},
				SecurityContext: &corev1.SecurityContext{
					RunAsNonRoot:             ptr.To(true),
					AllowPrivilegeEscalation: ptr.To(false),
					ReadOnlyRootFilesystem:   ptr.To(true),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
	start := time.Now()
	if _, err := cs.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating pod %s: %v", probePod, err)
	}
	waitFor(ctx, t, "probe pod Succeeded", 2*time.Minute, func(ctx context.Context) (bool, string, error) {
		p, err := cs.CoreV1().Pods(pod.Namespace).Get(ctx, probePod, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		if p.Status.Phase == corev1.PodFailed {
			t.Fatalf("probe pod failed: %s\nlogs:\n%s", podSummary(p), podLogs(ctx, cs, p.Namespace, p.Name))
		}
		return p.Status.Phase == corev1.PodSucceeded, podSummary(p), nil
	})
	logs := podLogs(ctx, cs, pod.Namespace, probePod)
	t.Logf("probe pod ran in %.1fs; log: %s", time.Since(start).Seconds(), strings.TrimSpace(logs))
	for _, want := range []string{
		fmt.Sprintf("host=https://%s:443", svc.Spec.ClusterIP),
		"server version: " + serverVersion,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("probe log lacks %q:\n%s", want, logs)
		}
	}
}
