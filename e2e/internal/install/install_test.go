package install

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wva-project/wva/e2e/internal/manifests"
)

// The happy path needs a cluster (the e2e suite runs it); these are the
// checks Controller makes before it talks to one.
func TestControllerRejectsBadInputBeforeApplying(t *testing.T) {
	root, err := manifests.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	noConfigMap := t.TempDir()
	write(t, noConfigMap, "kustomization.yaml", "resources: [ns.yaml]\n")
	write(t, noConfigMap, "ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n")

	cases := map[string]struct {
		opts    Options
		wantErr string
	}{
		"no repository root": {
			opts:    Options{},
			wantErr: "RepoRoot must be set",
		},
		"missing overlay": {
			opts:    Options{RepoRoot: root, Overlay: "deploy/kustomize/overlays/nope"},
			wantErr: "overlays/nope",
		},
		"no ConfigMap to leave out": {
			opts:    Options{RepoRoot: noConfigMap, Overlay: ".", WithoutConfigMap: true},
			wantErr: "has no ConfigMap workload-variant-autoscaler-system/capacity-scaling-config",
		},
		"no controller": {
			opts:    Options{RepoRoot: noConfigMap, Overlay: "."},
			wantErr: "has no Deployment workload-variant-autoscaler-system/wva-controller",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// A nil Applier and client: reaching them would panic.
			_, err := Controller(t.Context(), nil, nil, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error: got %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
