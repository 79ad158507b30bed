package timeline

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// Header returns the CSV columns: the sample's time, its load and engine
// values, then <variant>_current, <variant>_ready and <variant>_desired
// for each variant.
func (s Series) Header() []string {
	h := []string{"elapsed_seconds", "time", "offered_rps", "loadgen_offered_rps", "running", "waiting", "kv_cache_usage_mean"}
	for _, v := range s.Variants {
		h = append(h, v+"_current", v+"_ready", v+"_desired")
	}
	return h
}

// WriteCSV writes one row per sample under Header. Unknown values (NaN)
// are empty cells.
func (s Series) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(s.Header()); err != nil {
		return fmt.Errorf("writing the CSV header: %w", err)
	}
	row := make([]string, 0, len(s.Header()))
	for i, smp := range s.Samples {
		if len(smp.Variants) != len(s.Variants) {
			return fmt.Errorf("sample %d has %d variants, the series %d", i, len(smp.Variants), len(s.Variants))
		}
		row = append(row[:0],
			strconv.FormatFloat(s.Elapsed(smp.At), 'f', 3, 64),
			smp.At.UTC().Format(time.RFC3339Nano),
			cell(smp.OfferedRPS), cell(smp.LoadgenRPS), cell(smp.Running), cell(smp.Waiting), cell(smp.KVMean))
		for _, v := range smp.Variants {
			row = append(row, cell(v.Current), cell(v.Ready), cell(v.Desired))
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("writing CSV row %d: %w", i, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing the CSV: %w", err)
	}
	return nil
}

// cell formats v in the shortest form that reads back exactly; NaN is empty.
func cell(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
