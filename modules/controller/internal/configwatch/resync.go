package configwatch

import (
	"context"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// Defaults of Resync.
const (
	// DefaultResyncInterval is how often the ConfigMap is read while the
	// watches recover: within the "every VA within seconds" promise.
	DefaultResyncInterval = time.Second
	// DefaultResyncWindow outlasts client-go's longest wait between two
	// attempts of a failing reflector (30 s, doubled by its jitter).
	DefaultResyncWindow = 90 * time.Second
)

// Resync keeps the Store current while the manager's watches recover from
// an error (the API server restarted, the network broke). client-go's
// reflectors then wait before they list and watch again, doubling the wait
// up to 30 s, with jitter up to 60 s, and a ConfigMap change made meanwhile
// would wait for them. Every watch error (WatchErrorHandler, the manager's
// cache reports them) and every request that fails to reach the API server
// (Observe, on the manager's transport) opens a window of Window; inside it Resync reads the
// ConfigMap through the API every Interval (one GET of one object) and
// applies a version the Store does not hold, as the watch would have. When
// the watches are healthy it reads nothing: the reconcile path still makes
// no API call for configuration.
type Resync struct {
	// Reader must be uncached (manager.GetAPIReader()).
	Reader   client.Reader
	Reloader *Reloader
	Clock    clock.Clock
	Log      logr.Logger
	Interval time.Duration
	Window   time.Duration

	errs chan struct{}
}

var (
	_ manager.Runnable               = (*Resync)(nil)
	_ manager.LeaderElectionRunnable = (*Resync)(nil)
)

// NewResync returns a Resync with the default interval and window; set its
// Reader, Reloader and Log before the manager starts it.
func NewResync(c clock.Clock) *Resync {
	return &Resync{Clock: c, Log: logr.Discard(), Interval: DefaultResyncInterval, Window: DefaultResyncWindow, errs: make(chan struct{}, 1)}
}

// WatchError is the cache's watch error handler: client-go's default (it
// logs the error), and a resync window.
func (s *Resync) WatchError(ctx context.Context, r *toolscache.Reflector, err error) {
	toolscache.DefaultWatchErrorHandler(ctx, r, err)
	s.watchFailed()
}

// Observe wraps the manager's transport (rest.Config.Wrap): a request that
// does not reach the API server (connection refused or reset, a dial
// timeout) or that it turns away with 429 opens the window as a watch error
// does. client-go's reflectors retry a refused or throttled watch after
// their backoff without telling WatchErrorHandler, which is exactly what an
// API server restart looks like from here; the transport sees it. Requests
// whose own context ended (the manager stopping, a watch closed on purpose)
// are not failures.
func (s *Resync) Observe(rt http.RoundTripper) http.RoundTripper {
	return &observed{next: rt, resync: s}
}

type observed struct {
	next   http.RoundTripper
	resync *Resync
}

func (o *observed) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.next.RoundTrip(req)
	switch {
	case req.Context().Err() != nil:
	case err != nil, resp.StatusCode == http.StatusTooManyRequests:
		o.resync.watchFailed()
	}
	return resp, err
}

// WrappedRoundTripper lets client-go reach the transport underneath
// (k8s.io/apimachinery/pkg/util/net.RoundTripperWrapper).
func (o *observed) WrappedRoundTripper() http.RoundTripper { return o.next }

// watchFailed opens (or extends) the window.
func (s *Resync) watchFailed() {
	select {
	case s.errs <- struct{}{}:
	default: // one pending is enough
	}
}

// NeedLeaderElection implements manager.LeaderElectionRunnable: a standby
// keeps its Store current too.
func (s *Resync) NeedLeaderElection() bool { return false }

// Start implements manager.Runnable.
func (s *Resync) Start(ctx context.Context) error {
	tick := s.Clock.NewTimer(s.Interval)
	defer tick.Stop()
	var until time.Time // end of the window; zero: closed
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.errs:
			if until.IsZero() {
				s.Log.V(1).Info(MsgResyncStarted, "window", s.Window.String())
			}
			until = s.Clock.Now().Add(s.Window)
		case <-tick.C():
			switch {
			case until.IsZero():
			case s.Clock.Now().After(until):
				until = time.Time{}
				s.Log.V(1).Info(MsgResyncEnded)
			default:
				s.read(ctx)
			}
			tick.Reset(s.Interval)
		}
	}
}

// read reads the ConfigMap once and hands it to the Reloader.
func (s *Resync) read(ctx context.Context) {
	gen := s.Reloader.Generation()
	ctx, cancel := context.WithTimeout(ctx, s.Interval)
	defer cancel()
	cm := &corev1.ConfigMap{}
	err := s.Reader.Get(ctx, s.Reloader.Key, cm)
	switch {
	case apierrors.IsNotFound(err):
		cm = nil
	case err != nil:
		return // the API server is still away; next tick
	}
	if s.Reloader.ApplyRead(gen, cm) {
		version := ""
		if cm != nil {
			version = cm.ResourceVersion
		}
		s.Log.Info(MsgResyncApplied, "configmap", s.Reloader.Key.Name, "namespace", s.Reloader.Key.Namespace,
			"resourceVersion", version)
	}
}
