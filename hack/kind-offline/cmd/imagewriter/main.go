// Command imagewriter writes container images as docker-archive tarballs
// without Docker or a registry.
//
//	imagewriter image -tag REF -o OUT.tar [-file SRC=DST[:MODE]]... [-symlink LINK=TARGET]...
//	    [-layer TAR]... [-accounts] [-entrypoint ARG]... [-cmd ARG]... [-env K=V]... [-user U] [-workdir DIR]
//	imagewriter controller -binary BIN -o OUT.tar [-tag REF]
//	imagewriter components -bin BIN -out DIR -kube-proxy-base TAR
//	    -kubernetes-version V -etcd-version V -coredns-version V -pause-version V
//
// `image` writes any one image; `controller` writes the controller's (the
// static binary FROM scratch, non-root, as the Dockerfile builds it);
// `components` writes one archive per Kubernetes component image that a kind
// node preloads, named <component>.tar.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wva-project/wva/hack/kind-offline/components"
	"github.com/wva-project/wva/hack/kind-offline/imagewriter"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "imagewriter: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, log io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: imagewriter image|controller|components [flags] (-h for help)")
	}
	switch args[0] {
	case "image":
		return runImage(args[1:], log)
	case "controller":
		return runController(args[1:], log)
	case "components":
		return runComponents(ctx, args[1:], log)
	default:
		return fmt.Errorf("unknown command %q: want image, controller or components", args[0])
	}
}

func runImage(args []string, log io.Writer) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	var (
		spec                             imagewriter.Spec
		out                              string
		accounts                         bool
		files, links, layers, entrypoint list
		cmd, env                         list
	)
	fs.StringVar(&spec.Tag, "tag", "", "exact image reference, e.g. ghcr.io/wva-project/wva-controller:dev")
	fs.StringVar(&out, "o", "", "output docker-archive tarball")
	fs.Var(&files, "file", "SRC=DST[:MODE] host file to add (repeatable; MODE octal, default: the source's)")
	fs.Var(&links, "symlink", "LINK=TARGET symlink to add (repeatable)")
	fs.Var(&layers, "layer", "layer tarball to start from, plain or gzip (repeatable, in order)")
	fs.BoolVar(&accounts, "accounts", false, "add /etc/passwd and /etc/group (root, nonroot 65532), /tmp and home directories")
	fs.Var(&entrypoint, "entrypoint", "entrypoint argument (repeatable, in order)")
	fs.Var(&cmd, "cmd", "cmd argument (repeatable, in order)")
	fs.Var(&env, "env", "NAME=VALUE (repeatable); PATH defaults to "+imagewriter.DefaultPath)
	fs.StringVar(&spec.User, "user", "", "user[:group] the image runs as, e.g. 65532:65532")
	fs.StringVar(&spec.WorkingDir, "workdir", "", "working directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if out == "" {
		return errors.New("-o: output path must be set")
	}
	if accounts {
		spec.Entries = append(spec.Entries, imagewriter.Accounts()...)
	}
	for _, f := range files {
		e, err := parseFile(f)
		if err != nil {
			return err
		}
		spec.Entries = append(spec.Entries, e)
	}
	for _, l := range links {
		link, target, ok := strings.Cut(l, "=")
		if !ok || link == "" || target == "" {
			return fmt.Errorf("-symlink %q: want LINK=TARGET", l)
		}
		spec.Entries = append(spec.Entries, imagewriter.Symlink(link, target))
	}
	spec.BaseLayers, spec.Entrypoint, spec.Cmd, spec.Env = layers, entrypoint, cmd, env
	return write(log, spec, out)
}

func runController(args []string, log io.Writer) error {
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	var binary, tag, out string
	fs.StringVar(&binary, "binary", "", "the static wva-controller binary")
	fs.StringVar(&tag, "tag", components.ControllerRepository+":dev", "image reference")
	fs.StringVar(&out, "o", "", "output docker-archive tarball")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if binary == "" || out == "" {
		return errors.New("-binary and -o must be set")
	}
	return write(log, components.Controller(binary, tag), out)
}

func runComponents(ctx context.Context, args []string, log io.Writer) error {
	fs := flag.NewFlagSet("components", flag.ContinueOnError)
	var (
		v                components.Versions
		bin, out, kpBase string
	)
	fs.StringVar(&bin, "bin", "", "the repository's bin/ directory holding kubernetes/<v>/, etcd/<v>/, coredns/<v>/, pause/<v>/")
	fs.StringVar(&out, "out", "", "directory to write <component>.tar into")
	fs.StringVar(&kpBase, "kube-proxy-base", "", "layer tarball with nft and conntrack for kube-proxy")
	fs.StringVar(&v.Kubernetes, "kubernetes-version", "", "e.g. v1.37.2")
	fs.StringVar(&v.Etcd, "etcd-version", "", "e.g. v3.6.16")
	fs.StringVar(&v.CoreDNS, "coredns-version", "", "e.g. v1.14.6")
	fs.StringVar(&v.Pause, "pause-version", "", "e.g. 3.10")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if bin == "" || out == "" {
		return errors.New("-bin and -out must be set")
	}
	images, err := components.Images(v, components.Binaries{Root: bin}, kpBase)
	if err != nil {
		return err
	}
	for _, img := range images {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := write(log, img.Spec, filepath.Join(out, img.Name+".tar")); err != nil {
			return err
		}
	}
	return nil
}

func write(log io.Writer, spec imagewriter.Spec, out string) error {
	start := time.Now()
	if err := imagewriter.Write(spec, out); err != nil {
		return err
	}
	size := int64(-1)
	if fi, err := os.Stat(out); err == nil {
		size = fi.Size()
	}
	_, err := fmt.Fprintf(log, "wrote %s -> %s (%.1f MB, %.1fs)\n", spec.Tag, out, float64(size)/1e6, time.Since(start).Seconds())
	return err
}
