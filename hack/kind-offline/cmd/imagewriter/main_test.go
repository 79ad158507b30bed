package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/wva-project/wva/hack/kind-offline/imagewriter"
)

func TestParseFile(t *testing.T) {
	cases := map[string]struct {
		in      string
		want    imagewriter.Entry
		wantErr string
	}{
		"default mode":    {in: "bin/x=/x", want: imagewriter.File("bin/x", "/x", 0)},
		"octal mode":      {in: "bin/x=/usr/bin/x:0555", want: imagewriter.File("bin/x", "/usr/bin/x", 0o555)},
		"sticky dir mode": {in: "a=/b:1755", want: imagewriter.File("a", "/b", fs.ModeSticky|0o755)},
		"no destination":  {in: "bin/x", wantErr: `-file "bin/x": want SRC=DST[:MODE]`},
		"bad mode":        {in: "a=/b:rwx", wantErr: `mode "rwx"`},
		"mode too large":  {in: "a=/b:17777", wantErr: `mode "17777"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseFile(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseFile(%q): want error naming %q, got %v", tc.in, tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseFile(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseFile(%q): -want +got:\n%s", tc.in, diff)
			}
		})
	}
}

// TestRunImage drives the generic command line for a controller-like image
// and reads the archive back.
func TestRunImage(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "wva-controller")
	if err := os.WriteFile(bin, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "images", "wva-controller.tar")
	const tag = "ghcr.io/wva-project/wva-controller:dev"
	var log bytes.Buffer
	args := []string{"image", "-tag", tag, "-o", out, "-accounts", "-file", bin + "=/wva-controller:0555",
		"-entrypoint", "/wva-controller", "-user", "65532:65532"}
	if err := run(context.Background(), args, &log); err != nil {
		t.Fatalf("run(%q): %v", args, err)
	}
	if !strings.Contains(log.String(), "wrote "+tag) {
		t.Errorf("log does not report the image: %q", log.String())
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(out, &ref)
	if err != nil {
		t.Fatalf("ImageFromPath(%s, %s): %v", out, tag, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/wva-controller"}, cf.Config.Entrypoint); diff != "" {
		t.Errorf("entrypoint: -want +got:\n%s", diff)
	}
	if cf.Config.User != "65532:65532" {
		t.Errorf("user: want 65532:65532, got %q", cf.Config.User)
	}
}

// TestRunController drives the command line the way `make image` does.
func TestRunController(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "wva-controller")
	if err := os.WriteFile(bin, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "wva-controller-v1.tar")
	const tag = "ghcr.io/wva-project/wva-controller:v1"
	if err := run(context.Background(), []string{"controller", "-binary", bin, "-tag", tag, "-o", out}, &bytes.Buffer{}); err != nil {
		t.Fatalf("run controller: %v", err)
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(out, &ref)
	if err != nil {
		t.Fatalf("ImageFromPath(%s, %s): %v", out, tag, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	got := struct {
		Entrypoint []string
		User       string
	}{cf.Config.Entrypoint, cf.Config.User}
	want := struct {
		Entrypoint []string
		User       string
	}{[]string{"/wva-controller"}, "65532:65532"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("controller image config: -want +got:\n%s", diff)
	}
}

func TestRunRejectsBadInvocations(t *testing.T) {
	cases := map[string]struct {
		args    []string
		wantErr string
	}{
		"no command":           {args: nil, wantErr: "usage"},
		"unknown command":      {args: []string{"push"}, wantErr: `unknown command "push"`},
		"image without -o":     {args: []string{"image", "-tag", "a.io/b:c"}, wantErr: "-o"},
		"image bad symlink":    {args: []string{"image", "-tag", "a.io/b:c", "-o", "x", "-symlink", "/a"}, wantErr: `-symlink "/a"`},
		"image without tag":    {args: []string{"image", "-o", filepath.Join(t.TempDir(), "x.tar")}, wantErr: "tag: must be set"},
		"controller no binary": {args: []string{"controller", "-o", "x"}, wantErr: "-binary and -o"},
		"components no bin":    {args: []string{"components", "-out", "x"}, wantErr: "-bin and -out"},
		"components bad ver":   {args: []string{"components", "-bin", "b", "-out", "o", "-kube-proxy-base", "k"}, wantErr: `kubernetes version ""`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), tc.args, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("run(%q): want error naming %q, got %v", tc.args, tc.wantErr, err)
			}
		})
	}
}
