package wvactl

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/options"
)

const validateSynopsis = `Usage: kubectl wva validate -f FILE

Validates the capacity-scaling-config ConfigMap in FILE (- for stdin), offline,
with the controller's own parser: every entry, sorted by key, is OK or INVALID
with the reason the controller would log, then the warnings and notes, then a
summary. FILE may hold other objects (kustomize build output): the ConfigMaps
named --config-name are validated, or the only ConfigMap when none has that
name. Exits 1 if an entry is invalid, 2 on a usage or input error.
`

func runValidate(args []string, env Env) int {
	fs := newFlagSet("validate", validateSynopsis, env.Stderr)
	var file string
	sel := selection{}
	fs.StringVar(&file, "f", "", "the manifest to validate (- for stdin)")
	fs.StringVar(&file, "filename", "", "the same as -f")
	fs.StringVar(&sel.name, "config-name", options.DefaultConfigMapName, "the name of the ConfigMap to validate")
	fs.StringVar(&sel.namespace, "config-namespace", "", "validate only the ConfigMap in this namespace (default: any namespace)")
	positional, err := parse(fs, args)
	if err == nil {
		switch {
		case len(positional) > 0:
			err = usageError{fmt.Sprintf("unexpected argument %q", positional[0])}
		case file == "":
			err = usageError{"-f FILE is required"}
		}
	}
	if err != nil {
		return fail(env, fs, err)
	}
	cms, note, err := loadManifest(file, env.Stdin, sel)
	if err != nil {
		return fail(env, fs, err)
	}
	if note != "" {
		_, _ = fmt.Fprintf(env.Stdout, "note: %s\n", note)
	}
	status := ExitOK
	for i, m := range cms {
		if i > 0 {
			_, _ = fmt.Fprintln(env.Stdout)
		}
		if !writeValidation(env.Stdout, m) {
			status = ExitInvalid
		}
	}
	return status
}

// writeValidation writes the report of one ConfigMap and returns whether
// every entry is valid.
func writeValidation(w io.Writer, m manifestConfigMap) bool {
	snap := capacity.Parse(m.cm.Data, m.cm.ResourceVersion)
	reasons := make(map[string]string)
	for _, e := range snap.Errors() {
		reasons[e.Key] = e.Error()
	}
	warnings := snap.Warnings()

	_, _ = fmt.Fprintf(w, "ConfigMap %s (%s):\n", m.ref(), m.at)
	keys := slices.Sorted(maps.Keys(m.cm.Data))
	width := 0
	for _, k := range keys {
		width = max(width, len(printableKey(k)))
	}
	for _, k := range keys {
		verdict := "OK"
		if reason, bad := reasons[k]; bad {
			verdict = "INVALID: " + reason
		}
		_, _ = fmt.Fprintf(w, "  %-*s  %s\n", width, printableKey(k), verdict)
	}
	for _, wn := range warnings {
		_, _ = fmt.Fprintf(w, "warning: %s: %s\n", printableKey(wn.Key), wn.Message)
	}
	for _, n := range validationNotes(m, reasons) {
		_, _ = fmt.Fprintf(w, "note: %s\n", n)
	}
	_, _ = fmt.Fprintf(w, "%s: %s, %d OK, %d INVALID, %s\n", m.ref(), plural(len(keys), "entry", "entries"),
		len(keys)-len(reasons), len(reasons), plural(len(warnings), "warning", "warnings"))
	return len(reasons) == 0
}

// validationNotes returns what the user should know beyond the entries:
// binaryData is ignored, and what models without an override get when the
// default entry is missing or invalid.
func validationNotes(m manifestConfigMap, reasons map[string]string) []string {
	var notes []string
	if keys := capacity.IgnoredBinaryDataKeys(m.cm.BinaryData); keys != nil {
		quoted := make([]string, len(keys))
		for i, k := range keys {
			quoted[i] = printableKey(k)
		}
		notes = append(notes, fmt.Sprintf("%s (binaryData keys: %s)", capacity.BinaryDataIgnored, strings.Join(quoted, ", ")))
	}
	if _, ok := m.cm.Data[capacity.DefaultKey]; !ok {
		notes = append(notes, `no "default" entry: models without an override, and the fields an override does not set, use the built-in defaults`)
	} else if _, bad := reasons[capacity.DefaultKey]; bad {
		notes = append(notes, `the "default" entry is invalid and skipped: models without an override, and the fields an override does not set, use the built-in defaults`)
	}
	return notes
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
