// Command golangci-lint is golangci-lint with the Kube API Linter
// (sigs.k8s.io/kube-api-linter) compiled in as its module plugin
// "kubeapilinter", so that one binary lints every module of the repository
// and, with hack/kube-api-linter.yaml, modules/api against the Kubernetes
// API conventions. Both versions are pinned in hack/versions.mk and required
// by this wrapper module's go.mod; build.sh checks that they agree.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/golangci/golangci-lint/v2/pkg/commands"
	"github.com/golangci/golangci-lint/v2/pkg/exitcodes"

	// Registers the kubeapilinter module plugin (a blank import, as the
	// plugin system expects).
	_ "sigs.k8s.io/kube-api-linter"
)

func main() {
	if err := commands.Execute(buildInfo()); err != nil {
		fmt.Fprintf(os.Stderr, "golangci-lint: %v\n", err)
		os.Exit(exitcodes.Failure)
	}
}

// buildInfo reports golangci-lint's module version as the version (what
// `golangci-lint version` and the config's version checks look at) and the
// Kube API Linter's as the commit.
func buildInfo() commands.BuildInfo {
	info := commands.BuildInfo{Version: "unknown", Commit: "unknown", Date: "(unknown)"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	info.GoVersion = bi.GoVersion
	for _, dep := range bi.Deps {
		switch dep.Path {
		case "github.com/golangci/golangci-lint/v2":
			info.Version = strings.TrimPrefix(dep.Version, "v")
		case "sigs.k8s.io/kube-api-linter":
			info.Commit = "kube-api-linter " + dep.Version
		}
	}
	return info
}
