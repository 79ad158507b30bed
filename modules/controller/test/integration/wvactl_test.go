//go:build integration

package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/controller/internal/wvactl"
)

// writeKubeconfig writes a kubeconfig for the suite's API server, as a user
// of kubectl-wva would have one, and returns its path.
func writeKubeconfig(t *testing.T) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["envtest"] = &clientcmdapi.Cluster{Server: restConfig.Host, CertificateAuthorityData: restConfig.CAData}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: restConfig.CertData,
		ClientKeyData: restConfig.KeyData, Token: restConfig.BearerToken}
	cfg.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin"}
	cfg.CurrentContext = "envtest"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// runPlugin runs kubectl-wva's entry point with args and returns its
// standard output, standard error and exit status.
func runPlugin(args ...string) (string, string, int) {
	var stdout, stderr bytes.Buffer
	status := wvactl.Run(args, wvactl.Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr})
	return stdout.String(), stderr.String(), status
}

// hasRow reports whether out has a line whose blank-separated fields are
// want.
func hasRow(out string, want ...string) bool {
	for line := range strings.SplitSeq(out, "\n") {
		if slices.Equal(strings.Fields(line), want) {
			return true
		}
	}
	return false
}

// TestPluginExplainAndWhatIf runs kubectl-wva against the API server: the
// ConfigMap and a VariantAutoscaling whose status the controller would
// have written, read through a kubeconfig like any user's.
func TestPluginExplainAndWhatIf(t *testing.T) {
	ctx := context.Background()
	configNS, vaNS := namespace(t, "wvactl-config"), namespace(t, "wvactl")
	cm := capacityConfigMap(configNS, map[string]string{
		"default": "kvCacheThreshold: 0.80\nqueueLengthThreshold: 5\nkvSpareTrigger: 0.10\nqueueSpareTrigger: 3\n",
		"granite": fmt.Sprintf("model_id: ibm/granite-13b\nnamespace: %s\nkvCacheThreshold: 0.70\n", vaNS),
	})
	create(t, cm)

	// Two replicas at KV cache usage 0.55 on average: 0.15 spare of 0.70,
	// but only 0.05 of the candidate's 0.60.
	va := variantAutoscaling(vaNS, "granite-l4", "ibm/granite-13b")
	create(t, va)
	va.Status = v1alpha1.VariantAutoscalingStatus{
		CurrentReplicas: ptr.To[int32](2), DesiredReplicas: ptr.To[int32](2),
		AppliedConfig: v1alpha1.AppliedCapacityConfig{KvCacheThreshold: "0.70", QueueLengthThreshold: 5, KvSpareTrigger: "0.10",
			QueueSpareTrigger: 3, Source: "override/granite", ConfigMapResourceVersion: cm.ResourceVersion},
		LastAnalysis: v1alpha1.CapacityAnalysis{Replicas: 2, AvgSpareKvCapacity: "0.15", AvgSpareQueueCapacity: "4.00",
			Decision: "NoChange", Reason: "enough spare capacity", Time: metav1.Now()},
	}
	if err := k8s.Status().Update(ctx, va); err != nil {
		t.Fatalf("writing the VariantAutoscaling's status: %v", err)
	}

	kubeconfig := writeKubeconfig(t)
	candidate := filepath.Join(t.TempDir(), "candidate.yaml")
	manifest := fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: capacity-scaling-config
  namespace: %s
data:
  default: |
    kvCacheThreshold: 0.80
    queueLengthThreshold: 5
    kvSpareTrigger: 0.10
    queueSpareTrigger: 3
  granite: |
    model_id: ibm/granite-13b
    namespace: %s
    kvCacheThreshold: 0.60
`, configNS, vaNS)
	if err := os.WriteFile(candidate, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("explain", func(t *testing.T) {
		out, errOut, status := runPlugin("explain", "-n", vaNS, "granite-l4", "--config-namespace", configNS, "--kubeconfig", kubeconfig)
		if status != wvactl.ExitOK {
			t.Fatalf("exit status %d, want %d; stdout:\n%s\nstderr:\n%s", status, wvactl.ExitOK, out, errOut)
		}
		for _, row := range [][]string{
			{"kvCacheThreshold", "0.70", "override/granite"},
			{"queueLengthThreshold", "5", "default"},
			{"kvSpareTrigger", "0.10", "default"},
			{"queueSpareTrigger", "3", "default"},
		} {
			if !hasRow(out, row...) {
				t.Errorf("no row %q in the output:\n%s", strings.Join(row, " "), out)
			}
		}
		for _, want := range []string{
			fmt.Sprintf("ConfigMap %s/capacity-scaling-config (resourceVersion %s)", configNS, cm.ResourceVersion),
			"The status matches what the live ConfigMap gives now.",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("what-if", func(t *testing.T) {
		out, errOut, status := runPlugin("what-if", "-f", candidate, "-n", vaNS, "--config-namespace", configNS, "--kubeconfig", kubeconfig)
		if status != wvactl.ExitWouldChange {
			t.Fatalf("exit status %d, want %d; stdout:\n%s\nstderr:\n%s", status, wvactl.ExitWouldChange, out, errOut)
		}
		if want := []string{vaNS + "/granite-l4", "2", "2", "3", "kvCacheThreshold", "0.70->0.60"}; !hasRow(out, want...) {
			t.Errorf("no row %q in the output:\n%s", strings.Join(want, " "), out)
		}
	})

	t.Run("what-if without change", func(t *testing.T) {
		// The live ConfigMap as the candidate: nothing changes.
		live := filepath.Join(t.TempDir(), "live.yaml")
		same := strings.Replace(manifest, "kvCacheThreshold: 0.60", "kvCacheThreshold: 0.70", 1)
		if err := os.WriteFile(live, []byte(same), 0o600); err != nil {
			t.Fatal(err)
		}
		out, errOut, status := runPlugin("what-if", "-f", live, "-n", vaNS, "--config-namespace", configNS, "--kubeconfig", kubeconfig)
		if status != wvactl.ExitOK {
			t.Fatalf("exit status %d, want %d; stdout:\n%s\nstderr:\n%s", status, wvactl.ExitOK, out, errOut)
		}
		if want := []string{vaNS + "/granite-l4", "2", "2", "2", "none"}; !hasRow(out, want...) {
			t.Errorf("no row %q in the output:\n%s", strings.Join(want, " "), out)
		}
	})

	t.Run("cluster error", func(t *testing.T) {
		out, errOut, status := runPlugin("explain", "-n", vaNS, "missing", "--config-namespace", configNS, "--kubeconfig", kubeconfig)
		if status != wvactl.ExitInvalid || !strings.Contains(errOut, "not found") {
			t.Errorf("exit status %d, want %d with a NotFound error; stdout:\n%s\nstderr:\n%s", status, wvactl.ExitInvalid, out, errOut)
		}
	})
}
