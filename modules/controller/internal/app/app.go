package app

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/actuation"
	"github.com/wva-project/wva/modules/controller/internal/admission/certs"
	"github.com/wva-project/wva/modules/controller/internal/configwatch"
	"github.com/wva-project/wva/modules/controller/internal/controller"
	"github.com/wva-project/wva/modules/controller/internal/metricsource"
	"github.com/wva-project/wva/modules/controller/internal/options"
	"github.com/wva-project/wva/modules/controller/internal/telemetry"
	"github.com/wva-project/wva/modules/controller/internal/workloadcache"
)

// LeaderElectionID names the Lease the replicas compete for.
const LeaderElectionID = "wva-controller.llmd.ai"

// EventReporter is the reportingController of the events the controller emits.
const EventReporter = "wva-controller"

// Setup is what a manager is built from.
type Setup struct {
	Options    options.Options
	RestConfig *rest.Config
	Logger     logr.Logger
	// Registry receives the controller's own metrics; nil means
	// controller-runtime's registry, which /metrics serves.
	Registry prometheus.Registerer
	// MetricsSource replaces the source built from Options (tests inject a
	// metricsource.Static here); nil means Prometheus when --prometheus-url
	// is set, else none.
	MetricsSource metricsource.Source
	Clock         clock.Clock
	// SkipNameValidation allows several managers in one process (tests).
	SkipNameValidation bool
}

// Scheme returns the scheme of every type the controller reads or writes.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("adding client-go types to the scheme: %w", err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("adding %s to the scheme: %w", v1alpha1.GroupVersion, err)
	}
	return s, nil
}

// NewManager builds the manager, performs the startup read of the
// ConfigMap (uncached, before the manager starts) and registers the
// controller. The caller starts the manager.
func NewManager(ctx context.Context, s Setup) (ctrl.Manager, error) {
	o := s.Options
	if s.Clock == nil {
		s.Clock = clock.RealClock{}
	}
	if s.Registry == nil {
		s.Registry = ctrlmetrics.Registry
	}
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	key := types.NamespacedName{Namespace: o.ConfigMapNamespace, Name: o.ConfigMapName}
	webhookCerts := &certs.Manager{}
	// Reads the ConfigMap through the API while the watches recover from an
	// error; its handler goes into the cache's options and its observer
	// around every request the manager makes, its reader, Reloader and
	// logger once the manager exists.
	resync := configwatch.NewResync(s.Clock)
	restConfig := rest.CopyConfig(s.RestConfig)
	restConfig.Wrap(resync.Observe)
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                        scheme,
		Logger:                        s.Logger,
		Metrics:                       metricsOptions(o),
		HealthProbeBindAddress:        o.HealthProbeBindAddress,
		LeaderElection:                o.LeaderElect,
		LeaderElectionID:              LeaderElectionID,
		LeaderElectionNamespace:       o.ConfigMapNamespace,
		LeaderElectionReleaseOnCancel: true,
		Cache:                         cacheOptions(key, resync.WatchError),
		WebhookServer:                 webhookServer(o, webhookCerts),
		Controller:                    ctrlconfig.Controller{SkipNameValidation: ptr.To(s.SkipNameValidation)},
	})
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	tel, err := telemetry.New(s.Registry)
	if err != nil {
		return nil, err
	}
	source, err := metricsSource(s)
	if err != nil {
		return nil, err
	}
	store := capacity.NewStore(nil)
	loader := &configwatch.Loader{Reader: mgr.GetAPIReader(), Key: key, Store: store, Telemetry: tel}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("capacity-config", loader.ReadyCheck); err != nil {
		return nil, fmt.Errorf("adding readiness check: %w", err)
	}
	if err := controller.SetupIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return nil, err
	}
	// Pods, Deployments and StatefulSets are cached per namespace that
	// holds VariantAutoscalings, not cluster-wide: see package workloadcache.
	workloads := workloadcache.New(mgr.GetConfig(), mgr.GetHTTPClient(), mgr.GetScheme(), mgr.GetRESTMapper())
	if err := mgr.Add(workloads); err != nil {
		return nil, fmt.Errorf("adding the workload cache: %w", err)
	}
	var actuator actuation.Actuator = &actuation.ScaleSubresource{Client: mgr.GetClient()}
	if o.Actuation == options.ActuationMetrics {
		actuator = actuation.MetricsOnly{}
	}
	configLog := mgr.GetLogger().WithName("capacity-config")
	// The ConfigMap watch runs on every replica, leader or not, so that a
	// standby's Store is current when it takes over.
	reloader := &configwatch.Reloader{
		Key: key, Store: store, Informers: mgr.GetCache(), Telemetry: tel, Clock: s.Clock, Log: configLog,
	}
	if err := mgr.Add(reloader); err != nil {
		return nil, fmt.Errorf("adding the ConfigMap watch: %w", err)
	}
	resync.Reader, resync.Reloader, resync.Log = mgr.GetAPIReader(), reloader, configLog
	if err := mgr.Add(resync); err != nil {
		return nil, fmt.Errorf("adding the ConfigMap resync: %w", err)
	}
	// Schedule boundaries requeue what they switch, on the leader.
	scheduler := &configwatch.Scheduler{Store: store, Reloader: reloader, Clock: s.Clock, Log: configLog}
	if err := mgr.Add(scheduler); err != nil {
		return nil, fmt.Errorf("adding the schedule boundary timer: %w", err)
	}
	if err := setupAdmission(mgr, s, key, webhookCerts); err != nil {
		return nil, err
	}
	err = controller.SetupWithManager(mgr, controller.Dependencies{
		Client:        mgr.GetClient(),
		APIReader:     mgr.GetAPIReader(),
		Workloads:     workloads,
		Store:         store,
		MetricsSource: source,
		Actuator:      actuator,
		Recorder:      mgr.GetEventRecorder(EventReporter),
		Telemetry:     tel,
		Clock:         s.Clock,
		Interval:      o.ReconcileInterval,
		Stabilization: o.ScaleDownStabilization,
		Timing: controller.Timing{
			StartupGrace: o.StartupGracePeriod,
			Settle:       o.SettlePeriod(),
		},
		Reloader:                reloader,
		Scheduler:               scheduler,
		MaxConcurrentReconciles: o.MaxConcurrentReconciles,
	})
	if err != nil {
		return nil, err
	}
	loader.Load(ctx, configLog)
	return mgr, nil
}

