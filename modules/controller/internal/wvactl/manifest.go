package wvactl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// manifestConfigMap is one ConfigMap found in a manifest, with where it was.
type manifestConfigMap struct {
	cm *corev1.ConfigMap
	// at says where in the manifest it is: "document 2", or "document 1,
	// item 3" for an item of a List.
	at string
}

// ref returns the ConfigMap's namespace/name, or only its name when the
// manifest gives no namespace.
func (m manifestConfigMap) ref() string { return objectRef(m.cm.Namespace, m.cm.Name) }

func objectRef(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// readConfigMaps reads every ConfigMap of a manifest: one object or a
// multi-document YAML stream (kustomize build output), in YAML or JSON,
// where a v1 List (kubectl get -o yaml) counts for its items. Objects of
// other kinds are skipped; kinds lists them, for error messages.
func readConfigMaps(r io.Reader) (cms []manifestConfigMap, kinds []string, err error) {
	reader := yaml.NewYAMLReader(bufio.NewReader(r))
	for doc := 1; ; doc++ {
		text, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return cms, kinds, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading document %d: %w", doc, err)
		}
		js, err := yaml.ToJSON(text)
		if err != nil {
			return nil, nil, fmt.Errorf("document %d: %w", doc, err)
		}
		found, err := configMapsIn(js, fmt.Sprintf("document %d", doc), &kinds)
		if err != nil {
			return nil, nil, err
		}
		cms = append(cms, found...)
	}
}

// object is what configMapsIn needs to know of any Kubernetes object.
type object struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Items      []json.RawMessage `json:"items"`
}

// configMapsIn returns the ConfigMaps of one object (JSON) found at at, and
// adds the kinds of the other objects to kinds.
func configMapsIn(js []byte, at string, kinds *[]string) ([]manifestConfigMap, error) {
	if t := bytes.TrimSpace(js); len(t) == 0 || string(t) == "null" {
		return nil, nil // an empty document, or only comments
	}
	var obj object
	if err := json.Unmarshal(js, &obj); err != nil {
		return nil, fmt.Errorf("%s: not a Kubernetes object: %w", at, err)
	}
	switch {
	case obj.Kind == "ConfigMap" && obj.APIVersion == "v1":
		cm := &corev1.ConfigMap{}
		if err := json.Unmarshal(js, cm); err != nil {
			return nil, fmt.Errorf("%s: ConfigMap: %w", at, configMapError(err))
		}
		return []manifestConfigMap{{cm: cm, at: at}}, nil
	case strings.HasSuffix(obj.Kind, "List") && obj.APIVersion == "v1":
		var out []manifestConfigMap
		for i, item := range obj.Items {
			found, err := configMapsIn(item, fmt.Sprintf("%s, item %d", at, i+1), kinds)
			if err != nil {
				return nil, err
			}
			out = append(out, found...)
		}
		return out, nil
	}
	kind := obj.Kind
	if kind == "" {
		kind = "object without kind"
	}
	if !slices.Contains(*kinds, kind) {
		*kinds = append(*kinds, kind)
	}
	return nil, nil
}

// configMapError explains the usual mistake behind a ConfigMap that does
// not decode: an entry written as a YAML mapping instead of a block string.
func configMapError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field == "data" {
		return fmt.Errorf("every value under data must be a string, got %s: write each entry as a block, "+
			"the key followed by \"|\" and its fields indented below (default: |)", article(typeErr.Value))
	}
	return err
}

func article(jsonType string) string {
	if strings.HasPrefix(jsonType, "a") || strings.HasPrefix(jsonType, "o") {
		return "an " + jsonType
	}
	return "a " + jsonType
}

// selection says which ConfigMaps of a manifest to use.
type selection struct {
	name string
	// namespace, when set, restricts the ConfigMaps named name to those in
	// this namespace.
	namespace string
}

// selectConfigMaps returns the ConfigMaps named s.name (in s.namespace, if
// set). When there is none and the manifest holds exactly one ConfigMap, it
// returns that one with a note saying so. Otherwise it returns an error
// naming what the manifest holds.
func selectConfigMaps(cms []manifestConfigMap, kinds []string, s selection, source string) ([]manifestConfigMap, string, error) {
	var picked []manifestConfigMap
	for _, m := range cms {
		if m.cm.Name == s.name && (s.namespace == "" || m.cm.Namespace == s.namespace) {
			picked = append(picked, m)
		}
	}
	if len(picked) > 0 {
		return picked, "", nil
	}
	want := s.name
	if s.namespace != "" {
		want = s.namespace + "/" + s.name
	}
	switch len(cms) {
	case 0:
		if len(kinds) == 0 {
			return nil, "", fmt.Errorf("%s holds no Kubernetes object", source)
		}
		return nil, "", fmt.Errorf("%s holds no ConfigMap (found: %s)", source, strings.Join(kinds, ", "))
	case 1:
		return cms, fmt.Sprintf("no ConfigMap named %s in %s; using its only ConfigMap, %s", want, source, cms[0].ref()), nil
	}
	refs := make([]string, len(cms))
	for i, m := range cms {
		refs[i] = m.ref()
	}
	return nil, "", fmt.Errorf("%s holds no ConfigMap named %s, and %d others (%s): choose one with --config-name and --config-namespace",
		source, want, len(cms), strings.Join(refs, ", "))
}
