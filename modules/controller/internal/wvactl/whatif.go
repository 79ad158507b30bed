package wvactl

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/metricsource"
	"github.com/wva-project/wva/modules/controller/internal/options"
)

// ExitWouldChange: what-if found a VariantAutoscaling whose desired replicas
// the candidate configuration would change.
const ExitWouldChange = 3

const whatIfSynopsis = `Usage:
  kubectl wva what-if -f CANDIDATE [-n NAMESPACE | --all-namespaces] [--prometheus-url URL]

Analyses the latest replica metrics of every VariantAutoscaling (in NAMESPACE,
or in all namespaces) twice, as the controller does, one analysis per model:
with the live ConfigMap --config-name in --config-namespace, and with the
ConfigMap of the manifest CANDIDATE (- for stdin). It prints the desired
replicas under each and the thresholds the candidate changes.

The metrics come from Prometheus with --prometheus-url (the queries the
controller runs), otherwise from each VariantAutoscaling's status.lastAnalysis,
which holds aggregates only: see docs/kubectl-wva.md.

Exit status: 0 when no desired replicas would change, 3 when some would, 1
when the cluster or Prometheus cannot be read, 2 on a usage or input error.
`

// whatIfFlags are the flags of what-if.
type whatIfFlags struct {
	file          string
	namespace     string
	allNamespaces bool
	prometheusURL string
	timeout       time.Duration
	prometheus    metricsource.HTTPOptions
	config        selection
	cluster       ClusterFlags
}

func runWhatIf(args []string, env Env) int {
	fs := newFlagSet("what-if", whatIfSynopsis, env.Stderr)
	var f whatIfFlags
	fs.StringVar(&f.file, "f", "", "the manifest holding the candidate ConfigMap (- for stdin)")
	fs.StringVar(&f.file, "filename", "", "the same as -f")
	fs.StringVar(&f.namespace, "n", "", "the namespace of the VariantAutoscalings (default: the kubeconfig's)")
	fs.StringVar(&f.namespace, "namespace", "", "the same as -n")
	fs.BoolVar(&f.allNamespaces, "A", false, "the VariantAutoscalings of every namespace")
	fs.BoolVar(&f.allNamespaces, "all-namespaces", false, "the same as -A")
	fs.StringVar(&f.prometheusURL, "prometheus-url", "", "read the replicas' metrics from this Prometheus (default: from status.lastAnalysis)")
	fs.DurationVar(&f.timeout, "prometheus-timeout", 10*time.Second, "the timeout of each Prometheus query")
	f.prometheus.BindFlags(fs)
	fs.StringVar(&f.config.name, "config-name", options.DefaultConfigMapName, "the name of the capacity-scaling ConfigMap")
	fs.StringVar(&f.config.namespace, "config-namespace", "", "the namespace of the live capacity-scaling ConfigMap "+
		"(default: "+options.DefaultConfigMapNamespace+"); in CANDIDATE, any namespace unless given")
	fs.StringVar(&f.cluster.Kubeconfig, "kubeconfig", "", "the kubeconfig file (default: $KUBECONFIG, ~/.kube/config or in-cluster)")
	fs.StringVar(&f.cluster.Context, "context", "", "the kubeconfig context to use")
	positional, err := parse(fs, args)
	if err != nil {
		return fail(env, fs, err)
	}
	changed, err := whatIf(env, f, positional)
	if err != nil {
		return fail(env, fs, err)
	}
	if changed {
		return ExitWouldChange
	}
	return ExitOK
}

// whatIfRow is one VariantAutoscaling of the table.
type whatIfRow struct {
	va                  string
	current             int32
	now, candidate      outcome
	thresholds          string
	noteNow, noteWithIt string
}

