package wvactl

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/options"
)

// ClusterFlags select the cluster, as kubectl's flags of the same names do.
type ClusterFlags struct {
	// Kubeconfig is the kubeconfig file; empty means the standard loading
	// rules ($KUBECONFIG, ~/.kube/config, then the in-cluster config).
	Kubeconfig string
	// Context is the kubeconfig context; empty means the current one.
	Context string
}

// NewClusterClient returns a client for the cluster f selects, with the
// loading rules kubectl uses, and the namespace of the selected context
// ("default" when it names none).
func NewClusterClient(f ClusterFlags) (client.Reader, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.Kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: f.Context})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("loading the kubeconfig: %w", err)
	}
	namespace, _, err := cc.Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("loading the kubeconfig: %w", err)
	}
	cfg.UserAgent = "kubectl-wva"
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		return nil, "", err
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, "", err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, "", fmt.Errorf("creating the client: %w", err)
	}
	return c, namespace, nil
}

// explainVariant explains the configuration of a VariantAutoscaling in the
// cluster: it reads the object and the live ConfigMap, and compares the
// object's status.appliedConfig with what that ConfigMap gives now.
func explainVariant(env Env, f explainFlags, positional []string) error {
	switch {
	case len(positional) != 1:
		return usageError{"give the name of one VariantAutoscaling, or -f FILE with --model"}
	case f.model != "":
		return usageError{"--model is read from the VariantAutoscaling's spec.modelID; use it with -f"}
	}
	c, namespace, err := env.NewClient(f.cluster)
	if err != nil {
		return err
	}
	if f.namespace != "" {
		namespace = f.namespace
	}
	if namespace == "" {
		namespace = "default"
	}
	cmKey := types.NamespacedName{Namespace: f.config.namespace, Name: f.config.name}
	if cmKey.Namespace == "" {
		cmKey.Namespace = options.DefaultConfigMapNamespace
	}

	ctx := context.Background()
	va := &v1alpha1.VariantAutoscaling{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: positional[0]}, va); err != nil {
		return fmt.Errorf("reading VariantAutoscaling %s/%s: %w", namespace, positional[0], err)
	}
	cm := &corev1.ConfigMap{}
	found := true
	if err := c.Get(ctx, cmKey, cm); apierrors.IsNotFound(err) {
		found = false
	} else if err != nil {
		return fmt.Errorf("reading ConfigMap %s: %w", cmKey, err)
	}

	w := env.Stdout
	_, _ = fmt.Fprintf(w, "VariantAutoscaling %s/%s: spec.modelID %s\n", va.Namespace, va.Name, va.Spec.ModelID)
	snap := capacity.Builtin()
	if found {
		snap = capacity.Parse(cm.Data, cm.ResourceVersion)
		_, _ = fmt.Fprintf(w, "ConfigMap %s (resourceVersion %s)\n", cmKey, cm.ResourceVersion)
	} else {
		_, _ = fmt.Fprintf(w, "ConfigMap %s not found: every model uses the built-in defaults\n", cmKey)
	}
	writeExplanation(w, snap, cm.Data, va.Spec.ModelID, va.Namespace, f.at)
	if f.timeline {
		writeTimeline(w, snap, va.Spec.ModelID, va.Namespace, f.at)
	}
	// The status is the controller's view now, whatever --at asks.
	writeStatusComparison(w, va.Status.AppliedConfig, snap.ResolveAt(va.Spec.ModelID, va.Namespace, env.Now()), snap.Version())
	return nil
}

// writeStatusComparison writes the VariantAutoscaling's applied
// configuration and how it differs from what the live ConfigMap (at
// resourceVersion version) gives now.
func writeStatusComparison(w io.Writer, applied v1alpha1.AppliedCapacityConfig, live capacity.Resolution, version string) {
	_, _ = fmt.Fprintln(w)
	if applied.IsZero() {
		_, _ = fmt.Fprintln(w, "status.appliedConfig: none yet (the controller has not reconciled this VariantAutoscaling)")
		return
	}
	_, _ = fmt.Fprintf(w, "status.appliedConfig: source %s, ConfigMap resourceVersion %s%s\n",
		applied.Source, orNone(applied.ConfigMapResourceVersion), statusWindow(applied))

	var diffs [][3]string
	add := func(field, status, now string) { diffs = append(diffs, [3]string{field, status, now}) }
	if applied.Source != string(live.Source) {
		add("source", applied.Source, string(live.Source))
	}
	if applied.Window != live.Window {
		add("window", applied.Window, live.Window)
	}
	if got, want := windowEnds(applied), liveWindowEnds(live); got != want {
		add("windowEnds", got, want)
	}
	if applied.ConfigMapResourceVersion != version {
		add("configMapResourceVersion", applied.ConfigMapResourceVersion, version)
	}
	if !sameDecimal(applied.KvCacheThreshold, live.Config.KvCacheThreshold) {
		add("kvCacheThreshold", applied.KvCacheThreshold, capacity.FormatDecimal(live.Config.KvCacheThreshold))
	}
	if int(applied.QueueLengthThreshold) != live.Config.QueueLengthThreshold {
		add("queueLengthThreshold", strconv.Itoa(int(applied.QueueLengthThreshold)), strconv.Itoa(live.Config.QueueLengthThreshold))
	}
	if !sameDecimal(applied.KvSpareTrigger, live.Config.KvSpareTrigger) {
		add("kvSpareTrigger", applied.KvSpareTrigger, capacity.FormatDecimal(live.Config.KvSpareTrigger))
	}
	if int(applied.QueueSpareTrigger) != live.Config.QueueSpareTrigger {
		add("queueSpareTrigger", strconv.Itoa(int(applied.QueueSpareTrigger)), strconv.Itoa(live.Config.QueueSpareTrigger))
	}
	if len(diffs) == 0 {
		_, _ = fmt.Fprintln(w, "The status matches what the live ConfigMap gives now.")
		return
	}
	_, _ = fmt.Fprintln(w, "The status differs from what the live ConfigMap gives now "+
		"(the controller has not applied the change yet, or it reads another ConfigMap):")
	for _, d := range diffs {
		_, _ = fmt.Fprintf(w, "  %s: %s in status, %s now\n", d[0], orNone(d[1]), orNone(d[2]))
	}
}

// statusWindow describes the window of an applied configuration, "" when
// none applies.
func statusWindow(a v1alpha1.AppliedCapacityConfig) string {
	if a.Window == "" {
		return ""
	}
	return fmt.Sprintf(", window %s until %s", a.Window, orNone(windowEnds(a)))
}

func windowEnds(a v1alpha1.AppliedCapacityConfig) string {
	if a.WindowEnds == nil {
		return ""
	}
	return a.WindowEnds.UTC().Format(time.RFC3339)
}

// liveWindowEnds is the end of the live window as status records it (UTC,
// to the second).
func liveWindowEnds(r capacity.Resolution) string {
	if r.Window == "" {
		return ""
	}
	return r.WindowEnd.UTC().Format(time.RFC3339)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// sameDecimal reports whether a decimal string of the status is the value
// v. The controller writes fractions with two decimals, so a value within
// half a hundredth counts as the same.
func sameDecimal(status string, v float64) bool {
	f, err := strconv.ParseFloat(status, 64)
	return err == nil && math.Abs(f-v) <= 0.005+1e-9
}
