//go:build e2e

package e2e

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/wva-project/wva/e2e/internal/cluster"
	"github.com/wva-project/wva/e2e/internal/manifests"
)

// suite is the one value TestMain shares with the Test functions: Go's
// testing package offers no other way to hand them the cluster. It is set
// once, before any test runs, and never reassigned.
var suite *cluster.Suite

// TestMain creates (or, in existing mode, connects to) the cluster, runs the
// features and cleans up. See internal/cluster/options.go for the flags and the environment
// variables that configure it, and README.md ("End-to-end tests").
func TestMain(m *testing.M) {
	var opts cluster.Options
	// The suite's flags must exist before e2e-framework parses the command
	// line (envconf.NewFromFlags), which also defines -kubeconfig.
	opts.Register(flag.CommandLine)
	opts.LabelsFromEnv()
	cfg, err := envconf.NewFromFlags()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: flags: %v\n", err)
		os.Exit(2)
	}
	root, err := manifests.RepoRoot(".")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(2)
	}
	opts.Complete(root)
	if err := opts.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: invalid options:\n%v\n", err)
		os.Exit(2)
	}

	opts.ApplyLabels(cfg)
	suite = cluster.New(opts, root, cfg)
	testenv := env.NewWithConfig(cfg)
	testenv.Setup(suite.SetUp)
	testenv.AfterEachTest(suite.AfterTest)
	testenv.Finish(suite.TearDown)
	suite.Env = testenv
	os.Exit(testenv.Run(m))
}
