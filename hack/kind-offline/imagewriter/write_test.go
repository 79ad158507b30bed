package imagewriter

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// node is what the tests compare about one filesystem entry of an image.
type node struct {
	Type     byte
	Mode     int64
	UID, GID int
	Content  string
	Link     string
}

// archive is what the tests compare about a written docker-archive.
type archive struct {
	RepoTags []string
	Layers   int
	Config   v1.Config
	OS, Arch string
	Files    map[string]node
}

// readArchive loads path back with go-containerregistry, as kind and ctr would.
func readArchive(t *testing.T, path, tag string) archive {
	t.Helper()
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) })
	if err != nil {
		t.Fatalf("LoadManifest(%s): %v", path, err)
	}
	if len(m) != 1 {
		t.Fatalf("archive %s holds %d images, want 1", path, len(m))
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatalf("NewTag(%q): %v", tag, err)
	}
	img, err := tarball.ImageFromPath(path, &ref)
	if err != nil {
		t.Fatalf("ImageFromPath(%s, %s): %v", path, tag, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("ConfigFile: %v", err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatalf("Layers: %v", err)
	}
	if got, want := len(cf.RootFS.DiffIDs), len(layers); got != want {
		t.Errorf("config lists %d diff IDs for %d layers", got, want)
	}
	return archive{
		RepoTags: m[0].RepoTags,
		Layers:   len(layers),
		Config:   cf.Config,
		OS:       cf.OS,
		Arch:     cf.Architecture,
		Files:    flatten(t, img),
	}
}

// flatten reads the image's merged filesystem.
func flatten(t *testing.T, img v1.Image) map[string]node {
	t.Helper()
	rc := mutate.Extract(img)
	defer func() { _ = rc.Close() }()
	files := map[string]node{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatalf("reading flattened image: %v", err)
		}
		n := node{Type: hdr.Typeflag, Mode: hdr.Mode, UID: hdr.Uid, GID: hdr.Gid, Link: hdr.Linkname}
		if hdr.Typeflag == tar.TypeReg {
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, tr); err != nil {
				t.Fatalf("reading %s: %v", hdr.Name, err)
			}
			n.Content = buf.String()
		}
		files["/"+filepath.Clean(hdr.Name)] = n
	}
}

