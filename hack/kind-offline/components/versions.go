package components

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
)

// versionLine matches the `NAME ?= value` lines of hack/versions.mk.
var versionLine = regexp.MustCompile(`^([A-Z][A-Z0-9_]*)\s*\?=\s*(\S+)\s*$`)

// ReadVersionsFile reads every `NAME ?= value` line of a make fragment such
// as hack/versions.mk, the single place the project pins its versions.
func ReadVersionsFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("versions file: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only: nothing to flush
	vars := map[string]string{}
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		m := versionLine.FindStringSubmatch(s.Text())
		if m == nil {
			continue
		}
		if prev, dup := vars[m[1]]; dup {
			return nil, fmt.Errorf("versions file %s:%d: %s set twice (%q, then %q)", path, n, m[1], prev, m[2])
		}
		vars[m[1]] = m[2]
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("versions file %s: %w", path, err)
	}
	return vars, nil
}

// VersionsFrom picks the component versions out of the variables of
// hack/versions.mk and validates them.
func VersionsFrom(vars map[string]string) (Versions, error) {
	v := Versions{
		Kubernetes: vars["KUBERNETES_VERSION"],
		Etcd:       vars["ETCD_VERSION"],
		CoreDNS:    vars["COREDNS_VERSION"],
		Pause:      vars["PAUSE_VERSION"],
	}
	return v, v.Validate()
}
