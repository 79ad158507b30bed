package configwatch

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/logging"
	"github.com/wva-project/wva/modules/controller/internal/telemetry"
)

// ErrNotLoaded is what the readiness check reports before Load ran.
var ErrNotLoaded = errors.New("capacity scaling configuration not loaded yet")

// Loader performs the one startup read of the ConfigMap.
type Loader struct {
	// Reader must be uncached (manager.GetAPIReader()): Load runs before the
	// manager's cache has started.
	Reader client.Reader
	Key    types.NamespacedName
	Store  *capacity.Store
	// Telemetry is what WVA exports (wva_config_* series).
	Telemetry *telemetry.Metrics

	attempted atomic.Bool
}

// Load reads the ConfigMap once and stores what it finds. It never fails:
// a missing or unreadable ConfigMap leaves the built-in defaults in place
// (logged at WARN), and the watch picks the ConfigMap up once it appears.
func (l *Loader) Load(ctx context.Context, log logr.Logger) {
	defer l.attempted.Store(true)
	cm := &corev1.ConfigMap{}
	err := l.Reader.Get(ctx, l.Key, cm)
	switch {
	case apierrors.IsNotFound(err):
		l.Store.Replace(capacity.Builtin())
		l.Telemetry.ConfigLoaded(telemetry.ResultNotFound, 0, 0)
		logging.Warn(log, MsgNotFound, "configmap", l.Key.Name, "namespace", l.Key.Namespace)
	case err != nil:
		l.Store.Replace(capacity.Builtin())
		l.Telemetry.ConfigLoaded(telemetry.ResultError, 0, 0)
		logging.Warn(log, MsgInitialFailed, "configmap", l.Key.Name, "namespace", l.Key.Namespace, "error", err.Error())
	default:
		snap := capacity.Parse(cm.Data, cm.ResourceVersion)
		l.Store.Replace(snap)
		l.Telemetry.ConfigLoaded(telemetry.ResultLoaded, snap.Entries(), len(snap.Errors()))
		logLoaded(log, l.Key, snap)
		reportProblems(log, cm, snap)
	}
}

// logLoaded logs the spec's line for a ConfigMap read into the cache, after
// the startup read and after every reload, so that the spec's
// troubleshooting grep for it finds the latest load.
func logLoaded(log logr.Logger, key types.NamespacedName, snap *capacity.Snapshot) {
	log.Info(MsgLoaded, "configmap", key.Name, "namespace", key.Namespace,
		"resourceVersion", snap.Version(), "entries", snap.Entries(), "has_default", snap.HasDefault())
}

// ReadyCheck is a healthz.Checker: ready once Load has been attempted.
func (l *Loader) ReadyCheck(*http.Request) error {
	if !l.attempted.Load() {
		return ErrNotLoaded
	}
	return nil
}
