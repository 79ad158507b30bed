package smoke

import (
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// exportTree is a directory as `kind export logs` writes it for one node
// named "n-control-plane", as seen on a working cluster: relative path ->
// content.
func exportTree() map[string]string {
	return map[string]string{
		"kind-version.txt":            "kind v0.33.0",
		"n-control-plane/kubelet.log": "Nov 26 19:50:01 n-control-plane kubelet[301]: I1126 started\n",
		"n-control-plane/containerd.log": "Nov 26 19:50:00 n-control-plane containerd[120]: " +
			"time=\"...\" level=info msg=\"serving...\"\n",
		"n-control-plane/images.log": "IMAGE                            TAG      IMAGE ID       SIZE\n" +
			"registry.k8s.io/kube-apiserver   v1.37.2  0123456789ab   30MB\n",
		"n-control-plane/pods/kube-system_kube-apiserver-n-control-plane_u1/kube-apiserver/0.log":     "2026-11-26T19:50:02Z stderr F I1126 serving\n",
		"n-control-plane/containers/kube-apiserver-n-control-plane_kube-system_kube-apiserver-c1.log": "2026-11-26T19:50:02Z stderr F I1126 serving\n",
		"n-control-plane/pods/default_apiprobe_u2/probe/0.log":                                        "2026-11-26T19:51:00Z stdout F server version: v1.37.2\n",
		"n-control-plane/containers/apiprobe_default_probe-c2.log":                                    "2026-11-26T19:51:00Z stdout F server version: v1.37.2\n",
	}
}

func TestExportProblems(t *testing.T) {
	want := nodeExport{
		node: "n-control-plane",
		containers: []containerLog{
			{namespace: "kube-system", pod: "kube-apiserver-n-control-plane", container: "kube-apiserver"},
			{namespace: "default", pod: "apiprobe", container: "probe", contains: "server version: "},
		},
	}
	cases := map[string]struct {
		edit func(tree map[string]string)
		want []string
	}{
		"complete": {
			edit: func(map[string]string) {},
		},
		"crictl missing on the node": {
			// What podman wrote before the node image had crictl.
			edit: func(tree map[string]string) {
				tree["n-control-plane/images.log"] = "Error: runc: exec failed: unable to start container process: " +
					"exec: \"crictl\": executable file not found in $PATH: " +
					"OCI runtime attempted to invoke a command that was not found\n"
			},
			want: []string{`images.log: no "registry.k8s.io/kube-apiserver" in 174 bytes ` +
				`starting "Error: runc: exec failed: unable to start container process: exec: \"crictl\": exe"`},
		},
		"kubelet journal without entries": {
			edit: func(tree map[string]string) { tree["n-control-plane/kubelet.log"] = "-- No entries --\n" },
			want: []string{`kubelet.log: no "kubelet[" in 17 bytes starting "-- No entries --\n"`},
		},
		"containerd journal missing, kubelet journal empty": {
			edit: func(tree map[string]string) {
				delete(tree, "n-control-plane/containerd.log")
				tree["n-control-plane/kubelet.log"] = ""
			},
			want: []string{"kubelet.log: empty", "containerd.log: missing"},
		},
		"no per-container links": {
			edit: func(tree map[string]string) {
				delete(tree, "n-control-plane/containers/apiprobe_default_probe-c2.log")
				delete(tree, "n-control-plane/containers/kube-apiserver-n-control-plane_kube-system_kube-apiserver-c1.log")
			},
			want: []string{
				"container kube-apiserver of kube-system/kube-apiserver-n-control-plane: " +
					"no file matches containers/kube-apiserver-n-control-plane_kube-system_kube-apiserver-*.log",
				"container probe of default/apiprobe: no file matches containers/apiprobe_default_probe-*.log",
			},
		},
		"probe log without its output": {
			edit: func(tree map[string]string) {
				tree["n-control-plane/pods/default_apiprobe_u2/probe/0.log"] = "2026-11-26T19:51:00Z stderr F dial tcp: timeout\n"
			},
			want: []string{`container probe of default/apiprobe: pods/default_apiprobe_u2/probe/0.log: ` +
				`no "server version: " in 48 bytes starting "2026-11-26T19:51:00Z stderr F dial tcp: timeout\n"`},
		},
		"a later log file of the container has the text": {
			edit: func(tree map[string]string) {
				tree["n-control-plane/pods/default_apiprobe_u2/probe/0.log"] = "2026-11-26T19:51:00Z stderr F dial tcp: timeout\n"
				tree["n-control-plane/pods/default_apiprobe_u2/probe/1.log"] = "2026-11-26T19:51:09Z stdout F server version: v1.37.2\n"
			},
		},
		"empty control plane log": {
			edit: func(tree map[string]string) {
				tree["n-control-plane/pods/kube-system_kube-apiserver-n-control-plane_u1/kube-apiserver/0.log"] = ""
			},
			want: []string{"container kube-apiserver of kube-system/kube-apiserver-n-control-plane: " +
				"pods/kube-system_kube-apiserver-n-control-plane_u1/kube-apiserver/0.log: empty"},
		},
		"another node's export": {
			edit: func(tree map[string]string) {
				moved := map[string]string{}
				for path, content := range tree {
					moved[filepath.Join("other", path)] = content
				}
				clear(tree)
				maps.Copy(tree, moved)
			},
			want: []string{
				"kubelet.log: missing",
				"containerd.log: missing",
				"images.log: missing",
				"container kube-apiserver of kube-system/kube-apiserver-n-control-plane: " +
					"no file matches pods/kube-system_kube-apiserver-n-control-plane_*/kube-apiserver/*.log",
				"container kube-apiserver of kube-system/kube-apiserver-n-control-plane: " +
					"no file matches containers/kube-apiserver-n-control-plane_kube-system_kube-apiserver-*.log",
				"container probe of default/apiprobe: no file matches pods/default_apiprobe_*/probe/*.log",
				"container probe of default/apiprobe: no file matches containers/apiprobe_default_probe-*.log",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			tree := exportTree()
			tc.edit(tree)
			writeTree(t, dir, tree)
			if diff := cmp.Diff(tc.want, exportProblems(dir, want)); diff != "" {
				t.Errorf("exportProblems: -want +got:\n%s", diff)
			}
		})
	}
}

func writeTree(t *testing.T, root string, tree map[string]string) {
	t.Helper()
	for rel, content := range tree {
		path := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
