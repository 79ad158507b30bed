package wvactl

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/options"
)

const explainSynopsis = `Usage:
  kubectl wva explain --model MODEL --namespace NAMESPACE -f FILE [--at TIME] [--timeline]
  kubectl wva explain [-n NAMESPACE] VARIANTAUTOSCALING [--at TIME] [--timeline]

Prints the capacity thresholds that apply to a model in a namespace and, for
each threshold, the entry that set it: override/<key>, default or builtin,
with #<window> while a scheduled window of the entry applies. --at TIME
(RFC 3339, default now) explains another instant; --timeline adds the next
24 hours from it: which source and thresholds apply when.

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
	at        time.Time
	timeline  bool
	config    selection
	cluster   ClusterFlags
}

// timelineSpan is how far explain --timeline looks ahead.
const timelineSpan = 24 * time.Hour

// maxTimelineRows bounds the timeline: 16 windows per entry start and end
// at most a few times a day.
const maxTimelineRows = 256

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
	at := fs.String("at", "", "explain at this instant, in RFC 3339 (2026-12-02T09:00:00+01:00; default: now)")
	fs.BoolVar(&f.timeline, "timeline", false, "also print the next 24 hours from --at: which thresholds apply when")
	positional, err := parse(fs, args)
	if err != nil {
		return fail(env, fs, err)
	}
	if f.at, err = parseAt(*at, env.Now); err != nil {
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
	writeExplanation(env.Stdout, snap, m.cm.Data, f.model, f.namespace, f.at)
	if f.timeline {
		writeTimeline(env.Stdout, snap, f.model, f.namespace, f.at)
	}
	return nil
}

// parseAt reads --at; "" is now, in UTC.
func parseAt(s string, now func() time.Time) (time.Time, error) {
	if s == "" {
		return now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usageError{fmt.Sprintf("--at wants an RFC 3339 time such as 2026-12-02T09:00:00Z, got %q", s)}
	}
	return t, nil
}

// formatAt prints an instant of explain in the zone of --at (UTC by default).
func formatAt(t time.Time, at time.Time) string { return t.In(at.Location()).Format(time.RFC3339) }

// writeTimeline writes, for the timelineSpan from at, one row per interval
// during which a model resolves to one source and set of thresholds.
func writeTimeline(w io.Writer, snap *capacity.Snapshot, modelID, namespace string, at time.Time) {
	_, _ = fmt.Fprintf(w, "\nTimeline of the 24 hours from %s:\n\n", formatAt(at, at))
	type row struct {
		from, to time.Time
		res      capacity.Resolution
	}
	var rows []row
	end := at.Add(timelineSpan)
	for t := at; t.Before(end) && len(rows) < maxTimelineRows; {
		res := snap.ResolveAt(modelID, namespace, t)
		next, ok := snap.NextTransitionFor(modelID, namespace, t)
		if !ok || next.After(end) {
			next = end
		}
		if n := len(rows); n > 0 && rows[n-1].res.Source == res.Source && rows[n-1].res.Config == res.Config {
			rows[n-1].to = next // the next occurrence of the same window, back to back
		} else {
			rows = append(rows, row{from: t, to: next, res: res})
		}
		t = next
	}
	table := [][]string{{"FROM", "TO", "SOURCE", "kvCacheThreshold", "queueLengthThreshold", "kvSpareTrigger", "queueSpareTrigger"}}
	for _, r := range rows {
		c := r.res.Config
		table = append(table, []string{formatAt(r.from, at), formatAt(r.to, at), string(r.res.Source),
			capacity.FormatDecimal(c.KvCacheThreshold), strconv.Itoa(c.QueueLengthThreshold), capacity.FormatDecimal(c.KvSpareTrigger), strconv.Itoa(c.QueueSpareTrigger)})
	}
	writeTable(w, "  ", table)
}

// writeTable writes rows as aligned columns, each line after indent.
func writeTable(w io.Writer, indent string, rows [][]string) {
	var width []int
	for _, r := range rows {
		for i, cell := range r {
			if i == len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], len(cell))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString(indent)
		for i, cell := range r {
			if i == len(r)-1 {
				b.WriteString(cell)
				break
			}
			fmt.Fprintf(&b, "%-*s  ", width[i], cell)
		}
		_, _ = fmt.Fprintln(w, b.String())
	}
}

// writeExplanation writes the effective thresholds of a model in a
// namespace, which entry set each, the caveats of the entries applied and
// the skipped entries that named this model.
func writeExplanation(w io.Writer, snap *capacity.Snapshot, data map[string]string, modelID, namespace string, at time.Time) {
	e := snap.ResolveAt(modelID, namespace, at)
	next, scheduled := snap.NextTransitionFor(modelID, namespace, at)
	switch {
	case e.Window != "":
		_, _ = fmt.Fprintf(w, "Model %s in namespace %s at %s: configuration from %s (window %s until %s)\n\n",
			modelID, namespace, formatAt(at, at), e.Source, e.Window, formatAt(e.WindowEnd, at))
	case scheduled:
		_, _ = fmt.Fprintf(w, "Model %s in namespace %s at %s: configuration from %s (no window active)\n\n",
			modelID, namespace, formatAt(at, at), e.Source)
	default:
		// Windows apply to other models at most: the answer holds at any time.
		_, _ = fmt.Fprintf(w, "Model %s in namespace %s: configuration from %s\n\n", modelID, namespace, e.Source)
	}
	writeTable(w, "  ", [][]string{
		{"FIELD", "VALUE", "SET BY"},
		{"kvCacheThreshold", capacity.FormatDecimal(e.Config.KvCacheThreshold), string(e.Fields.KvCacheThreshold)},
		{"queueLengthThreshold", strconv.Itoa(e.Config.QueueLengthThreshold), string(e.Fields.QueueLengthThreshold)},
		{"kvSpareTrigger", capacity.FormatDecimal(e.Config.KvSpareTrigger), string(e.Fields.KvSpareTrigger)},
		{"queueSpareTrigger", strconv.Itoa(e.Config.QueueSpareTrigger), string(e.Fields.QueueSpareTrigger)},
	})

	applied := map[string]bool{}
	for _, src := range []capacity.Source{e.Fields.KvCacheThreshold, e.Fields.QueueLengthThreshold, e.Fields.KvSpareTrigger, e.Fields.QueueSpareTrigger} {
		src = src.Entry()
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
	if scheduled {
		notef("note: this model's thresholds next change at %s (--timeline shows the next 24 hours)", formatAt(next, at))
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
