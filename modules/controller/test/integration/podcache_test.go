//go:build integration

package integration

import (
	"context"
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/wva-project/wva/modules/controller/internal/app"
	"github.com/wva-project/wva/modules/controller/internal/podcache"
)

// TestPodCacheHoldsOnlyNamespacesInUse checks that the pod cache watches
// the namespaces it is asked about and nothing else: pods elsewhere never
// reach the controller's memory.
func TestPodCacheHoldsOnlyNamespacesInUse(t *testing.T) {
	used, foreign := namespace(t, "pods-used"), namespace(t, "pods-foreign")
	create(t, pod(used, "granite", 0))
	create(t, pod(foreign, "other", 0))

	scheme, err := app.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	httpClient, err := rest.HTTPClientFor(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	mapper, err := apiutil.NewDynamicRESTMapper(restConfig, httpClient)
	if err != nil {
		t.Fatal(err)
	}
	pc := podcache.New(restConfig, httpClient, scheme, mapper, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pc.List(ctx, &corev1.PodList{}, client.InNamespace(used)); !errors.Is(err, podcache.ErrNotStarted) {
		t.Fatalf("List before Start: got %v, want ErrNotStarted", err)
	}
	done := make(chan error, 1)
	go func() { done <- pc.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("pod cache stopped with error: %v", err)
		}
	}()
	eventually(t, 10*time.Second, "pod cache started", func() string {
		if err := pc.List(ctx, &corev1.PodList{}, client.InNamespace(used)); errors.Is(err, podcache.ErrNotStarted) {
			return err.Error()
		}
		return ""
	})

	pods := &corev1.PodList{}
	if err := pc.List(ctx, pods, client.InNamespace(used)); err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 1 || pods.Items[0].Name != "granite-0" {
		t.Errorf("pods of %s: got %d, want granite-0", used, len(pods.Items))
	}
	if got := pc.Namespaces(); got != 1 {
		t.Errorf("namespace caches: got %d, want 1 (only %s)", got, used)
	}
	if err := pc.List(ctx, pods, client.InNamespace("")); !errors.Is(err, podcache.ErrNoNamespace) {
		t.Errorf("List without a namespace: got %v, want ErrNoNamespace", err)
	}

	// A pod created later reaches the cache through its watch.
	create(t, pod(used, "granite", 1))
	eventually(t, 10*time.Second, "new pod in the cache", func() string {
		if err := pc.List(ctx, pods, client.InNamespace(used)); err != nil {
			return err.Error()
		}
		if len(pods.Items) != 2 {
			return "pods cached: " + pods.Items[0].Name
		}
		return ""
	})

	pc.Forget(used)
	if got := pc.Namespaces(); got != 0 {
		t.Errorf("namespace caches after Forget: got %d, want 0", got)
	}
}
