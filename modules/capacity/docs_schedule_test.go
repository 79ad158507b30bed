package capacity

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

const userDoc = "../../docs/capacity-scaling.md"

// TestDocScheduleExample checks the worked example of the user
// documentation's "Scheduled thresholds" section: its ConfigMap data is valid
// and resolves as the section's table says.
func TestDocScheduleExample(t *testing.T) {
	raw, err := os.ReadFile(userDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "## Scheduled thresholds\n")
	_, block, ok2 := strings.Cut(section, "```yaml\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatalf("%s has no yaml block in a \"Scheduled thresholds\" section", userDoc)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal([]byte(block), &cm); err != nil {
		t.Fatal(err)
	}
	s := Parse(cm.Data, "1")
	if errs := s.Errors(); len(errs) != 0 {
		t.Fatalf("the example's errors: %v", errs)
	}
	type row struct {
		Source             Source
		Kv, KvTrigger      float64
		QueueLengthTrigger int
	}
	own := row{"override/granite-prod", 0.75, 0.1, 5}
	business := row{"override/granite-prod#business-hours", 0.70, 0.20, 5}
	night := row{"override/granite-prod#weekend-night", 0.90, 0.1, 5}
	berlin := mustLoad(t, "Europe/Berlin")
	cases := map[string]struct {
		at   time.Time
		want row
	}{
		"Wednesday 07:59":  {time.Date(2026, 3, 4, 7, 59, 0, 0, berlin), own},
		"Wednesday 08:00":  {time.Date(2026, 3, 4, 8, 0, 0, 0, berlin), business},
		"Wednesday 17:59":  {time.Date(2026, 3, 4, 17, 59, 0, 0, berlin), business},
		"Wednesday 18:00":  {time.Date(2026, 3, 4, 18, 0, 0, 0, berlin), own},
		"Saturday 22:00":   {time.Date(2026, 3, 7, 22, 0, 0, 0, berlin), night},
		"Sunday 05:59":     {time.Date(2026, 3, 8, 5, 59, 0, 0, berlin), night},
		"Sunday 06:00":     {time.Date(2026, 3, 8, 6, 0, 0, 0, berlin), own},
		"Saturday 07:00":   {time.Date(2026, 3, 7, 7, 0, 0, 0, berlin), own},
		"in summer, 08:00": {time.Date(2026, 7, 1, 8, 0, 0, 0, berlin), business},
	}
	for name, tc := range cases {
		r := s.ResolveAt("ibm/granite-13b", "production", tc.at)
		got := row{r.Source, r.Config.KvCacheThreshold, r.Config.KvSpareTrigger, r.Config.QueueLengthThreshold}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: -want +got:\n%s", name, diff)
		}
	}
}
