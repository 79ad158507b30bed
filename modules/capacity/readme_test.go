package capacity

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	readmePath     = "../../README.md"
	readmeSection  = "Use the capacity library"
	readmeExample  = "testdata/readme_example.go.txt"
	modulePath     = "github.com/wva-project/wva/modules/capacity"
	buildTimeout   = 5 * time.Minute
	goBlockOpening = "```go"
)

// readmeGoBlock returns the first ```go block of the README section whose
// heading contains section, or a description of what is missing.
func readmeGoBlock(readme, section string) (string, string) {
	lines := strings.Split(readme, "\n")
	start := -1
	for i, line := range lines {
		if strings.HasPrefix(line, "#") && strings.Contains(line, section) {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return "", "no heading containing " + `"` + section + `"`
	}
	for i := start; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if strings.HasPrefix(lines[i], "#") && !strings.HasPrefix(lines[i], "###") {
			break // the next section at the same or a higher level
		}
		if line != goBlockOpening {
			continue
		}
		for j := i + 1; j < len(lines); j++ {
			if strings.TrimSpace(lines[j]) == "```" {
				return strings.Join(lines[i+1:j], "\n") + "\n", ""
			}
		}
		return "", "the ```go block of the section is not closed"
	}
	return "", "the section has no ```go fenced block"
}

// TestReadmeExample keeps the README's library example in sync with
// testdata/readme_example.go.txt and proves that it compiles against this
// module, outside the workspace, as a user's program would.
func TestReadmeExample(t *testing.T) {
	want, err := os.ReadFile(readmeExample)
	if err != nil {
		t.Fatalf("reading %s: %v", readmeExample, err)
	}
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatalf("reading the repository README: %v", err)
	}
	block, missing := readmeGoBlock(string(readme), readmeSection)
	if missing != "" {
		t.Fatalf("README.md must have a section %q with one ```go block holding the program in modules/capacity/%s: %s",
			readmeSection, readmeExample, missing)
	}
	if block != string(want) {
		t.Fatalf("the ```go block of the README section %q differs from modules/capacity/%s; copy the file into the README.\nREADME block:\n%s",
			readmeSection, readmeExample, block)
	}
	buildStandalone(t, block)
}

// TestReadmeExampleBuilds compiles testdata/readme_example.go.txt on its own,
// so that the program is known to build before it is pasted into the README.
func TestReadmeExampleBuilds(t *testing.T) {
	program, err := os.ReadFile(readmeExample)
	if err != nil {
		t.Fatalf("reading %s: %v", readmeExample, err)
	}
	buildStandalone(t, string(program))
}

// buildStandalone compiles program as the main package of a new module that
// requires this one through a replace directive, with the workspace off.
func buildStandalone(t *testing.T, program string) {
	t.Helper()
	self, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the README example: %v", err)
	}
	dir := t.TempDir()
	goMod := "module example.com/readme\n\ngo 1.26.8\n\nrequire " + modulePath + " v0.0.0\n\nreplace " + modulePath + " => " + self + "\n"
	files := map[string]string{"go.mod": goMod, "main.go": program}
	if sum, err := os.ReadFile("go.sum"); err == nil {
		files["go.sum"] = string(sum) // the same requirements: no download needed
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", filepath.Join(dir, "readme-example"), ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the README example does not build (%v):\n%s", err, out.String())
	}
}

func TestReadmeGoBlock(t *testing.T) {
	cases := map[string]struct {
		readme, wantBlock, wantMissing string
	}{
		"found": {
			readme:    "# WVA\n\n## Use the capacity library\n\nText.\n\n```go\npackage main\n```\n\n## Next\n```go\nother\n```\n",
			wantBlock: "package main\n",
		},
		"no section": {
			readme:      "# WVA\n\n## Run the tests\n```go\npackage main\n```\n",
			wantMissing: `no heading containing "Use the capacity library"`,
		},
		"block in the next section only": {
			readme:      "## Use the capacity library\n\n```bash\nmake\n```\n## Next\n```go\npackage main\n```\n",
			wantMissing: "the section has no ```go fenced block",
		},
		"unclosed": {
			readme:      "## Use the capacity library\n```go\npackage main\n",
			wantMissing: "the ```go block of the section is not closed",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			block, missing := readmeGoBlock(tc.readme, readmeSection)
			if block != tc.wantBlock || missing != tc.wantMissing {
				t.Errorf("readmeGoBlock = %q, %q; want %q, %q", block, missing, tc.wantBlock, tc.wantMissing)
			}
		})
	}
}
