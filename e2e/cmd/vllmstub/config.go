package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
)

// config is the parsed command line.
type config struct {
	listen string
	gauges gauges
}

// parseConfig reads the flags in args, each defaulting to its environment
// variable, and validates them, naming the flag and value of any error.
func parseConfig(args []string, getenv func(string) string, log io.Writer) (config, error) {
	fs := flag.NewFlagSet("vllmstub", flag.ContinueOnError)
	fs.SetOutput(log)
	var (
		cfg       config
		kv, queue string
	)
	fs.StringVar(&cfg.listen, "listen", envOr(getenv, "VLLMSTUB_LISTEN", ":8000"), "address to serve on (env VLLMSTUB_LISTEN)")
	fs.StringVar(&cfg.gauges.Model, "model", getenv("VLLMSTUB_MODEL"), "model_name label of the gauges (env VLLMSTUB_MODEL)")
	fs.StringVar(&kv, "kv-cache-usage", envOr(getenv, "VLLMSTUB_KV_CACHE_USAGE", "0"),
		"value of vllm:kv_cache_usage_perc, a fraction in [0, 1] (env VLLMSTUB_KV_CACHE_USAGE)")
	fs.StringVar(&queue, "num-requests-waiting", envOr(getenv, "VLLMSTUB_NUM_REQUESTS_WAITING", "0"),
		"value of vllm:num_requests_waiting, a count >= 0 (env VLLMSTUB_NUM_REQUESTS_WAITING)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var errs []error
	if cfg.listen == "" {
		errs = append(errs, errors.New("-listen: must not be empty"))
	}
	if cfg.gauges.Model == "" {
		errs = append(errs, errors.New("-model: must not be empty"))
	}
	v, err := parseGauge("kv-cache-usage", kv)
	if err == nil && v > 1 {
		err = fmt.Errorf("-kv-cache-usage=%q: must be in [0, 1]", kv)
	}
	if err != nil {
		errs = append(errs, err)
	}
	cfg.gauges.KvCacheUsage = v
	if cfg.gauges.NumRequestsWaiting, err = parseGauge("num-requests-waiting", queue); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// parseGauge parses a finite, non-negative value of flag name.
func parseGauge(name, raw string) (float64, error) {
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return 0, fmt.Errorf("-%s=%q: not a number", name, raw)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("-%s=%q: must be a finite number >= 0", name, raw)
	}
	return v, nil
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}
