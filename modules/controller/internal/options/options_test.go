package options

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wva-project/wva/modules/controller/internal/metricsource"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestParse(t *testing.T) {
	defaults := Defaults(env(nil))
	cases := map[string]struct {
		args []string
		env  map[string]string
		want func(o *Options)
	}{
		"no flags": {
			want: func(*Options) {},
		},
		"namespace from POD_NAMESPACE": {
			env:  map[string]string{NamespaceEnv: "wva"},
			want: func(o *Options) { o.ConfigMapNamespace = "wva" },
		},
		"flag wins over POD_NAMESPACE": {
			args: []string{"--capacity-config-namespace=other"},
			env:  map[string]string{NamespaceEnv: "wva"},
			want: func(o *Options) { o.ConfigMapNamespace = "other" },
		},
		"every flag": {
			args: []string{
				"--metrics-bind-address=:8080", "--metrics-secure=false", "--health-probe-bind-address=:9090",
				"--leader-elect", "--capacity-config-name=cfg", "--prometheus-url=https://prom.example:9090/prefix",
				"--prometheus-timeout=2s", "--reconcile-interval=10s", "--scale-down-stabilization=0s",
				"--startup-grace-period=90s", "--metrics-scrape-interval=5s",
				"--actuation=metrics", "--max-concurrent-reconciles=8", "--kube-api-qps=5", "--kube-api-burst=10",
				"--kubeconfig=/tmp/kc", "--config-admission=enforce", "--webhook-port=10443",
				"--webhook-service=svc", "--webhook-cert-secret=sec", "--webhook-configuration=vwc",
			},
			want: func(o *Options) {
				o.MetricsBindAddress, o.MetricsSecure, o.HealthProbeBindAddress = ":8080", false, ":9090"
				o.LeaderElect, o.ConfigMapName = true, "cfg"
				o.PrometheusURL, o.PrometheusTimeout = "https://prom.example:9090/prefix", 2*time.Second
				o.ReconcileInterval, o.ScaleDownStabilization = 10*time.Second, 0
				o.StartupGracePeriod, o.MetricsScrapeInterval = 90*time.Second, 5*time.Second
				o.Actuation, o.MaxConcurrentReconciles = ActuationMetrics, 8
				o.KubeAPIQPS, o.KubeAPIBurst, o.Kubeconfig = 5, 10, "/tmp/kc"
				o.ConfigAdmission, o.WebhookPort = ConfigAdmissionEnforce, 10443
				o.WebhookService, o.WebhookSecret, o.WebhookConfiguration = "svc", "sec", "vwc"
			},
		},
		"Prometheus behind TLS with a token and a tenant header": {
			args: []string{
				"--prometheus-url=https://thanos-querier.openshift-monitoring.svc:9091",
				"--prometheus-ca-file=/etc/prometheus-ca/service-ca.crt",
				"--prometheus-bearer-token-file=/var/run/secrets/tokens/prometheus",
				"--prometheus-header=X-Scope-OrgID=team-a", "--prometheus-header=X-Extra=1",
			},
			want: func(o *Options) {
				o.PrometheusURL = "https://thanos-querier.openshift-monitoring.svc:9091"
				o.PrometheusHTTP = metricsource.HTTPOptions{
					CAFile:          "/etc/prometheus-ca/service-ca.crt",
					BearerTokenFile: "/var/run/secrets/tokens/prometheus",
					Headers:         metricsource.Headers{{Name: "X-Scope-Orgid", Value: "team-a"}, {Name: "X-Extra", Value: "1"}},
				}
			},
		},
		"Prometheus with basic auth, certificate not verified": {
			args: []string{"--prometheus-basic-auth-username=wva", "--prometheus-basic-auth-password-file=/etc/wva/password",
				"--prometheus-insecure-skip-verify"},
			want: func(o *Options) {
				o.PrometheusHTTP = metricsource.HTTPOptions{BasicAuthUsername: "wva", BasicAuthPasswordFile: "/etc/wva/password", InsecureSkipVerify: true}
			},
		},
		"admission off needs no webhook names": {
			args: []string{"--config-admission=off", "--webhook-port=0", "--webhook-cert-secret="},
			want: func(o *Options) { o.ConfigAdmission, o.WebhookPort, o.WebhookSecret = ConfigAdmissionOff, 0, "" },
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tc.args, env(tc.env), io.Discard)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.args, err)
			}
			want := defaults
			tc.want(&want)
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Options{}, "Zap")); diff != "" {
				t.Errorf("Parse(%q): -want +got:\n%s", tc.args, diff)
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	got := Defaults(env(nil))
	want := Options{
		MetricsBindAddress: ":8443", MetricsSecure: true, HealthProbeBindAddress: ":8081",
		ConfigMapName: "capacity-scaling-config", ConfigMapNamespace: "workload-variant-autoscaler-system",
		PrometheusTimeout: 5 * time.Second, ReconcileInterval: 30 * time.Second,
		ScaleDownStabilization: 5 * time.Minute, StartupGracePeriod: 5 * time.Minute, MetricsScrapeInterval: 30 * time.Second,
		Actuation:               ActuationScale,
		MaxConcurrentReconciles: 16, KubeAPIQPS: 500, KubeAPIBurst: 2000,
		ConfigAdmission: ConfigAdmissionWarn, WebhookPort: 9443,
		WebhookService: "wva-webhook-service", WebhookSecret: "wva-webhook-cert",
		WebhookConfiguration: "wva-capacity-config-validation",
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Options{}, "Zap")); diff != "" {
		t.Errorf("Defaults: -want +got:\n%s", diff)
	}
}

