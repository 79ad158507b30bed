package configwatch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/capacity"
)

// servedConfigMap is the API server as Resync reads it: the ConfigMap it
// holds now (nil: none), and how many reads it served.
type servedConfigMap struct {
	mu    sync.Mutex
	cm    *corev1.ConfigMap
	reads atomic.Int32
}

func (s *servedConfigMap) set(cm *corev1.ConfigMap) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cm = cm
}

func (s *servedConfigMap) reader() client.Reader {
	return readerFunc(func(_ context.Context, _ client.ObjectKey, obj client.Object) error {
		s.reads.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.cm == nil {
			return apierrors.NewNotFound(corev1.Resource("configmaps"), key.Name)
		}
		s.cm.DeepCopyInto(obj.(*corev1.ConfigMap))
		return nil
	})
}

// startResync runs a Resync on a fake clock until the test ends.
func startResync(t *testing.T, f *reloadFixture, served *servedConfigMap) (*Resync, *clocktesting.FakeClock) {
	t.Helper()
	clk := clocktesting.NewFakeClock(time.Unix(1_700_000_000, 0))
	s := NewResync(clk)
	s.Reader, s.Reloader, s.Log = served.reader(), f.r, f.r.Log
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	eventuallyTrue(t, "Resync waits on its timer", clk.HasWaiters)
	return s, clk
}

// tick steps the clock by one interval and waits until Resync waits again,
// that is, has handled the tick.
func tick(t *testing.T, s *Resync, clk *clocktesting.FakeClock) {
	t.Helper()
	clk.Step(s.Interval)
	eventuallyTrue(t, "Resync handled the tick", clk.HasWaiters)
}

func eventuallyTrue(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestResyncAfterAWatchError: with healthy watches nothing is read; after a
// watch error the ConfigMap is read every interval, a version the Store does
// not hold is applied (and every VariantAutoscaling queued), one it holds
// changes nothing, and reads stop once the window passes without errors.
func TestResyncAfterAWatchError(t *testing.T) {
	f := newReloadFixture(t, capacity.Parse(map[string]string{"default": "kvCacheThreshold: 0.8\n"}, "1"), false,
		va("ns", "a"), va("ns", "b"))
	served := &servedConfigMap{cm: configMap("1", map[string]string{"default": "kvCacheThreshold: 0.8\n"})}
	s, clk := startResync(t, f, served)

	for range 3 {
		tick(t, s, clk)
	}
	if n := served.reads.Load(); n != 0 {
		t.Fatalf("%d reads with healthy watches, want 0", n)
	}

	s.watchFailed()
	tick(t, s, clk) // handles the error, or the error and the tick
	tick(t, s, clk)
	if served.reads.Load() == 0 {
		t.Fatal("no read after a watch error")
	}
	if got := f.queued(); len(got) != 0 {
		t.Errorf("the held version queued %v, want nothing", got)
	}

	// A change the watch misses: the next read applies it.
	served.set(configMap("2", map[string]string{"default": "kvCacheThreshold: 0.7\n"}))
	tick(t, s, clk)
	if got := f.r.Store.Load().Version(); got != "2" {
		t.Fatalf("Store version = %q after the read, want 2", got)
	}
	if diff := cmp.Diff([]string{"ns/a", "ns/b"}, f.queued()); diff != "" {
		t.Errorf("queued: -want +got:\n%s", diff)
	}
	if got := len(f.rec.Messages(MsgResyncApplied)); got != 1 {
		t.Errorf("%d lines %q, want 1", got, MsgResyncApplied)
	}
	if got := len(f.rec.Messages(MsgChanged)); got != 1 {
		t.Errorf("%d lines %q (the spec's reload line), want 1", got, MsgChanged)
	}

	// Deleted while the watch recovers: back to the built-in defaults.
	served.set(nil)
	tick(t, s, clk)
	if got := f.r.Store.Load().Version(); got != "" {
		t.Errorf("Store version = %q after the ConfigMap went, want the built-ins", got)
	}

	// The window passes with no further error: no more reads.
	clk.Step(s.Window)
	eventuallyTrue(t, "Resync handled the step", clk.HasWaiters)
	tick(t, s, clk)
	before := served.reads.Load()
	for range 3 {
		tick(t, s, clk)
	}
	if after := served.reads.Load(); after != before {
		t.Errorf("%d reads after the window closed, want none", after-before)
	}
}

// TestApplyReadLosesToANewerEvent: a read that an informer event overtook
// is dropped, whatever it holds.
func TestApplyReadLosesToANewerEvent(t *testing.T) {
	f := newReloadFixture(t, capacity.Parse(map[string]string{"default": "kvCacheThreshold: 0.8\n"}, "1"), false)
	gen := f.r.Generation()
	f.r.OnChange(configMap("3", map[string]string{"default": "kvCacheThreshold: 0.6\n"}))
	if f.r.ApplyRead(gen, configMap("2", map[string]string{"default": "kvCacheThreshold: 0.7\n"})) {
		t.Error("ApplyRead applied a read older than the event")
	}
	if f.r.ApplyRead(gen, nil) {
		t.Error("ApplyRead applied a not-found older than the event")
	}
	if got := f.r.Store.Load().Version(); got != "3" {
		t.Errorf("Store version = %q, want the event's 3", got)
	}
	if !f.r.ApplyRead(f.r.Generation(), configMap("4", nil)) {
		t.Error("ApplyRead dropped a read no event overtook")
	}
}

// roundTripperFunc is an http.RoundTripper.
type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestObserveOpensTheWindow: a request that does not reach the API server,
// or that it throttles, opens the window (a refused watch never reaches
// WatchErrorHandler); answers, the API's own errors and requests whose
// context ended do not.
func TestObserveOpensTheWindow(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name     string
		status   int
		err      error
		canceled bool
		want     bool
	}{
		{name: "connection refused", err: refused, want: true},
		{name: "connection reset", err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, want: true},
		{name: "throttled", status: http.StatusTooManyRequests, want: true},
		{name: "answered", status: http.StatusOK},
		{name: "not found", status: http.StatusNotFound},
		{name: "internal error", status: http.StatusInternalServerError},
		{name: "context canceled", err: context.Canceled, canceled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewResync(clocktesting.NewFakeClock(time.Unix(1_700_000_000, 0)))
			rt := s.Observe(roundTripperFunc(func(*http.Request) (*http.Response, error) {
				if tt.err != nil {
					return nil, tt.err
				}
				return &http.Response{StatusCode: tt.status, Body: http.NoBody}, nil
			}))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.canceled {
				cancel()
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://10.96.0.1/api/v1/namespaces/wva/configmaps?watch=true", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := rt.RoundTrip(req)
			if !errors.Is(err, tt.err) {
				t.Errorf("RoundTrip error = %v, want the transport's %v", err, tt.err)
			}
			if resp != nil {
				_ = resp.Body.Close()
			}
			if got := len(s.errs) == 1; got != tt.want {
				t.Errorf("window opened = %t, want %t", got, tt.want)
			}
		})
	}
	s := NewResync(clock.RealClock{})
	base := roundTripperFunc(func(*http.Request) (*http.Response, error) { return nil, nil })
	if w, ok := s.Observe(base).(interface{ WrappedRoundTripper() http.RoundTripper }); !ok || w.WrappedRoundTripper() == nil {
		t.Error("the observer does not expose the transport it wraps")
	}
}
