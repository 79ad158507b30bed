package wvactl

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/options"
)

const explainSynopsis = `Usage:
  kubectl wva explain --model MODEL --namespace NAMESPACE -f FILE
  kubectl wva explain [-n NAMESPACE] VARIANTAUTOSCALING

Prints the capacity thresholds that apply to a model in a namespace and, for
each threshold, the entry that set it: override/<key>, default or builtin.

With -f FILE (- for stdin) it works offline on a manifest, like validate.
With the name of a VariantAutoscaling it reads the cluster of the current
kubeconfig: the VariantAutoscaling's spec.modelID, and the ConfigMap
--config-name in --config-namespace. It also compares the VariantAutoscaling's
status.appliedConfig with what the live ConfigMap gives now.
`

// explainFlags are the flags of explain.
type explainFlags struct {
	file      string
	model     string
	namespace string
	config    selection
	cluster   ClusterFlags
}

func runExplain(args []string, env Env) int {
	fs := newFlagSet("explain", explainSynopsis, env.Stderr)
	var f explainFlags
	fs.StringVar(&f.file, "f", "", "explain the ConfigMap in this manifest, offline (- for stdin)")
	fs.StringVar(&f.file, "filename", "", "the same as -f")
	fs.StringVar(&f.model, "model", "", "the model ID to explain (with -f)")
	fs.StringVar(&f.namespace, "n", "", "the namespace of the model, or of the VariantAutoscaling (default: the kubeconfig's)")
	fs.StringVar(&f.namespace, "namespace", "", "the same as -n")
	fs.StringVar(&f.config.name, "config-name", options.DefaultConfigMapName, "the name of the capacity-scaling ConfigMap")
	fs.StringVar(&f.config.namespace, "config-namespace", "", "the namespace of the capacity-scaling ConfigMap "+
		"(default: "+options.DefaultConfigMapNamespace+" in the cluster, any namespace with -f)")
	fs.StringVar(&f.cluster.Kubeconfig, "kubeconfig", "", "the kubeconfig file (default: $KUBECONFIG, ~/.kube/config or in-cluster)")
	fs.StringVar(&f.cluster.Context, "context", "", "the kubeconfig context to use")
	positional, err := parse(fs, args)
	if err != nil {
		return fail(env, fs, err)
	}
	if f.file != "" {
		err = explainOffline(env, f, positional)
	} else {
		err = explainVariant(env, f, positional)
	}
	if err != nil {
		return fail(env, fs, err)
	}
	return ExitOK
}

func explainOffline(env Env, f explainFlags, positional []string) error {
	switch {
	case len(positional) > 0:
		return usageError{fmt.Sprintf("unexpected argument %q: with -f, name the model with --model", positional[0])}
	case f.model == "":
		return usageError{"--model is required with -f"}
	case f.namespace == "":
		return usageError{"--namespace is required with -f"}
	}
	cms, note, err := loadManifest(f.file, env.Stdin, f.config)
	if err != nil {
		return err
	}
	if len(cms) > 1 {
		refs := make([]string, len(cms))
		for i, m := range cms {
			refs[i] = m.ref()
		}
		return inputError{fmt.Errorf("%d ConfigMaps named %s (%s): choose one with --config-namespace",
			len(cms), f.config.name, strings.Join(refs, ", "))}
	}
	m := cms[0]
	if note != "" {
		_, _ = fmt.Fprintf(env.Stdout, "note: %s\n", note)
	}
	snap := capacity.Parse(m.cm.Data, m.cm.ResourceVersion)
	_, _ = fmt.Fprintf(env.Stdout, "ConfigMap %s (%s)\n", m.ref(), m.at)
	writeExplanation(env.Stdout, snap, m.cm.Data, f.model, f.namespace)
	return nil
}

// writeExplanation writes the effective thresholds of a model in a
// namespace, which entry set each, the caveats of the entries applied and
// the skipped entries that named this model.
func writeExplanation(w io.Writer, snap *capacity.Snapshot, data map[string]string, modelID, namespace string) {
	e := snap.Explain(modelID, namespace)
	_, _ = fmt.Fprintf(w, "Model %s in namespace %s: configuration from %s\n\n", modelID, namespace, e.Source)
	rows := [][3]string{
		{"FIELD", "VALUE", "SET BY"},
		{"kvCacheThreshold", decimal(e.Config.KvCacheThreshold), string(e.Fields.KvCacheThreshold)},
		{"queueLengthThreshold", strconv.Itoa(e.Config.QueueLengthThreshold), string(e.Fields.QueueLengthThreshold)},
		{"kvSpareTrigger", decimal(e.Config.KvSpareTrigger), string(e.Fields.KvSpareTrigger)},
		{"queueSpareTrigger", strconv.Itoa(e.Config.QueueSpareTrigger), string(e.Fields.QueueSpareTrigger)},
	}
	var width [2]int
	for _, r := range rows {
		width[0], width[1] = max(width[0], len(r[0])), max(width[1], len(r[1]))
	}
	for _, r := range rows {
		_, _ = fmt.Fprintf(w, "  %-*s  %-*s  %s\n", width[0], r[0], width[1], r[1], r[2])
	}

	applied := map[string]bool{}
	for _, src := range []capacity.Source{e.Fields.KvCacheThreshold, e.Fields.QueueLengthThreshold, e.Fields.KvSpareTrigger, e.Fields.QueueSpareTrigger} {
		if src == capacity.SourceDefault {
			applied[capacity.DefaultKey] = true
		} else if key, ok := src.OverrideKey(); ok {
			applied[key] = true
		}
	}
	first := true
	notef := func(format string, args ...any) {
		if first {
			_, _ = fmt.Fprintln(w)
			first = false
		}
		_, _ = fmt.Fprintf(w, format+"\n", args...)
	}
	for _, wn := range snap.Warnings() {
		if applied[wn.Key] {
			notef("warning: %s: %s", printableKey(wn.Key), wn.Message)
		}
	}
	others := 0
	for _, ee := range snap.Errors() {
		if namesModel(ee, data[ee.Key], modelID, namespace) {
			notef("note: entry %s names this model but is skipped: %s", printableKey(ee.Key), ee.Error())
		} else {
			others++
		}
	}
	if others > 0 {
		notef("note: %s skipped; kubectl wva validate shows why", plural(others, "other entry is", "other entries are"))
	}
}

// namesModel reports whether a skipped entry was meant for the model: a
// duplicate override of it, or an override that decodes but is invalid as
// merged. An entry that does not decode names nothing that can be trusted.
func namesModel(ee capacity.EntryError, text, modelID, namespace string) bool {
	var dup capacity.DuplicateOverrideError
	if errors.As(ee, &dup) {
		return dup.ModelID == modelID && dup.Namespace == namespace
	}
	e, err := capacity.DecodeEntry(text)
	return err == nil && e.ModelID == modelID && e.Namespace == namespace
}

// decimal prints a fraction with at least two decimals, and more when the
// value has them (0.8 -> 0.80, 0.755 -> 0.755), so that nothing is rounded
// into a value that was not written.
func decimal(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	switch dot := strings.IndexByte(s, '.'); {
	case dot < 0:
		return s + ".00"
	case len(s)-dot-1 < 2:
		return s + "0"
	}
	return s
}
