package controlplane

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// Names of the versions pinned in hack/versions.mk.
const (
	KubernetesVersion = "KUBERNETES_VERSION"
	EtcdVersion       = "ETCD_VERSION"
	CoreDNSVersion    = "COREDNS_VERSION"
	PauseVersion      = "PAUSE_VERSION"
	KindVersion       = "KIND_VERSION"
	CriToolsVersion   = "CRI_TOOLS_VERSION"
)

// assignment is the one line form hack/versions.mk uses, `NAME ?= value`; make
// and hack/controlplane/versions.sh read exactly the same form.
var assignment = regexp.MustCompile(`^([A-Z][A-Z0-9_]*)\s*\?=\s*([^\s#]+)\s*$`)

// ParseVersions reads `NAME ?= value` lines. Blank lines and comments are
// skipped; any other line, or a name given twice, is an error naming the line,
// so the file stays readable by the three parsers that share it.
func ParseVersions(r io.Reader) (map[string]string, error) {
	versions := map[string]string{}
	scanner := bufio.NewScanner(r)
	for n := 1; scanner.Scan(); n++ {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := assignment.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("line %d: %q is not of the form NAME ?= value", n, line)
		}
		if _, dup := versions[m[1]]; dup {
			return nil, fmt.Errorf("line %d: %s is set twice", n, m[1])
		}
		versions[m[1]] = m[2]
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("reading versions: %w", err)
	}
	return versions, nil
}

// LoadVersions parses the versions file at path and checks that every
// version this package names is set.
func LoadVersions(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening versions file: %w", err)
	}
	defer f.Close()
	versions, err := ParseVersions(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, name := range []string{KubernetesVersion, EtcdVersion, CoreDNSVersion, PauseVersion, KindVersion, CriToolsVersion} {
		if versions[name] == "" {
			return nil, fmt.Errorf("%s: %s is not set", path, name)
		}
	}
	return versions, nil
}