// Run builds the manager and runs it until ctx is done.
func Run(ctx context.Context, s Setup) error {
	mgr, err := NewManager(ctx, s)
	if err != nil {
		return err
	}
	s.Logger.Info("Starting manager", "actuation", s.Options.Actuation, "configAdmission", s.Options.ConfigAdmission,
		"prometheusURL", s.Options.PrometheusURL, "reconcileInterval", s.Options.ReconcileInterval.String())
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running manager: %w", err)
	}
	return nil
}

// cacheOptions scopes the cache: ConfigMaps are cached for one namespace and
// one name only (the RBAC Role allows nothing else). Pods, Deployments and
// StatefulSets are not in the manager's cache at all: package workloadcache
// holds those of the namespaces in use, slimmed. watchError is told of every
// failed watch of the manager's informers (Resync).
func cacheOptions(key types.NamespacedName, watchError toolscache.WatchErrorHandlerWithContext) cache.Options {
	return cache.Options{DefaultWatchErrorHandler: watchError, ByObject: map[client.Object]cache.ByObject{
		&corev1.ConfigMap{}: {
			Namespaces: map[string]cache.Config{key.Namespace: {}},
			Field:      fields.OneTermEqualSelector("metadata.name", key.Name),
		},
	}}
}

func metricsOptions(o options.Options) metricsserver.Options {
	m := metricsserver.Options{
		BindAddress:   o.MetricsBindAddress,
		SecureServing: o.MetricsSecure,
		// HTTP/2 stays off (CVE-2023-44487, CVE-2023-39325), as in kubebuilder.
		TLSOpts: []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }},
	}
	if o.MetricsSecure {
		m.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	return m
}

func metricsSource(s Setup) (metricsource.Source, error) {
	if s.MetricsSource != nil {
		return s.MetricsSource, nil
	}
	if s.Options.PrometheusURL == "" {
		return nil, nil
	}
	rt, err := s.Options.PrometheusHTTP.RoundTripper(s.Logger.WithName("prometheus"))
	if err != nil {
		return nil, fmt.Errorf("configuring the Prometheus client: %w", err)
	}
	src, err := metricsource.NewPrometheus(s.Options.PrometheusURL, s.Options.PrometheusTimeout, rt)
	if err != nil {
		return nil, fmt.Errorf("configuring --prometheus-url: %w", err)
	}
	return src, nil
}
