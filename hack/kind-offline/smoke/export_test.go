package smoke

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The checks on what `kind export logs` writes. They need no cluster, so they
// carry no build tag and their unit test runs with `make test-kind-unit`.

// containerLog names one container whose log the export must hold.
type containerLog struct {
	namespace, pod, container string
	// contains is text the log must include; "" asks only for a non-empty log.
	contains string
}

// nodeExport is what the export of one node must hold.
type nodeExport struct {
	node       string
	containers []containerLog
}

// journalFiles are the files kind writes from the node's journal, with text
// that only a unit's own log lines carry: "-- No entries --" has none of it.
var journalFiles = []struct{ name, contains string }{
	{"kubelet.log", "kubelet["},
	{"containerd.log", "containerd["},
}

// exportProblems lists what is missing from the directory `kind export logs`
// wrote for want.node: the kubelet and containerd journals, the image list
// kind takes with crictl, and each container's log both under pods/ (the
// kubelet's files) and under containers/ (its per-container links, which
// kind's tar dereferences). Paths in the messages are relative to the node's
// directory. It returns nil when nothing is missing.
func exportProblems(dir string, want nodeExport) []string {
	nodeDir := filepath.Join(dir, want.node)
	var problems []string
	for _, f := range journalFiles {
		if p := fileProblem(nodeDir, f.name, f.contains); p != "" {
			problems = append(problems, p)
		}
	}
	// crictl's table lists image names; an error message from a missing or
	// misconfigured crictl does not.
	if p := fileProblem(nodeDir, "images.log", "registry.k8s.io/kube-apiserver"); p != "" {
		problems = append(problems, p)
	}
	for _, c := range want.containers {
		for _, pattern := range []string{
			filepath.Join("pods", c.namespace+"_"+c.pod+"_*", c.container, "*.log"),
			filepath.Join("containers", c.pod+"_"+c.namespace+"_"+c.container+"-*.log"),
		} {
			if p := globProblem(nodeDir, pattern, c.contains); p != "" {
				problems = append(problems, fmt.Sprintf("container %s of %s/%s: %s", c.container, c.namespace, c.pod, p))
			}
		}
	}
	return problems
}

// fileProblem describes why root/rel is not a non-empty file containing text
// ("" when it is).
func fileProblem(root, rel, text string) string {
	data, err := os.ReadFile(filepath.Join(root, rel))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return rel + ": missing"
	case err != nil:
		return fmt.Sprintf("%s: %v", rel, err)
	case len(data) == 0:
		return rel + ": empty"
	case text != "" && !strings.Contains(string(data), text):
		return fmt.Sprintf("%s: no %q in %d bytes starting %q", rel, text, len(data), head(data))
	}
	return ""
}

// globProblem describes why no file matching root/pattern is a non-empty
// file containing text ("" when one is).
func globProblem(root, pattern, text string) string {
	matches, err := filepath.Glob(filepath.Join(root, pattern))
	if err != nil {
		return fmt.Sprintf("pattern %s: %v", pattern, err)
	}
	if len(matches) == 0 {
		return "no file matches " + pattern
	}
	var last string
	for _, m := range matches {
		rel, err := filepath.Rel(root, m)
		if err != nil {
			return fmt.Sprintf("%s: %v", m, err)
		}
		if last = fileProblem(root, rel, text); last == "" {
			return ""
		}
	}
	return last
}

// head is the start of data, for messages.
func head(data []byte) string {
	const n = 80
	if len(data) > n {
		data = data[:n]
	}
	return string(data)
}
