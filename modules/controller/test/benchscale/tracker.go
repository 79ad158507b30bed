package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// tracker watches the VariantAutoscalings of a namespace and records, for
// every ConfigMap resourceVersion, when each of them first showed it in
// status.appliedConfig. A watch, not polling: the time is that of the event.
type tracker struct {
	mu      sync.Mutex
	firstAt map[string]map[string]time.Time // ConfigMap resourceVersion -> VA name -> first seen
	changed chan struct{}
	err     error
}

// track lists the namespace's VariantAutoscalings and follows them until ctx ends.
func track(ctx context.Context, c client.WithWatch, namespace string) (*tracker, error) {
	t := &tracker{firstAt: map[string]map[string]time.Time{}, changed: make(chan struct{}, 1)}
	rv, err := t.list(ctx, c, namespace)
	if err != nil {
		return nil, err
	}
	go t.follow(ctx, c, namespace, rv)
	return t, nil
}

func (t *tracker) list(ctx context.Context, c client.WithWatch, namespace string) (string, error) {
	list := &v1alpha1.VariantAutoscalingList{}
	if err := c.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return "", fmt.Errorf("listing VariantAutoscalings: %w", err)
	}
	now := time.Now()
	for i := range list.Items {
		t.saw(&list.Items[i], now)
	}
	return list.ResourceVersion, nil
}

// follow watches from rv, resuming after the API server closes the watch and
// listing afresh when rv has expired.
func (t *tracker) follow(ctx context.Context, c client.WithWatch, namespace, rv string) {
	for ctx.Err() == nil {
		w, err := c.Watch(ctx, &v1alpha1.VariantAutoscalingList{}, client.InNamespace(namespace),
			&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true}})
		if err != nil {
			t.fail(fmt.Errorf("watching VariantAutoscalings: %w", err))
			return
		}
		rv = t.drain(ctx, w, rv)
		if rv == "" {
			if rv, err = t.list(ctx, c, namespace); err != nil {
				t.fail(err)
				return
			}
		}
	}
}

// drain handles the events of one watch and returns the resourceVersion to
// resume from ("" to list afresh).
func (t *tracker) drain(ctx context.Context, w watch.Interface, rv string) string {
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return rv
		case ev, ok := <-w.ResultChan():
			if !ok {
				return rv
			}
			now := time.Now()
			switch ev.Type {
			case watch.Error:
				if status, ok := ev.Object.(*metav1.Status); ok && status.Code == 410 {
					return ""
				}
				t.fail(fmt.Errorf("watch error: %w", apierrors.FromObject(ev.Object)))
				return rv
			case watch.Added, watch.Modified, watch.Bookmark:
				va, ok := ev.Object.(*v1alpha1.VariantAutoscaling)
				if !ok {
					continue
				}
				rv = va.ResourceVersion
				if ev.Type != watch.Bookmark {
					t.saw(va, now)
				}
			}
		}
	}
}

func (t *tracker) saw(va *v1alpha1.VariantAutoscaling, at time.Time) {
	a := va.Status.AppliedConfig
	if a.ConfigMapResourceVersion == "" {
		return
	}
	t.mu.Lock()
	byName := t.firstAt[a.ConfigMapResourceVersion]
	if byName == nil {
		byName = map[string]time.Time{}
		t.firstAt[a.ConfigMapResourceVersion] = byName
	}
	if _, seen := byName[va.Name]; !seen {
		byName[va.Name] = at
	}
	t.mu.Unlock()
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

func (t *tracker) fail(err error) {
	t.mu.Lock()
	if t.err == nil {
		t.err = err
	}
	t.mu.Unlock()
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

// wait returns when n VariantAutoscalings have shown resourceVersion rv, with
// the time each first showed it.
func (t *tracker) wait(ctx context.Context, rv string, n int) (map[string]time.Time, error) {
	for {
		t.mu.Lock()
		got, err := len(t.firstAt[rv]), t.err
		var out map[string]time.Time
		if got >= n {
			out = make(map[string]time.Time, got)
			for name, at := range t.firstAt[rv] {
				out[name] = at
			}
		}
		t.mu.Unlock()
		switch {
		case err != nil:
			return nil, err
		case out != nil:
			return out, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d VariantAutoscalings show ConfigMap resourceVersion %s: %w", got, n, rv, ctx.Err())
		case <-t.changed:
		}
	}
}
