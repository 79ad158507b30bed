package controlplane

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// binaries locates the build output the way hack/variables.mk lays it out:
// $BIN (default: bin/ at the repository root) and hack/versions.mk.
type binaries struct {
	dir      string
	versions map[string]string
}

func loadBinaries(t *testing.T) binaries {
	t.Helper()
	versions, err := LoadVersions(filepath.Join("..", "versions.mk"))
	if err != nil {
		t.Fatalf("LoadVersions: %v", err)
	}
	dir := os.Getenv("BIN")
	if dir == "" {
		dir = filepath.Join("..", "..", "bin")
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		t.Fatalf("resolving the bin directory: %v", err)
	}
	return binaries{dir: dir, versions: versions}
}

// path returns the file at bin/<elem>... and fails the test, saying how to
// build it, when it is not there.
func (b binaries) path(t *testing.T, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{b.dir}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("binary %s is missing (run `make k8s-binaries` first): %v", p, err)
	}
	return p
}

// TestBinaryVersions runs every binary's version command and checks that the
// first line reports the version pinned in hack/versions.mk, and that the
// binary is statically linked (it runs in FROM-scratch images and kind nodes).
func TestBinaryVersions(t *testing.T) {
	b := loadBinaries(t)
	k8s := b.versions[KubernetesVersion]
	q := regexp.QuoteMeta
	kube := "^Kubernetes " + q(k8s) + "$"
	cases := map[string]struct {
		component, versionName string
		args                   []string
		wantFirstLine          string // regular expression
	}{
		"kube-apiserver":          {"kubernetes", KubernetesVersion, []string{"--version"}, kube},
		"kube-controller-manager": {"kubernetes", KubernetesVersion, []string{"--version"}, kube},
		"kube-scheduler":          {"kubernetes", KubernetesVersion, []string{"--version"}, kube},
		"kube-proxy":              {"kubernetes", KubernetesVersion, []string{"--version"}, kube},
		"kubelet":                 {"kubernetes", KubernetesVersion, []string{"--version"}, kube},
		"kubeadm":                 {"kubernetes", KubernetesVersion, []string{"version", "-o", "short"}, "^" + q(k8s) + "$"},
		"kubectl":                 {"kubernetes", KubernetesVersion, []string{"version", "--client"}, "^Client Version: " + q(k8s) + "$"},
		"etcd": {"etcd", EtcdVersion, []string{"--version"},
			"^etcd Version: " + q(strings.TrimPrefix(b.versions[EtcdVersion], "v")) + "$"},
		"coredns": {"coredns", CoreDNSVersion, []string{"-version"},
			"^CoreDNS-" + q(strings.TrimPrefix(b.versions[CoreDNSVersion], "v")) + "$"},
		"kind": {"kind", KindVersion, []string{"version"}, "^kind " + q(b.versions[KindVersion]) + " go1\\.[0-9.]+ linux/"},
		// Upstream's release builds print the tag, "v" included.
		"crictl": {"cri-tools", CriToolsVersion, []string{"--version"},
			"^crictl version " + q(b.versions[CriToolsVersion]) + "$"},
		"pause": {"pause", PauseVersion, []string{"-v"},
			"^pause\\.c v" + q(b.versions[PauseVersion]) + "-kubernetes-" + q(k8s) + "$"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := b.path(t, tc.component, b.versions[tc.versionName], name)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, path, tc.args...).CombinedOutput()
			if err != nil {
				t.Fatalf("%s %s: %v\n%s", path, strings.Join(tc.args, " "), err, out)
			}
			first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
			if !regexp.MustCompile(tc.wantFirstLine).MatchString(first) {
				t.Errorf("%s %s: first line %q, want it to match %q", name, strings.Join(tc.args, " "), first, tc.wantFirstLine)
			}
			if interp, err := interpreter(path); err != nil {
				t.Errorf("reading %s as ELF: %v", path, err)
			} else if interp != "" {
				t.Errorf("%s is dynamically linked (interpreter %s), want a static binary", name, interp)
			}
		})
	}
}

// interpreter returns the ELF program interpreter of a binary: "" for a
// statically linked one.
func interpreter(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		buf := make([]byte, p.Filesz)
		if _, err := p.ReadAt(buf, 0); err != nil {
			return "", fmt.Errorf("reading PT_INTERP: %w", err)
		}
		return strings.TrimRight(string(buf), "\x00"), nil
	}
	return "", nil
}
