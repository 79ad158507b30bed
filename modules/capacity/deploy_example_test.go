package capacity

import (
	"os"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

const deployConfigMap = "../../deploy/configmap-capacity-scaling.yaml"

// TestDeployScheduleExample adds the commented schedules of the sample
// ConfigMap to its default entry, as the comment tells a user to, and checks
// that the result is valid and applies the window on a weekday in Berlin.
func TestDeployScheduleExample(t *testing.T) {
	raw, err := os.ReadFile(deployConfigMap)
	if err != nil {
		t.Fatal(err)
	}
	var example []string
	for _, line := range strings.Split(string(raw), "\n") {
		rest, commented := strings.CutPrefix(line, "  #   ")
		if len(example) == 0 {
			if commented && rest == "schedules:" {
				example = append(example, rest)
			}
			continue
		}
		if !commented {
			break
		}
		example = append(example, rest)
	}
	if len(example) < 2 {
		t.Fatalf("%s has no commented schedules example", deployConfigMap)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(raw, &cm); err != nil {
		t.Fatal(err)
	}
	data := map[string]string{DefaultKey: cm.Data[DefaultKey] + strings.Join(example, "\n") + "\n"}
	s := Parse(data, "1")
	if errs := s.Errors(); len(errs) != 0 || !s.HasDefault() {
		t.Fatalf("default entry with the example schedules:\n%s\nerrors %v", data[DefaultKey], errs)
	}
	r := s.ResolveAt("any/model", "any", time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)) // Wednesday 10:00 in Berlin
	if r.Source != "default#business-hours" || r.Config.KvCacheThreshold != 0.70 || r.Config.KvSpareTrigger != 0.15 {
		t.Errorf("ResolveAt on a weekday morning = %+v, want the business-hours window", r)
	}
}
