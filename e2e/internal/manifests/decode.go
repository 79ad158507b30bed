package manifests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// ReadFile decodes a YAML file of one or more documents (such as
// deploy/examples/variantautoscaling.yaml or the standalone ConfigMap) into
// objects, in file order. Documents that hold only comments are skipped; a
// document without apiVersion, kind or metadata.name is an error naming the
// file and the document's position.
func ReadFile(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading manifests: %w", err)
	}
	objs, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return objs, nil
}

// Decode is ReadFile on bytes.
func Decode(data []byte) ([]*unstructured.Unstructured, error) {
	r := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []*unstructured.Unstructured
	for n := 1; ; n++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		var fields map[string]any
		if err := yaml.Unmarshal(doc, &fields); err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		if len(fields) == 0 {
			continue // comments only
		}
		u := &unstructured.Unstructured{Object: fields}
		switch {
		case u.GetAPIVersion() == "":
			return nil, fmt.Errorf("document %d: apiVersion is not set", n)
		case u.GetKind() == "":
			return nil, fmt.Errorf("document %d: kind is not set", n)
		case u.GetName() == "":
			return nil, fmt.Errorf("document %d (%s): metadata.name is not set", n, u.GetKind())
		}
		objs = append(objs, u)
	}
}

// Without returns objs minus the object of kind with namespace and name (""
// for a cluster-scoped object), and whether it was there. The e2e suite
// deploys the kind overlay without the capacity-scaling-config ConfigMap
// this way, so that the controller starts with its built-in defaults.
func Without(objs []*unstructured.Unstructured, kind, namespace, name string) ([]*unstructured.Unstructured, bool) {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	found := false
	for _, o := range objs {
		if o.GetKind() == kind && o.GetNamespace() == namespace && o.GetName() == name {
			found = true
			continue
		}
		out = append(out, o)
	}
	return out, found
}