// TestParseRejects checks that each bad value fails with an error naming the
// flag and the value.
func TestParseRejects(t *testing.T) {
	cases := map[string]struct {
		args      []string
		wantFlag  string
		wantValue string
	}{
		"unknown actuation":        {args: []string{"--actuation=hpa"}, wantFlag: "actuation", wantValue: `"hpa"`},
		"unparsable interval":      {args: []string{"--reconcile-interval=soon"}, wantFlag: "reconcile-interval", wantValue: `"soon"`},
		"zero interval":            {args: []string{"--reconcile-interval=0s"}, wantFlag: "--reconcile-interval", wantValue: `"0s"`},
		"negative stabilization":   {args: []string{"--scale-down-stabilization=-1m"}, wantFlag: "--scale-down-stabilization", wantValue: `"-1m0s"`},
		"negative grace":           {args: []string{"--startup-grace-period=-1s"}, wantFlag: "--startup-grace-period", wantValue: `"-1s"`},
		"negative scrape interval": {args: []string{"--metrics-scrape-interval=-1s"}, wantFlag: "--metrics-scrape-interval", wantValue: `"-1s"`},
		"relative prometheus url":  {args: []string{"--prometheus-url=prometheus:9090"}, wantFlag: "--prometheus-url", wantValue: `"prometheus:9090"`},
		"ftp prometheus url":       {args: []string{"--prometheus-url=ftp://prom"}, wantFlag: "--prometheus-url", wantValue: `"ftp://prom"`},
		"zero prometheus timeout":  {args: []string{"--prometheus-timeout=0s"}, wantFlag: "--prometheus-timeout", wantValue: `"0s"`},
		"empty configmap name":     {args: []string{"--capacity-config-name="}, wantFlag: "--capacity-config-name", wantValue: `""`},
		"empty namespace":          {args: []string{"--capacity-config-namespace="}, wantFlag: "--capacity-config-namespace", wantValue: `""`},
		"zero concurrency":         {args: []string{"--max-concurrent-reconciles=0"}, wantFlag: "--max-concurrent-reconciles", wantValue: `"0"`},
		"zero qps":                 {args: []string{"--kube-api-qps=0"}, wantFlag: "--kube-api-qps", wantValue: `"0"`},
		"zero burst":               {args: []string{"--kube-api-burst=0"}, wantFlag: "--kube-api-burst", wantValue: `"0"`},
		"bad zap level":            {args: []string{"--zap-log-level=loud"}, wantFlag: "zap-log-level", wantValue: `"loud"`},
		"unknown admission mode":   {args: []string{"--config-admission=strict"}, wantFlag: "config-admission", wantValue: `"strict"`},
		"webhook port too big":     {args: []string{"--webhook-port=70000"}, wantFlag: "--webhook-port", wantValue: `"70000"`},
		"webhook port zero":        {args: []string{"--webhook-port=0"}, wantFlag: "--webhook-port", wantValue: `"0"`},
		"empty webhook secret":     {args: []string{"--webhook-cert-secret="}, wantFlag: "--webhook-cert-secret", wantValue: `""`},
		"empty webhook service":    {args: []string{"--webhook-service="}, wantFlag: "--webhook-service", wantValue: `""`},
		"empty webhook config":     {args: []string{"--webhook-configuration="}, wantFlag: "--webhook-configuration", wantValue: `""`},
		"malformed header":         {args: []string{"--prometheus-header=X-Scope-OrgID"}, wantFlag: "prometheus-header", wantValue: "want NAME=VALUE"},
		"token and basic auth": {
			args:     []string{"--prometheus-bearer-token-file=/t", "--prometheus-basic-auth-username=u", "--prometheus-basic-auth-password-file=/p"},
			wantFlag: "--prometheus-bearer-token-file", wantValue: `"/t"`,
		},
		"insecure with a CA":  {args: []string{"--prometheus-insecure-skip-verify", "--prometheus-ca-file=/ca"}, wantFlag: "--prometheus-insecure-skip-verify", wantValue: "excludes --prometheus-ca-file"},
		"positional argument": {args: []string{"extra"}, wantFlag: "takes flags only", wantValue: `"extra"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(tc.args, env(nil), io.Discard)
			if err == nil {
				t.Fatalf("Parse(%q): no error", tc.args)
			}
			for _, want := range []string{tc.wantFlag, tc.wantValue} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Parse(%q) error %q does not name %s", tc.args, err, want)
				}
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse([]string{"--reconcile-interval=0s", "--kube-api-burst=0"}, env(nil), io.Discard)
	for _, want := range []string{"--reconcile-interval", "--kube-api-burst"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse error %v does not name %s", err, want)
		}
	}
}

func TestParseHelp(t *testing.T) {
	var out strings.Builder
	_, err := Parse([]string{"-h"}, env(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Parse(-h) error = %v, want flag.ErrHelp", err)
	}
	for _, name := range []string{"-prometheus-url", "-actuation", "-zap-log-level", "-scale-down-stabilization", "-config-admission"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("usage does not list %s", name)
		}
	}
}

func TestSettlePeriod(t *testing.T) {
	o := Defaults(func(string) string { return "" })
	o.MetricsScrapeInterval, o.ReconcileInterval = 15*time.Second, 10*time.Second
	if got := o.SettlePeriod(); got != 25*time.Second {
		t.Errorf("SettlePeriod = %s, want 25s (one scrape interval plus one reconcile interval)", got)
	}
}
