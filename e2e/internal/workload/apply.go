package workload

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/wva-project/wva/e2e/internal/apply"
)

// Objects are the model's Deployments (in the order of Variants) and its
// Service, ready to apply.
func (m Model) Objects() ([]*unstructured.Unstructured, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("model %s/%s: %w", m.Namespace, m.Name, err)
	}
	objs := make([]runtime.Object, 0, len(m.Variants)+1)
	for _, v := range m.Variants {
		objs = append(objs, m.Deployment(v))
	}
	objs = append(objs, m.Service())
	return toUnstructured(objs...)
}

// Apply server-side applies the model's Deployments and Service.
func (m Model) Apply(ctx context.Context, a *apply.Applier) error {
	objs, err := m.Objects()
	if err != nil {
		return err
	}
	return a.Apply(ctx, objs, apply.Options{})
}

// StartLoad server-side applies the load generator's Job for l.
func (m Model) StartLoad(ctx context.Context, a *apply.Applier, l Load) error {
	job, err := m.Job(l)
	if err != nil {
		return err
	}
	objs, err := toUnstructured(job)
	if err != nil {
		return err
	}
	return a.Apply(ctx, objs, apply.Options{})
}

func toUnstructured(objs ...runtime.Object) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, o := range objs {
		content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return nil, fmt.Errorf("encoding %T: %w", o, err)
		}
		u := &unstructured.Unstructured{Object: content}
		// Server-side apply rejects the status a typed object carries empty.
		unstructured.RemoveNestedField(u.Object, "status")
		unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
		unstructured.RemoveNestedField(u.Object, "spec", "template", "metadata", "creationTimestamp")
		out = append(out, u)
	}
	return out, nil
}

// LoadPod returns the pod of the load generator's Job name.
func LoadPod(ctx context.Context, kube kubernetes.Interface, namespace, name string) (*corev1.Pod, error) {
	pods, err := kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: "job-name=" + name})
	if err != nil {
		return nil, fmt.Errorf("listing the pods of Job %s/%s: %w", namespace, name, err)
	}
	switch len(pods.Items) {
	case 0:
		return nil, fmt.Errorf("job %s/%s has no pod yet", namespace, name)
	case 1:
		return &pods.Items[0], nil
	}
	return nil, fmt.Errorf("job %s/%s has %d pods, want 1 (backoffLimit 0)", namespace, name, len(pods.Items))
}

// LoadLog returns the log of the load generator's pod, each line prefixed
// with the container runtime's RFC 3339 timestamp.
func LoadLog(ctx context.Context, kube kubernetes.Interface, namespace, name string) ([]byte, error) {
	pod, err := LoadPod(ctx, kube, namespace, name)
	if err != nil {
		return nil, err
	}
	raw, err := kube.CoreV1().Pods(namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: loadgenApp, Timestamps: true}).DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("log of %s/%s: %w", namespace, pod.Name, err)
	}
	return raw, nil
}

// StartTime returns when the load generator started its profile: the
// runtime's timestamp of its first log line ("loadgen: POST ...", written
// just before the first request is scheduled). ok is false while the log
// is empty.
func StartTime(log []byte) (start time.Time, ok bool, err error) {
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		stamp, text, found := strings.Cut(sc.Text(), " ")
		if !found || !strings.HasPrefix(text, "loadgen: ") {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("timestamp of %q: %w", sc.Text(), err)
		}
		return t, true, nil
	}
	return time.Time{}, false, sc.Err()
}
