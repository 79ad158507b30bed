package controlplane

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseVersions(t *testing.T) {
	cases := map[string]struct {
		input   string
		want    map[string]string
		wantErr string
	}{
		"assignments, comments and blank lines": {
			input: "# comment\n\nKUBERNETES_VERSION ?= v1.37.2\nPAUSE_VERSION?=3.10\n  ETCD_VERSION ?=  v3.6.16  \n",
			want:  map[string]string{"KUBERNETES_VERSION": "v1.37.2", "PAUSE_VERSION": "3.10", "ETCD_VERSION": "v3.6.16"},
		},
		"empty": {
			input: "",
			want:  map[string]string{},
		},
		"plain assignment is not the shared form": {
			input:   "KIND_VERSION := v0.33.0\n",
			wantErr: `line 1: "KIND_VERSION := v0.33.0" is not of the form NAME ?= value`,
		},
		"trailing comment": {
			input:   "KIND_VERSION ?= v0.33.0 # pinned\n",
			wantErr: "line 1:",
		},
		"missing value": {
			input:   "# x\nKIND_VERSION ?=\n",
			wantErr: "line 2:",
		},
		"set twice": {
			input:   "KIND_VERSION ?= v0.33.0\nKIND_VERSION ?= v0.34.0\n",
			wantErr: "line 2: KIND_VERSION is set twice",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseVersions(strings.NewReader(tc.input))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseVersions error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseVersions: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseVersions: -want +got:\n%s", diff)
			}
		})
	}
}

// TestLoadVersionsRepository reads the real hack/versions.mk: make, bash and
// this package must agree on it.
func TestLoadVersionsRepository(t *testing.T) {
	versions, err := LoadVersions(filepath.Join("..", "versions.mk"))
	if err != nil {
		t.Fatalf("LoadVersions: %v", err)
	}
	for name, prefix := range map[string]string{
		KubernetesVersion: "v1.", EtcdVersion: "v3.", CoreDNSVersion: "v1.", PauseVersion: "3.", KindVersion: "v0.",
		CriToolsVersion: "v1.",
	} {
		if !strings.HasPrefix(versions[name], prefix) {
			t.Errorf("%s = %q, want a version starting with %q", name, versions[name], prefix)
		}
	}
}

func TestLoadVersions(t *testing.T) {
	complete := "KUBERNETES_VERSION ?= v1.37.2\nETCD_VERSION ?= v3.6.16\nCOREDNS_VERSION ?= v1.14.6\n" +
		"PAUSE_VERSION ?= 3.10\nKIND_VERSION ?= v0.33.0\nCRI_TOOLS_VERSION ?= v1.37.0\n"
	cases := map[string]struct {
		content   *string // nil: no file
		want      map[string]string
		wantErr   string
		wantErrIs error
	}{
		"complete": {
			content: &complete,
			want: map[string]string{
				"KUBERNETES_VERSION": "v1.37.2", "ETCD_VERSION": "v3.6.16", "COREDNS_VERSION": "v1.14.6",
				"PAUSE_VERSION": "3.10", "KIND_VERSION": "v0.33.0", "CRI_TOOLS_VERSION": "v1.37.0",
			},
		},
		"a version missing": {
			content: ptr(strings.Replace(complete, "KIND_VERSION ?= v0.33.0\n", "", 1)),
			wantErr: "KIND_VERSION is not set",
		},
		"cri-tools version missing": {
			content: ptr(strings.Replace(complete, "CRI_TOOLS_VERSION ?= v1.37.0\n", "", 1)),
			wantErr: "CRI_TOOLS_VERSION is not set",
		},
		"malformed": {
			content: ptr(complete + "oops\n"),
			wantErr: `line 7: "oops" is not of the form NAME ?= value`,
		},
		"no file": {
			wantErrIs: fs.ErrNotExist,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "versions.mk")
			if tc.content != nil {
				if err := os.WriteFile(path, []byte(*tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := LoadVersions(path)
			switch {
			case tc.wantErrIs != nil:
				if !errors.Is(err, tc.wantErrIs) {
					t.Fatalf("LoadVersions error = %v, want one wrapping %v", err, tc.wantErrIs)
				}
				return
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("LoadVersions error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			case err != nil:
				t.Fatalf("LoadVersions: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("LoadVersions: -want +got:\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