// layerTar writes a plain tar layer with the given regular files.
func layerTar(t *testing.T, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for p, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: p, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "base.tar")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t *testing.T, content string, mode fs.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "binary")
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWriteRoundTrip(t *testing.T) {
	binary := writeFile(t, "#!ELF controller", 0o755)
	base := layerTar(t, map[string]string{"usr/sbin/nft": "nft", "etc/debian_version": "12.0"})
	const defaultPath = "PATH=" + DefaultPath

	cases := map[string]struct {
		spec      Spec
		wantTags  []string
		wantLayer int
		wantCfg   v1.Config
		wantFiles map[string]node // a subset of the image's files
	}{
		"controller from scratch, non-root": {
			spec: Spec{
				Tag:        "ghcr.io/wva-project/wva-controller:dev",
				Entries:    append(Accounts(), File(binary, "/wva-controller", 0o555)),
				Entrypoint: []string{"/wva-controller"},
				User:       NonRootUser,
			},
			wantTags:  []string{"ghcr.io/wva-project/wva-controller:dev"},
			wantLayer: 1,
			wantCfg:   v1.Config{Entrypoint: []string{"/wva-controller"}, User: "65532:65532", Env: []string{defaultPath}},
			wantFiles: map[string]node{
				"/wva-controller": {Type: tar.TypeReg, Mode: 0o555, Content: "#!ELF controller"},
				"/etc/passwd": {Type: tar.TypeReg, Mode: 0o644, Content: "root:x:0:0:root:/root:/sbin/nologin\n" +
					"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"},
				"/home/nonroot": {Type: tar.TypeDir, Mode: 0o700, UID: NonRoot, GID: NonRoot},
				"/tmp":          {Type: tar.TypeDir, Mode: 0o1777},
			},
		},
		"component on a base layer, parents and symlink added": {
			spec: Spec{
				Tag:        "registry.k8s.io/kube-proxy:v1.37.2",
				BaseLayers: []string{base},
				Entries: []Entry{
					File(binary, "/usr/local/bin/kube-proxy", 0),
					Symlink("/kube-proxy", "/usr/local/bin/kube-proxy"),
				},
				Entrypoint: []string{"/usr/local/bin/kube-proxy"},
				Env:        []string{"FOO=bar"},
			},
			wantTags:  []string{"registry.k8s.io/kube-proxy:v1.37.2"},
			wantLayer: 2,
			wantCfg:   v1.Config{Entrypoint: []string{"/usr/local/bin/kube-proxy"}, Env: []string{defaultPath, "FOO=bar"}},
			wantFiles: map[string]node{
				"/usr/sbin/nft":             {Type: tar.TypeReg, Mode: 0o644, Content: "nft"},
				"/usr":                      {Type: tar.TypeDir, Mode: 0o755},
				"/usr/local/bin":            {Type: tar.TypeDir, Mode: 0o755},
				"/usr/local/bin/kube-proxy": {Type: tar.TypeReg, Mode: 0o755, Content: "#!ELF controller"},
				"/kube-proxy":               {Type: tar.TypeSymlink, Mode: 0o777, Link: "/usr/local/bin/kube-proxy"},
			},
		},
		"explicit PATH kept, inline content, docker hub style tag": {
			spec: Spec{
				Tag:     "docker.io/library/probe:1.0",
				Entries: []Entry{FileContent("/etc/motd", []byte("hi"), 0)},
				Cmd:     []string{"/probe", "-v"},
				Env:     []string{"PATH=/bin"},
				Labels:  map[string]string{"org.opencontainers.image.source": "wva"},
			},
			wantTags:  []string{"docker.io/library/probe:1.0"},
			wantLayer: 1,
			wantCfg: v1.Config{Cmd: []string{"/probe", "-v"}, Env: []string{"PATH=/bin"},
				Labels: map[string]string{"org.opencontainers.image.source": "wva"}},
			wantFiles: map[string]node{"/etc/motd": {Type: tar.TypeReg, Mode: 0o644, Content: "hi"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "image.tar")
			if err := Write(tc.spec, out); err != nil {
				t.Fatalf("Write: %v", err)
			}
			got := readArchive(t, out, tc.spec.Tag)
			if diff := cmp.Diff(tc.wantTags, got.RepoTags); diff != "" {
				t.Errorf("RepoTags: -want +got:\n%s", diff)
			}
			if got.Layers != tc.wantLayer {
				t.Errorf("layers: want %d, got %d", tc.wantLayer, got.Layers)
			}
			if diff := cmp.Diff(tc.wantCfg, got.Config); diff != "" {
				t.Errorf("config: -want +got:\n%s", diff)
			}
			if got.OS != "linux" || got.Arch != runtime.GOARCH {
				t.Errorf("platform: want linux/%s, got %s/%s", runtime.GOARCH, got.OS, got.Arch)
			}
			subset := map[string]node{}
			for p := range tc.wantFiles {
				if n, ok := got.Files[p]; ok {
					subset[p] = n
				}
			}
			if diff := cmp.Diff(tc.wantFiles, subset); diff != "" {
				t.Errorf("files: -want +got:\n%s", diff)
			}
		})
	}
}

func TestWriteReproducible(t *testing.T) {
	binary := writeFile(t, "same bytes", 0o755)
	spec := Spec{
		Tag:        "registry.k8s.io/pause:3.10",
		Entries:    append(Accounts(), File(binary, "/usr/local/bin/pause", 0o755), Symlink("/pause", "/usr/local/bin/pause")),
		Entrypoint: []string{"/pause"},
	}
	digest := func() v1.Hash {
		out := filepath.Join(t.TempDir(), "pause.tar")
		if err := Write(spec, out); err != nil {
			t.Fatalf("Write: %v", err)
		}
		img, err := tarball.ImageFromPath(out, nil)
		if err != nil {
			t.Fatalf("ImageFromPath: %v", err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatalf("Digest: %v", err)
		}
		return d
	}
	if first, second := digest(), digest(); first != second {
		t.Errorf("two writes of one spec differ: %s != %s", first, second)
	}
}

func TestWriteLeavesNoFileOnError(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "broken.tar")
	spec := Spec{Tag: "example.com/broken:v1", Entries: []Entry{File(filepath.Join(dir, "missing"), "/bin/x", 0o755)}}
	err := Write(spec, out)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Write with a missing source: want an fs.ErrNotExist error, got %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("failed Write left files behind: %v", entries)
	}
}
