package timeline

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteCSV(t *testing.T) {
	s := cycle()
	var buf bytes.Buffer
	if err := s.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("reading the CSV back: %v", err)
	}
	wantHeader := []string{"elapsed_seconds", "time", "offered_rps", "loadgen_offered_rps", "running", "waiting", "kv_cache_usage_mean",
		"a_current", "a_ready", "a_desired", "b_current", "b_ready", "b_desired"}
	if diff := cmp.Diff(wantHeader, rows[0]); diff != "" {
		t.Errorf("header: -want +got:\n%s", diff)
	}
	if got, want := len(rows), 1+len(s.Samples); got != want {
		t.Fatalf("%d rows, want %d (header + one per sample)", got, want)
	}
	wantRows := map[int][]string{
		3: {"2.000", "2026-11-26T19:10:02Z", "2", "2", "4", "0", "0.2", "2", "2", "2", "0", "0", "0"},
		// Prometheus unreachable: its cells are empty, the replicas known.
		4: {"3.000", "2026-11-26T19:10:03Z", "3", "", "", "", "", "2", "2", "2", "1", "1", "1"},
	}
	for i, want := range wantRows {
		if diff := cmp.Diff(want, rows[i]); diff != "" {
			t.Errorf("row %d: -want +got:\n%s", i, diff)
		}
	}
	for i, row := range rows[1:] {
		if _, err := strconv.ParseFloat(row[0], 64); err != nil {
			t.Errorf("row %d: elapsed %q: %v", i+1, row[0], err)
		}
	}
}

func TestWriteCSVMismatchedSample(t *testing.T) {
	s := cycle()
	s.Samples[1].Variants = s.Samples[1].Variants[:1]
	if err := s.WriteCSV(&bytes.Buffer{}); err == nil {
		t.Error("WriteCSV of a sample with a missing variant: nil error")
	}
}
