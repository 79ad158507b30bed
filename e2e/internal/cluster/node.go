package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// The kind nodes are containers of the engine kind runs on (docker, podman
// or nerdctl, as KIND_EXPERIMENTAL_PROVIDER names it; kind's default is
// docker). A fault feature reaches a node's container runtime the way kind
// itself does, `<engine> exec <node> crictl ...`; nothing else bypasses the
// API server.

// nodeEngines are the engines kind's providers drive.
var nodeEngines = []string{"docker", "podman", "nerdctl"}

// nodeEngine returns the engine of the kind nodes.
func nodeEngine() (string, error) {
	engine := os.Getenv("KIND_EXPERIMENTAL_PROVIDER")
	if engine == "" {
		engine = "docker"
	}
	for _, e := range nodeEngines {
		if e == engine {
			return engine, nil
		}
	}
	return "", fmt.Errorf("KIND_EXPERIMENTAL_PROVIDER=%q: not one of %s", engine, strings.Join(nodeEngines, ", "))
}

// ControlPlaneNode returns the name of the kind cluster's control-plane
// node (its container), as `kind get nodes` lists it.
func (s *Suite) ControlPlaneNode(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, s.Opts.kindBinary, "get", "nodes", "--name", s.Opts.clusterName).Output()
	if err != nil {
		return "", fmt.Errorf("%s get nodes --name %s: %w", s.Opts.kindBinary, s.Opts.clusterName, commandError(err))
	}
	nodes := strings.Fields(string(out))
	for _, n := range nodes {
		if strings.HasSuffix(n, "-control-plane") {
			return n, nil
		}
	}
	return "", fmt.Errorf("no control-plane node among the nodes of %s: %q", s.Opts.clusterName, nodes)
}

// Crictl runs crictl with args in node and returns its output, trimmed.
func Crictl(ctx context.Context, node string, args ...string) (string, error) {
	engine, err := nodeEngine()
	if err != nil {
		return "", err
	}
	argv := append([]string{"exec", node, "crictl"}, args...)
	out, err := exec.CommandContext(ctx, engine, argv...).Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", engine, strings.Join(argv, " "), commandError(err))
	}
	return strings.TrimSpace(string(out)), nil
}

// RunningContainer returns the ID of the running container named name in
// node ("" if none runs).
func RunningContainer(ctx context.Context, node, name string) (string, error) {
	out, err := Crictl(ctx, node, "ps", "--state", "running", "--name", "^"+name+"$", "-q")
	if err != nil {
		return "", err
	}
	ids := strings.Fields(out)
	switch len(ids) {
	case 0:
		return "", nil
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%d running containers named %s in %s: %s", len(ids), name, node, strings.Join(ids, " "))
}