// whatIf runs the command and reports whether a desired replica count would
// change.
func whatIf(env Env, f whatIfFlags, positional []string) (bool, error) {
	switch {
	case len(positional) > 0:
		return false, usageError{fmt.Sprintf("unexpected argument %q", positional[0])}
	case f.file == "":
		return false, usageError{"-f CANDIDATE is required"}
	case f.allNamespaces && f.namespace != "":
		return false, usageError{"-n and --all-namespaces exclude each other"}
	}
	var metrics metricsource.Source
	if f.prometheusURL != "" {
		p, err := newPrometheus(env, f.prometheusURL, f.timeout, f.prometheus)
		if err != nil {
			return false, err
		}
		metrics = p
	}
	cms, note, err := loadManifest(f.file, env.Stdin, f.config)
	if err != nil {
		return false, err
	}
	if len(cms) > 1 {
		refs := make([]string, len(cms))
		for i, m := range cms {
			refs[i] = m.ref()
		}
		return false, inputError{fmt.Errorf("%d ConfigMaps named %s (%s): choose one with --config-namespace",
			len(cms), f.config.name, strings.Join(refs, ", "))}
	}
	cand := capacity.Parse(cms[0].cm.Data, cms[0].cm.ResourceVersion)

	c, namespace, err := env.NewClient(f.cluster)
	if err != nil {
		return false, err
	}
	if f.namespace != "" {
		namespace = f.namespace
	}
	if namespace == "" {
		namespace = "default"
	}
	ctx := context.Background()
	var list v1alpha1.VariantAutoscalingList
	var opts []client.ListOption
	where := "in namespace " + namespace
	if f.allNamespaces {
		where = "in any namespace"
	} else {
		opts = append(opts, client.InNamespace(namespace))
	}
	if err := c.List(ctx, &list, opts...); err != nil {
		return false, fmt.Errorf("listing VariantAutoscalings %s: %w", where, err)
	}
	cmKey := types.NamespacedName{Namespace: cmp.Or(f.config.namespace, options.DefaultConfigMapNamespace), Name: f.config.name}
	live, liveLine, err := readLive(ctx, c, cmKey)
	if err != nil {
		return false, err
	}

	w := env.Stdout
	if note != "" {
		_, _ = fmt.Fprintf(w, "note: %s\n", note)
	}
	_, _ = fmt.Fprintln(w, "Live:      "+liveLine)
	_, _ = fmt.Fprintf(w, "Candidate: ConfigMap %s (%s, %s)\n", cms[0].ref(), f.file, cms[0].at)
	if n := len(cand.Errors()); n > 0 {
		_, _ = fmt.Fprintf(w, "note: %s of the candidate skipped; kubectl wva validate -f %s shows why\n",
			plural(n, "entry is", "entries are"), f.file)
	}
	if metrics != nil {
		_, _ = fmt.Fprintf(w, "Metrics:   Prometheus %s, per pod\n", f.prometheusURL)
	} else {
		_, _ = fmt.Fprintln(w, "Metrics:   status.lastAnalysis of each model (aggregates: replicas reconstructed at the average load)")
	}
	if len(list.Items) == 0 {
		_, _ = fmt.Fprintf(w, "\nNo VariantAutoscaling %s.\n", where)
		return false, nil
	}

	rows, err := analyseModels(ctx, list.Items, metrics, live, cand)
	if err != nil {
		return false, err
	}
	return writeWhatIf(w, rows), nil
}

// readLive reads the live ConfigMap; a missing one means the built-in
// defaults, as in the controller.
func readLive(ctx context.Context, c client.Reader, key types.NamespacedName) (*capacity.Snapshot, string, error) {
	cm := &corev1.ConfigMap{}
	err := c.Get(ctx, key, cm)
	switch {
	case apierrors.IsNotFound(err):
		return capacity.Builtin(), fmt.Sprintf("ConfigMap %s not found: built-in defaults", key), nil
	case err != nil:
		return nil, "", fmt.Errorf("reading ConfigMap %s: %w", key, err)
	}
	return capacity.Parse(cm.Data, cm.ResourceVersion), fmt.Sprintf("ConfigMap %s (resourceVersion %s)", key, cm.ResourceVersion), nil
}

