package options

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/wva-project/wva/modules/controller/internal/metricsource"
)

// Names and defaults shared with the manifests (deploy/kustomize/base).
const (
	DefaultConfigMapName      = "capacity-scaling-config"
	DefaultConfigMapNamespace = "workload-variant-autoscaler-system"
	// NamespaceEnv is the environment variable (set from the downward API)
	// that provides the default of --capacity-config-namespace.
	NamespaceEnv = "POD_NAMESPACE"

	// Objects of the admission webhook (deploy/kustomize/base/webhook). The
	// controller may read and write only these, by name.
	DefaultWebhookService       = "wva-webhook-service"
	DefaultWebhookSecret        = "wva-webhook-cert"
	DefaultWebhookConfiguration = "wva-capacity-config-validation"
)

// ConfigAdmission is what the validating webhook does with a
// capacity-scaling-config ConfigMap that has invalid entries.
type ConfigAdmission string

const (
	// ConfigAdmissionWarn admits it with one warning per problem: the
	// runtime rule (skip the bad entry, keep the good ones) stays in charge.
	ConfigAdmissionWarn ConfigAdmission = "warn"
	// ConfigAdmissionEnforce rejects it, giving every reason.
	ConfigAdmissionEnforce ConfigAdmission = "enforce"
	// ConfigAdmissionOff serves no webhook and manages no certificate.
	ConfigAdmissionOff ConfigAdmission = "off"
)

// Actuation is how a decision reaches the workload.
type Actuation string

const (
	// ActuationScale writes spec.replicas through the target's /scale subresource.
	ActuationScale Actuation = "scale"
	// ActuationMetrics only publishes wva_desired_replicas for an HPA or KEDA.
	ActuationMetrics Actuation = "metrics"
)

// Options are the settings of one wva-controller process.
type Options struct {
	MetricsBindAddress      string
	MetricsSecure           bool
	HealthProbeBindAddress  string
	LeaderElect             bool
	ConfigMapName           string
	ConfigMapNamespace      string
	PrometheusURL           string
	PrometheusTimeout       time.Duration
	PrometheusHTTP          metricsource.HTTPOptions
	ReconcileInterval       time.Duration
	ScaleDownStabilization  time.Duration
	StartupGracePeriod      time.Duration
	MetricsScrapeInterval   time.Duration
	Actuation               Actuation
	MaxConcurrentReconciles int
	KubeAPIQPS              float64
	KubeAPIBurst            int
	Kubeconfig              string
	ConfigAdmission         ConfigAdmission
	WebhookPort             int
	WebhookService          string
	WebhookSecret           string
	WebhookConfiguration    string
	Zap                     zap.Options
}

// Defaults returns the options of a process started without flags.
func Defaults(getenv func(string) string) Options {
	ns := getenv(NamespaceEnv)
	if ns == "" {
		ns = DefaultConfigMapNamespace
	}
	// The client limits and concurrency are sized by `make bench-scale`
	// (docs/performance.md): a ConfigMap change costs two requests per
	// VariantAutoscaling (its status write and its model's /scale read), so
	// the burst lets 1,000 of them through unthrottled, the QPS holds the
	// steady state of 5,000 (about 170 requests/s) with room, and 16 workers
	// keep enough writes in flight while each waits 10-20 ms on the server.
	return Options{
		MetricsBindAddress:      ":8443",
		MetricsSecure:           true,
		HealthProbeBindAddress:  ":8081",
		ConfigMapName:           DefaultConfigMapName,
		ConfigMapNamespace:      ns,
		PrometheusTimeout:       5 * time.Second,
		ReconcileInterval:       30 * time.Second,
		ScaleDownStabilization:  5 * time.Minute,
		StartupGracePeriod:      5 * time.Minute,
		MetricsScrapeInterval:   30 * time.Second,
		Actuation:               ActuationScale,
		MaxConcurrentReconciles: 16,
		KubeAPIQPS:              500,
		KubeAPIBurst:            2000,
		ConfigAdmission:         ConfigAdmissionWarn,
		WebhookPort:             9443,
		WebhookService:          DefaultWebhookService,
		WebhookSecret:           DefaultWebhookSecret,
		WebhookConfiguration:    DefaultWebhookConfiguration,
	}
}

// SettlePeriod is how long a replica that became Ready still counts as in
// flight: one scrape interval plus one reconcile interval.
func (o Options) SettlePeriod() time.Duration { return o.MetricsScrapeInterval + o.ReconcileInterval }

