package components

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/wva-project/wva/hack/kind-offline/imagewriter"
)

// Versions pins every component; the fields mirror hack/versions.mk.
type Versions struct {
	// Kubernetes is the release of the kube-* binaries, e.g. v1.37.2.
	Kubernetes string
	// Etcd is the etcd release, e.g. v3.6.16; its image tag is EtcdTag(Etcd).
	Etcd string
	// CoreDNS is the CoreDNS release, e.g. v1.14.6.
	CoreDNS string
	// Pause is the pause image tag, e.g. 3.10; it must equal the tag of
	// containerd's sandbox_image.
	Pause string
}

var (
	semverV     = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+$`)
	pauseFormat = regexp.MustCompile(`^[0-9]+\.[0-9]+(\.[0-9]+)?$`)
)

// Validate reports every malformed version, naming the field and value.
func (v Versions) Validate() error {
	var errs []error
	check := func(field, value string, re *regexp.Regexp, want string) {
		if !re.MatchString(value) {
			errs = append(errs, fmt.Errorf("%s version %q: must look like %s", field, value, want))
		}
	}
	check("kubernetes", v.Kubernetes, semverV, "v1.37.2")
	check("etcd", v.Etcd, semverV, "v3.6.16")
	check("coredns", v.CoreDNS, semverV, "v1.14.6")
	check("pause", v.Pause, pauseFormat, "3.10")
	return errors.Join(errs...)
}

// EtcdTag is the image tag kubeadm uses for an etcd release: v3.6.16 => 3.6.16-0.
// kind's cluster config pins it with `etcd.local.imageTag`.
func EtcdTag(etcdVersion string) string {
	return strings.TrimPrefix(etcdVersion, "v") + "-0"
}

// Binaries locates the binaries hack/mk/controlplane.mk caches under Root
// (the repository's bin/ directory), one directory per component and version.
type Binaries struct {
	Root string
}

// Kubernetes returns the path of a kube-* binary of the given release.
func (b Binaries) Kubernetes(version, name string) string {
	return filepath.Join(b.Root, "kubernetes", version, name)
}

// Etcd returns the path of the etcd binary.
func (b Binaries) Etcd(version string) string { return filepath.Join(b.Root, "etcd", version, "etcd") }

// CoreDNS returns the path of the coredns binary.
func (b Binaries) CoreDNS(version string) string {
	return filepath.Join(b.Root, "coredns", version, "coredns")
}

// Pause returns the path of the pause binary.
func (b Binaries) Pause(version string) string {
	return filepath.Join(b.Root, "pause", version, "pause")
}

// Image is one component image and the file name it is written to.
type Image struct {
	// Name is the component, also the base name of its archive (Name + ".tar").
	Name string
	// Spec is what imagewriter builds.
	Spec imagewriter.Spec
}

// pauseUser is the uid:gid the upstream pause image runs as.
const pauseUser = "65535:65535"

// Images returns the specs of every component image. kubeProxyBase is a
// layer tarball of a minimal Debian with nft and conntrack, which kube-proxy
// runs in nftables mode; the other images have only their binary and the
// accounts of imagewriter.Accounts.
func Images(v Versions, bins Binaries, kubeProxyBase string) ([]Image, error) {
	if err := v.Validate(); err != nil {
		return nil, err
	}
	if kubeProxyBase == "" {
		return nil, errors.New("kube-proxy base layer: must be a path")
	}
	var images []Image
	for _, name := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"} {
		spec := binaryImage("registry.k8s.io/"+name+":"+v.Kubernetes, name, bins.Kubernetes(v.Kubernetes, name))
		if name == "kube-proxy" {
			spec.BaseLayers = []string{kubeProxyBase}
		}
		images = append(images, Image{Name: name, Spec: spec})
	}
	images = append(images, Image{
		Name: "etcd",
		Spec: binaryImage("registry.k8s.io/etcd:"+EtcdTag(v.Etcd), "etcd", bins.Etcd(v.Etcd)),
	})

	// CoreDNS and pause are started without a command (kubeadm's CoreDNS
	// Deployment sets only args), so their entrypoints matter; the upstream
	// images keep them at /coredns and /pause, which stay as symlinks.
	coredns := binaryImage("registry.k8s.io/coredns/coredns:"+v.CoreDNS, "coredns", bins.CoreDNS(v.CoreDNS))
	coredns.Entries = append(coredns.Entries, imagewriter.Symlink("/coredns", "/usr/local/bin/coredns"))
	images = append(images, Image{Name: "coredns", Spec: coredns})

	pause := binaryImage("registry.k8s.io/pause:"+v.Pause, "pause", bins.Pause(v.Pause))
	pause.Entries = append(pause.Entries, imagewriter.Symlink("/pause", "/usr/local/bin/pause"))
	pause.User = pauseUser
	images = append(images, Image{Name: "pause", Spec: pause})
	return images, nil
}

// binaryImage is an image holding one binary at /usr/local/bin/<name>, which is also its entrypoint.
func binaryImage(tag, name, binary string) imagewriter.Spec {
	dst := "/usr/local/bin/" + name
	return imagewriter.Spec{
		Tag:        tag,
		Entries:    append(imagewriter.Accounts(), imagewriter.File(binary, dst, 0o755)),
		Entrypoint: []string{dst},
		Env:        []string{"PATH=" + imagewriter.DefaultPath},
	}
}
