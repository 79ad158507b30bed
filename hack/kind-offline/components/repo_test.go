package components

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	kinddefaults "sigs.k8s.io/kind/pkg/apis/config/defaults"
	kindv1alpha4 "sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"
)

// The tests below keep files outside this module in step with it: the
// Dockerfile, the kind configs and hack/versions.mk.

// repoRoot is the repository root, three levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func repoVersions(t *testing.T) map[string]string {
	t.Helper()
	vars, err := ReadVersionsFile(filepath.Join(repoRoot(t), "hack", "versions.mk"))
	if err != nil {
		t.Fatalf("ReadVersionsFile: %v", err)
	}
	return vars
}

func readKindConfig(t *testing.T, name string) kindv1alpha4.Cluster {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "kind", name))
	if err != nil {
		t.Fatal(err)
	}
	var c kindv1alpha4.Cluster
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		t.Fatalf("kind/%s: %v", name, err)
	}
	return c
}

// finalStage returns the instructions of the Dockerfile's last stage, keyed by keyword.
func finalStage(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stage := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		keyword, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch keyword {
		case "FROM":
			stage = map[string][]string{"FROM": {rest}}
		case "COPY", "USER", "ENTRYPOINT", "CMD":
			stage[keyword] = append(stage[keyword], rest)
		}
	}
	return stage
}

func TestDockerfileMatchesControllerImage(t *testing.T) {
	spec := Controller("/bin/wva-controller", ControllerRepository+":dev")
	stage := finalStage(t)

	var entrypoint []string
	if got := stage["ENTRYPOINT"]; len(got) != 1 || json.Unmarshal([]byte(got[0]), &entrypoint) != nil {
		t.Fatalf("final stage ENTRYPOINT: want one JSON (exec form) entrypoint, got %q", got)
	}
	if diff := cmp.Diff(spec.Entrypoint, entrypoint); diff != "" {
		t.Errorf("ENTRYPOINT: -imagewriter +Dockerfile:\n%s", diff)
	}
	if diff := cmp.Diff([]string{spec.User}, stage["USER"]); diff != "" {
		t.Errorf("USER: -imagewriter +Dockerfile:\n%s", diff)
	}
	if got := stage["COPY"]; len(got) != 1 || !strings.HasSuffix(got[0], " "+ControllerEntrypoint) {
		t.Errorf("final stage COPY: want the binary copied to %s, got %q", ControllerEntrypoint, got)
	}
	if len(stage["CMD"]) != 0 {
		t.Errorf("final stage CMD %q: the written image has none", stage["CMD"])
	}
}

func TestOfflineClusterConfig(t *testing.T) {
	c := readKindConfig(t, "cluster-offline.yaml")
	v, err := VersionsFrom(repoVersions(t))
	if err != nil {
		t.Fatalf("hack/versions.mk: %v", err)
	}
	if !c.Networking.DisableDefaultCNI {
		t.Errorf("networking.disableDefaultCNI: want true (no kindnetd offline)")
	}
	if c.Networking.KubeProxyMode != kindv1alpha4.NFTablesProxyMode {
		t.Errorf("networking.kubeProxyMode: want %q, got %q", kindv1alpha4.NFTablesProxyMode, c.Networking.KubeProxyMode)
	}

	type patches struct {
		Kind string `json:"kind"`
		Etcd struct {
			Local struct {
				ImageTag string `json:"imageTag"`
			} `json:"local"`
		} `json:"etcd"`
		FailCgroupV1 *bool `json:"failCgroupV1"`
	}
	got := map[string]patches{}
	for i, raw := range c.KubeadmConfigPatches {
		var p patches
		if err := yaml.Unmarshal([]byte(raw), &p); err != nil {
			t.Fatalf("kubeadmConfigPatches[%d]: %v", i, err)
		}
		got[p.Kind] = p
	}
	if tag, want := got["ClusterConfiguration"].Etcd.Local.ImageTag, EtcdTag(v.Etcd); tag != want {
		t.Errorf("etcd.local.imageTag: want %q (ETCD_VERSION %s), got %q", want, v.Etcd, tag)
	}
	if f := got["KubeletConfiguration"].FailCgroupV1; f == nil || *f {
		t.Errorf("KubeletConfiguration failCgroupV1: want false, got %v", f)
	}
	if len(c.ContainerdConfigPatches) != 1 || !strings.Contains(c.ContainerdConfigPatches[0], "restrict_oom_score_adj = true") {
		t.Errorf("containerdConfigPatches: want restrict_oom_score_adj = true, got %q", c.ContainerdConfigPatches)
	}
	if len(c.Nodes) > 1 {
		t.Errorf("nodes: the offline image has no multi-node CNI, got %d nodes", len(c.Nodes))
	}
}

func TestPublishedClusterConfigPinsKindDefaultImage(t *testing.T) {
	kindVersion := repoVersions(t)["KIND_VERSION"]
	gomod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*sigs\.k8s\.io/kind (\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("hack/kind-offline/go.mod does not require sigs.k8s.io/kind")
	}
	linked := string(m[1])
	if linked != kindVersion {
		t.Fatalf("hack/kind-offline/go.mod requires sigs.k8s.io/kind %q but hack/versions.mk pins KIND_VERSION %q: update go.mod", linked, kindVersion)
	}
	c := readKindConfig(t, "cluster.yaml")
	if len(c.Nodes) != 1 {
		t.Fatalf("kind/cluster.yaml: want one node, got %d", len(c.Nodes))
	}
	if got := c.Nodes[0].Image; got != kinddefaults.Image {
		t.Errorf("kind/cluster.yaml image: want kind %s's default %q, got %q", kindVersion, kinddefaults.Image, got)
	}
}

func TestReadVersionsFile(t *testing.T) {
	cases := map[string]struct {
		content string
		want    map[string]string
		wantErr string
	}{
		"pins, comments and other lines": {
			content: "# comment\nKUBERNETES_VERSION ?= v1.37.2\nETCD_VERSION?=v3.6.16 \nexport X := y\n",
			want:    map[string]string{"KUBERNETES_VERSION": "v1.37.2", "ETCD_VERSION": "v3.6.16"},
		},
		"set twice": {
			content: "A ?= 1\nA ?= 2\n",
			wantErr: `:2: A set twice ("1", then "2")`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "versions.mk")
			if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadVersionsFile(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ReadVersionsFile: want error naming %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadVersionsFile: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ReadVersionsFile: -want +got:\n%s", diff)
			}
		})
	}
}