// Parse reads args (without the program name) over the defaults, then
// validates the result. Errors name the offending flag and value; -h/--help
// yields flag.ErrHelp after printing the usage to output.
func Parse(args []string, getenv func(string) string, output io.Writer) (Options, error) {
	o := Defaults(getenv)
	fs := flag.NewFlagSet("wva-controller", flag.ContinueOnError)
	fs.SetOutput(output)
	o.bind(fs)
	if err := fs.Parse(args); err != nil {
		return Options{}, err
	}
	if fs.NArg() > 0 {
		return Options{}, fmt.Errorf("unexpected argument %q: wva-controller takes flags only", fs.Arg(0))
	}
	if err := o.Validate(); err != nil {
		return Options{}, err
	}
	return o, nil
}

func (o *Options) bind(fs *flag.FlagSet) {
	fs.StringVar(&o.MetricsBindAddress, "metrics-bind-address", o.MetricsBindAddress,
		"Address the metrics endpoint binds to (:8443 for HTTPS, :8080 for HTTP, 0 to disable).")
	fs.BoolVar(&o.MetricsSecure, "metrics-secure", o.MetricsSecure,
		"Serve metrics over HTTPS with authentication and authorization (TokenReview and SubjectAccessReview).")
	fs.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", o.HealthProbeBindAddress,
		"Address the /healthz and /readyz endpoints bind to.")
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect,
		"Enable leader election, so that only one replica reconciles at a time.")
	fs.StringVar(&o.ConfigMapName, "capacity-config-name", o.ConfigMapName,
		"Name of the capacity scaling ConfigMap; the controller caches and may read only this ConfigMap.")
	fs.StringVar(&o.ConfigMapNamespace, "capacity-config-namespace", o.ConfigMapNamespace,
		"Namespace of the capacity scaling ConfigMap (default: $"+NamespaceEnv+", else "+DefaultConfigMapNamespace+").")
	fs.StringVar(&o.PrometheusURL, "prometheus-url", o.PrometheusURL,
		"Base URL of the Prometheus HTTP API, e.g. http://prometheus.monitoring:9090. Empty: no metrics source, nothing is scaled.")
	fs.DurationVar(&o.PrometheusTimeout, "prometheus-timeout", o.PrometheusTimeout,
		"Timeout of one Prometheus query.")
	o.PrometheusHTTP.BindFlags(fs)
	fs.DurationVar(&o.ReconcileInterval, "reconcile-interval", o.ReconcileInterval,
		"How often every VariantAutoscaling is re-analysed.")
	fs.DurationVar(&o.ScaleDownStabilization, "scale-down-stabilization", o.ScaleDownStabilization,
		"How long scaling down must stay safe before a replica is removed (0 scales down at once).")
	fs.DurationVar(&o.StartupGracePeriod, "startup-grace-period", o.StartupGracePeriod,
		"How long a replica that is not Ready yet counts as starting: capacity in flight, which holds further scale-up of its model. "+
			"After it, the replica counts as missing metrics (it blocks scale-down, never scale-up).")
	fs.DurationVar(&o.MetricsScrapeInterval, "metrics-scrape-interval", o.MetricsScrapeInterval,
		"How often Prometheus scrapes the model servers. A replica Ready for less than one scrape interval plus one "+
			"--reconcile-interval is still capacity in flight: its metrics do not show its share of the load yet.")
	fs.Var(&actuationValue{&o.Actuation}, "actuation",
		"How decisions are applied: 'scale' writes the target's /scale subresource, 'metrics' only publishes wva_desired_replicas.")
	fs.IntVar(&o.MaxConcurrentReconciles, "max-concurrent-reconciles", o.MaxConcurrentReconciles,
		"Number of VariantAutoscalings reconciled in parallel.")
	fs.Float64Var(&o.KubeAPIQPS, "kube-api-qps", o.KubeAPIQPS,
		"Queries per second the controller may send to the Kubernetes API server.")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", o.KubeAPIBurst,
		"Burst of queries the controller may send to the Kubernetes API server.")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig,
		"Path to a kubeconfig; empty: $KUBECONFIG, in-cluster config, then ~/.kube/config.")
	fs.Var(&admissionValue{&o.ConfigAdmission}, "config-admission",
		"What the validating webhook does with a capacity-scaling-config that has invalid entries: "+
			"'warn' admits it with a warning per problem, 'enforce' rejects it, 'off' serves no webhook.")
	fs.IntVar(&o.WebhookPort, "webhook-port", o.WebhookPort,
		"Port the admission webhook server listens on (HTTPS, with a certificate the controller manages).")
	fs.StringVar(&o.WebhookService, "webhook-service", o.WebhookService,
		"Name of the Service in front of the webhook server, in the serving certificate's DNS names.")
	fs.StringVar(&o.WebhookSecret, "webhook-cert-secret", o.WebhookSecret,
		"Name of the Secret, in --capacity-config-namespace, that holds the webhook's CA and serving certificate.")
	fs.StringVar(&o.WebhookConfiguration, "webhook-configuration", o.WebhookConfiguration,
		"Name of the ValidatingWebhookConfiguration whose caBundle the controller keeps current.")
	o.Zap = zap.Options{}
	o.Zap.BindFlags(fs)
}

