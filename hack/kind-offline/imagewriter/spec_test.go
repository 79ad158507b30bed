package imagewriter

import (
	"io/fs"
	"strings"
	"testing"
)

func TestSpecValidate(t *testing.T) {
	cases := map[string]struct {
		spec Spec
		// wantErrs are fragments each error must name (field and value); none means valid.
		wantErrs []string
	}{
		"valid": {
			spec: Spec{Tag: "registry.k8s.io/etcd:3.6.16-0", Entries: []Entry{Dir("/var/lib/etcd", 0o700)}, Env: []string{"A=b"}},
		},
		"missing tag": {
			spec:     Spec{},
			wantErrs: []string{"tag: must be set"},
		},
		"tag without explicit tag": {
			spec:     Spec{Tag: "registry.k8s.io/etcd"},
			wantErrs: []string{`tag "registry.k8s.io/etcd"`},
		},
		"digest instead of tag": {
			spec:     Spec{Tag: "example.com/x@sha256:0123456789012345678901234567890123456789012345678901234567890123"},
			wantErrs: []string{`tag "example.com/x@sha256:`},
		},
		"relative path, root path, bad type, bad mode, negative owner": {
			spec: Spec{Tag: "example.com/x:v1", Entries: []Entry{
				Dir("etc", 0o755),
				Dir("/", 0o755),
				{Path: "/dev/null", Type: "device"},
				{Path: "/x", Type: TypeFile, Content: []byte{}, Mode: fs.ModeDir | 0o755},
				{Path: "/y", Type: TypeDir, UID: -1},
			}},
			wantErrs: []string{`entries[0]: path "etc"`, `entries[1]: path "/"`, `entries[2]: path "/dev/null": type "device"`,
				`entries[3]: path "/x": mode`, `entries[4]: path "/y": owner -1:0`},
		},
		"symlink without target, file with source and content": {
			spec: Spec{Tag: "example.com/x:v1", Entries: []Entry{
				{Path: "/link", Type: TypeSymlink},
				{Path: "/f", Type: TypeFile, Source: "/etc/hostname", Content: []byte("x")},
			}},
			wantErrs: []string{`entries[0]: path "/link": symlink target`, `entries[1]: path "/f": source "/etc/hostname" and content`},
		},
		"duplicate path, bad env, empty base layer": {
			spec: Spec{
				Tag:        "example.com/x:v1",
				Entries:    []Entry{Dir("/a", 0), Dir("/a/", 0)},
				Env:        []string{"NOVALUE", "=x"},
				BaseLayers: []string{""},
			},
			wantErrs: []string{`entries[1]: path "/a/": listed twice`, `env[0] "NOVALUE"`, `env[1] "=x"`, "baseLayers[0]"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.spec.Validate()
			if len(tc.wantErrs) == 0 {
				if err != nil {
					t.Fatalf("Validate: want no error, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate: want errors naming %q, got none", tc.wantErrs)
			}
			for _, want := range tc.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate error does not name %q:\n%v", want, err)
				}
			}
			if _, err := Build(tc.spec); err == nil {
				t.Errorf("Build accepted a spec that Validate rejects")
			}
		})
	}
}

func TestParentMustBeDir(t *testing.T) {
	spec := Spec{Tag: "example.com/x:v1", Entries: []Entry{
		FileContent("/etc", []byte("not a dir"), 0o644),
		FileContent("/etc/passwd", []byte("root"), 0o644),
	}}
	_, err := Build(spec)
	if err == nil || !strings.Contains(err.Error(), `parent "/etc" is a file`) {
		t.Fatalf("Build: want an error naming the parent that is a file, got %v", err)
	}
}
