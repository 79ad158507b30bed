package components

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wva-project/wva/hack/kind-offline/imagewriter"
)

var versions = Versions{Kubernetes: "v1.37.2", Etcd: "v3.6.16", CoreDNS: "v1.14.6", Pause: "3.10"}

func TestImages(t *testing.T) {
	images, err := Images(versions, Binaries{Root: "/repo/bin"}, "/cache/kube-proxy-base.tar")
	if err != nil {
		t.Fatalf("Images: %v", err)
	}
	// summary is what kubeadm, kubelet and containerd depend on for each image.
	type summary struct {
		Tag        string
		Binary     string // host source of /usr/local/bin/<name>
		Links      map[string]string
		Entrypoint []string
		User       string
		BaseLayers []string
	}
	got := map[string]summary{}
	for _, img := range images {
		if err := img.Spec.Validate(); err != nil {
			t.Errorf("%s: invalid spec: %v", img.Name, err)
		}
		s := summary{Tag: img.Spec.Tag, Entrypoint: img.Spec.Entrypoint, User: img.Spec.User, BaseLayers: img.Spec.BaseLayers}
		for _, e := range img.Spec.Entries {
			switch {
			case e.Type == imagewriter.TypeFile && e.Path == "/usr/local/bin/"+img.Name:
				s.Binary = e.Source
				if e.Mode != 0o755 {
					t.Errorf("%s: binary mode %v, want 0755", img.Name, e.Mode)
				}
			case e.Type == imagewriter.TypeSymlink:
				if s.Links == nil {
					s.Links = map[string]string{}
				}
				s.Links[e.Path] = e.Target
			}
		}
		if diff := cmp.Diff([]string{"PATH=" + imagewriter.DefaultPath}, img.Spec.Env); diff != "" {
			t.Errorf("%s: env: -want +got:\n%s", img.Name, diff)
		}
		if !strings.Contains(imagewriter.DefaultPath, "/usr/sbin") {
			t.Errorf("DefaultPath %q lacks /usr/sbin (nft, conntrack)", imagewriter.DefaultPath)
		}
		got[img.Name] = s
	}
	kube := func(name string, base ...string) summary {
		return summary{
			Tag:        "registry.k8s.io/" + name + ":v1.37.2",
			Binary:     "/repo/bin/kubernetes/v1.37.2/" + name,
			Entrypoint: []string{"/usr/local/bin/" + name},
			BaseLayers: base,
		}
	}
	want := map[string]summary{
		"kube-apiserver":          kube("kube-apiserver"),
		"kube-controller-manager": kube("kube-controller-manager"),
		"kube-scheduler":          kube("kube-scheduler"),
		"kube-proxy":              kube("kube-proxy", "/cache/kube-proxy-base.tar"),
		"etcd": {
			Tag: "registry.k8s.io/etcd:3.6.16-0", Binary: "/repo/bin/etcd/v3.6.16/etcd",
			Entrypoint: []string{"/usr/local/bin/etcd"},
		},
		"coredns": {
			Tag: "registry.k8s.io/coredns/coredns:v1.14.6", Binary: "/repo/bin/coredns/v1.14.6/coredns",
			Links:      map[string]string{"/coredns": "/usr/local/bin/coredns"},
			Entrypoint: []string{"/usr/local/bin/coredns"},
		},
		"pause": {
			Tag: "registry.k8s.io/pause:3.10", Binary: "/repo/bin/pause/3.10/pause",
			Links:      map[string]string{"/pause": "/usr/local/bin/pause"},
			Entrypoint: []string{"/usr/local/bin/pause"}, User: "65535:65535",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Images: -want +got:\n%s", diff)
	}
}

func TestImagesRejectsBadInput(t *testing.T) {
	cases := map[string]struct {
		versions Versions
		base     string
		wantErrs []string
	}{
		"every version malformed": {
			versions: Versions{Kubernetes: "1.37.2", Etcd: "3.6.16-0", CoreDNS: "latest", Pause: "v3.10"},
			base:     "/base.tar",
			wantErrs: []string{`kubernetes version "1.37.2"`, `etcd version "3.6.16-0"`, `coredns version "latest"`, `pause version "v3.10"`},
		},
		"missing kube-proxy base": {
			versions: versions,
			wantErrs: []string{"kube-proxy base layer"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Images(tc.versions, Binaries{Root: "/bin"}, tc.base)
			if err == nil {
				t.Fatalf("Images: want errors naming %q, got none", tc.wantErrs)
			}
			for _, want := range tc.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not name %q:\n%v", want, err)
				}
			}
		})
	}
}

func TestEtcdTag(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"with v":    {in: "v3.6.16", want: "3.6.16-0"},
		"without v": {in: "3.5.21", want: "3.5.21-0"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := EtcdTag(tc.in); got != tc.want {
				t.Errorf("EtcdTag(%q): want %q, got %q", tc.in, tc.want, got)
			}
		})
	}
}