// InvalidFlag is the error of an invalid flag value, naming the flag and
// the value: the controller's and the kubectl plugin's wording.
func InvalidFlag(flagName string, value any, why string) error {
	return fmt.Errorf("invalid value %q for flag --%s: %s", fmt.Sprint(value), flagName, why)
}

// Validate reports every invalid option, each naming its flag and value.
func (o *Options) Validate() error {
	var errs []error
	bad := func(flagName string, value any, why string) {
		errs = append(errs, InvalidFlag(flagName, value, why))
	}
	if o.ConfigMapName == "" {
		bad("capacity-config-name", o.ConfigMapName, "must not be empty")
	}
	if o.ConfigMapNamespace == "" {
		bad("capacity-config-namespace", o.ConfigMapNamespace, "must not be empty")
	}
	if o.PrometheusURL != "" {
		if u, err := url.Parse(o.PrometheusURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("prometheus-url", o.PrometheusURL, "must be an absolute http:// or https:// URL")
		}
	}
	if o.PrometheusTimeout <= 0 {
		bad("prometheus-timeout", o.PrometheusTimeout, "must be positive")
	}
	o.PrometheusHTTP.Validate(bad)
	if o.ReconcileInterval <= 0 {
		bad("reconcile-interval", o.ReconcileInterval, "must be positive")
	}
	if o.ScaleDownStabilization < 0 {
		bad("scale-down-stabilization", o.ScaleDownStabilization, "must not be negative")
	}
	if o.StartupGracePeriod < 0 {
		bad("startup-grace-period", o.StartupGracePeriod, "must not be negative")
	}
	if o.MetricsScrapeInterval < 0 {
		bad("metrics-scrape-interval", o.MetricsScrapeInterval, "must not be negative")
	}
	if o.Actuation != ActuationScale && o.Actuation != ActuationMetrics {
		bad("actuation", o.Actuation, "must be one of scale, metrics")
	}
	if o.MaxConcurrentReconciles < 1 {
		bad("max-concurrent-reconciles", o.MaxConcurrentReconciles, "must be at least 1")
	}
	if o.KubeAPIQPS <= 0 {
		bad("kube-api-qps", o.KubeAPIQPS, "must be positive")
	}
	if o.KubeAPIBurst < 1 {
		bad("kube-api-burst", o.KubeAPIBurst, "must be at least 1")
	}
	if o.ConfigAdmission != ConfigAdmissionWarn && o.ConfigAdmission != ConfigAdmissionEnforce && o.ConfigAdmission != ConfigAdmissionOff {
		bad("config-admission", o.ConfigAdmission, "must be one of warn, enforce, off")
	}
	if o.ConfigAdmission != ConfigAdmissionOff {
		if o.WebhookPort < 1 || o.WebhookPort > 65535 {
			bad("webhook-port", o.WebhookPort, "must be between 1 and 65535")
		}
		for _, f := range [...]struct{ name, value string }{
			{"webhook-service", o.WebhookService},
			{"webhook-cert-secret", o.WebhookSecret},
			{"webhook-configuration", o.WebhookConfiguration},
		} {
			if f.value == "" {
				bad(f.name, f.value, "must not be empty unless --config-admission=off")
			}
		}
	}
	return errors.Join(errs...)
}

// actuationValue is a flag.Value that accepts only the known actuation modes,
// so a typo fails at parse time with the flag package's own message.
type actuationValue struct{ target *Actuation }

func (v *actuationValue) String() string {
	if v == nil || v.target == nil {
		return ""
	}
	return string(*v.target)
}

func (v *actuationValue) Set(s string) error {
	switch a := Actuation(s); a {
	case ActuationScale, ActuationMetrics:
		*v.target = a
		return nil
	default:
		return errors.New("must be one of scale, metrics")
	}
}

// admissionValue is a flag.Value that accepts only the known admission modes.
type admissionValue struct{ target *ConfigAdmission }

func (v *admissionValue) String() string {
	if v == nil || v.target == nil {
		return ""
	}
	return string(*v.target)
}

func (v *admissionValue) Set(s string) error {
	switch m := ConfigAdmission(s); m {
	case ConfigAdmissionWarn, ConfigAdmissionEnforce, ConfigAdmissionOff:
		*v.target = m
		return nil
	default:
		return errors.New("must be one of warn, enforce, off")
	}
}