// writeWhatIf writes the table and its notes and reports whether a desired
// replica count would change.
func writeWhatIf(w io.Writer, rows []whatIfRow) bool {
	table := [][]string{{"VA", "CURRENT", "DESIRED NOW", "DESIRED WITH CANDIDATE", "THRESHOLDS THAT CHANGE"}}
	changed := false
	var notes []string
	for _, r := range rows {
		table = append(table, []string{r.va, strconv.Itoa(int(r.current)), r.now.String(), r.candidate.String(), r.thresholds})
		if r.now.effective(r.current) != r.candidate.effective(r.current) {
			changed = true
			if r.now.reason != "" && r.candidate.reason != "" {
				notes = append(notes, fmt.Sprintf("%s: now: %s", r.va, r.now.reason),
					fmt.Sprintf("%s: with the candidate: %s", r.va, r.candidate.reason))
			}
		}
		for _, n := range slices.Compact([]string{r.noteNow, r.noteWithIt}) {
			if n != "" {
				notes = append(notes, fmt.Sprintf("%s: %s", r.va, n))
			}
		}
	}
	_, _ = fmt.Fprintln(w)
	writeTable(w, "", table)
	if len(notes) > 0 {
		_, _ = fmt.Fprintln(w)
		for _, n := range notes {
			_, _ = fmt.Fprintf(w, "note: %s\n", n)
		}
	}
	_, _ = fmt.Fprintln(w)
	if changed {
		_, _ = fmt.Fprintln(w, "The candidate changes the desired replicas of at least one VariantAutoscaling.")
	} else {
		_, _ = fmt.Fprintln(w, "The candidate changes no desired replicas.")
	}
	return changed
}

// thresholdChanges lists the thresholds that differ between two
// configurations, as "kvCacheThreshold 0.80->0.70", or "none".
func thresholdChanges(a, b capacity.CapacityScalingConfig) string {
	var out []string
	if a.KvCacheThreshold != b.KvCacheThreshold {
		out = append(out, fmt.Sprintf("kvCacheThreshold %s->%s", capacity.FormatDecimal(a.KvCacheThreshold), capacity.FormatDecimal(b.KvCacheThreshold)))
	}
	if a.QueueLengthThreshold != b.QueueLengthThreshold {
		out = append(out, fmt.Sprintf("queueLengthThreshold %d->%d", a.QueueLengthThreshold, b.QueueLengthThreshold))
	}
	if a.KvSpareTrigger != b.KvSpareTrigger {
		out = append(out, fmt.Sprintf("kvSpareTrigger %s->%s", capacity.FormatDecimal(a.KvSpareTrigger), capacity.FormatDecimal(b.KvSpareTrigger)))
	}
	if a.QueueSpareTrigger != b.QueueSpareTrigger {
		out = append(out, fmt.Sprintf("queueSpareTrigger %d->%d", a.QueueSpareTrigger, b.QueueSpareTrigger))
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// newPrometheus is the what-if's metrics source: the --prometheus-* flags
// are the controller's, so that the command reaches the Prometheus the
// controller reads, behind the same TLS and credentials.
func newPrometheus(env Env, baseURL string, timeout time.Duration, o metricsource.HTTPOptions) (*metricsource.Prometheus, error) {
	var problems []string
	o.Validate(func(flagName string, value any, why string) {
		problems = append(problems, options.InvalidFlag(flagName, value, why).Error())
	})
	if len(problems) > 0 {
		return nil, usageError{strings.Join(problems, "; ")}
	}
	if o.InsecureSkipVerify {
		_, _ = fmt.Fprintf(env.Stderr, "Warning: --%s: the Prometheus server's certificate is not verified\n",
			metricsource.FlagInsecureSkipVerify)
	}
	rt, err := o.RoundTripper(logr.Discard())
	if err != nil {
		return nil, inputError{err}
	}
	p, err := metricsource.NewPrometheus(baseURL, timeout, rt)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return p, nil
}
