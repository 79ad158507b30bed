// Command kubectl-wva is the kubectl plugin of the Workload Variant
// Autoscaler: on the PATH, it runs as `kubectl wva validate`,
// `kubectl wva explain` and `kubectl wva what-if`. See docs/kubectl-wva.md.
package main

import (
	"os"

	"github.com/wva-project/wva/modules/controller/internal/wvactl"
)

func main() {
	os.Exit(wvactl.Run(os.Args[1:], wvactl.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
