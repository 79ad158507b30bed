package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wva-project/wva/e2e/internal/loadgen"
)

// config is the parsed command line.
type config struct {
	// target is the model server's base URL; api picks the path under it.
	target, api, model string
	schedule           loadgen.Schedule
	promptTokens       int
	maxTokens          int
	maxOutstanding     int
	requestTimeout     time.Duration
	progressInterval   time.Duration
	maxErrorPercent    float64
	// metricsListen is the address of /metrics; empty serves none.
	metricsListen string
	keepAlive     bool
}

// paths of the APIs under the target URL.
var paths = map[string]string{
	"completions": "/v1/completions",
	"chat":        "/v1/chat/completions",
}

// parseConfig reads the flags in args, each defaulting to its environment
// variable, and validates them, naming the flag and value of every error.
func parseConfig(args []string, getenv func(string) string, log io.Writer) (config, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(log)
	str := func(name, env, def, usage string) *string {
		return fs.String(name, envOr(getenv, env, def), usage+" (env "+env+")")
	}
	target := str("target", "LOADGEN_TARGET", "", "base URL of the model server, e.g. http://granite:8000")
	api := str("api", "LOADGEN_API", "completions", "API to call: completions (/v1/completions) or chat (/v1/chat/completions)")
	model := str("model", "LOADGEN_MODEL", "", "model name of the requests")
	profile := str("profile", "LOADGEN_PROFILE", "", "rate profile, e.g. ramp:0-12:60s,hold:12:120s,hold:0:30s")
	repeat := str("repeat", "LOADGEN_REPEAT", "1", "times to play the profile; 0 repeats it until stopped")
	promptTokens := str("prompt-tokens", "LOADGEN_PROMPT_TOKENS", "100", "prompt length: 4 characters per token")
	maxTokens := str("max-tokens", "LOADGEN_MAX_TOKENS", "128", "max_tokens of the requests")
	maxOutstanding := str("max-outstanding", "LOADGEN_MAX_OUTSTANDING", "256", "most requests in flight; arrivals beyond are skipped")
	timeout := str("request-timeout", "LOADGEN_REQUEST_TIMEOUT", "60s", "time limit of each request")
	interval := str("progress-interval", "LOADGEN_PROGRESS_INTERVAL", "10s", "period of the progress lines")
	maxErr := str("max-error-percent", "LOADGEN_MAX_ERROR_PERCENT", "1", "exit 1 when the error rate exceeds this percentage")
	keepAlive := str("keep-alive", "LOADGEN_KEEP_ALIVE", "false", "reuse connections; off, each request opens one, so a Service spreads load to new replicas at once")
	metricsListen := fs.String("metrics-listen", envOr(getenv, "LOADGEN_METRICS_LISTEN", ":9090"),
		"address of /metrics; empty serves none (env LOADGEN_METRICS_LISTEN)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	cfg := config{api: *api, model: *model, metricsListen: *metricsListen}
	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var err error
	cfg.target, err = parseTarget(*target)
	check(err)
	if _, ok := paths[cfg.api]; !ok {
		errs = append(errs, fmt.Errorf("-api=%q: want completions or chat", cfg.api))
	}
	if cfg.model == "" {
		errs = append(errs, errors.New("-model: must not be empty"))
	}
	if cfg.schedule.Profile, err = loadgen.ParseProfile(*profile); err != nil {
		errs = append(errs, fmt.Errorf("-profile=%q: %w", *profile, err))
	}
	cfg.schedule.Repeat, err = parseInt("repeat", *repeat, 0)
	check(err)
	cfg.promptTokens, err = parseInt("prompt-tokens", *promptTokens, 1)
	check(err)
	cfg.maxTokens, err = parseInt("max-tokens", *maxTokens, 1)
	check(err)
	cfg.maxOutstanding, err = parseInt("max-outstanding", *maxOutstanding, 1)
	check(err)
	cfg.requestTimeout, err = parseDuration("request-timeout", *timeout)
	check(err)
	cfg.progressInterval, err = parseDuration("progress-interval", *interval)
	check(err)
	cfg.maxErrorPercent, err = parsePercent("max-error-percent", *maxErr)
	check(err)
	if cfg.keepAlive, err = strconv.ParseBool(*keepAlive); err != nil {
		errs = append(errs, fmt.Errorf("-keep-alive=%q: want true or false", *keepAlive))
	}
	if err := errors.Join(errs...); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// parseTarget checks that raw is an http(s) URL with a host and returns it
// without a trailing slash.
func parseTarget(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("-target: must not be empty")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("-target=%q: want an http or https URL with a host, like http://granite:8000", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u.String(), nil
}

func parseInt(name, raw string, lowest int) (int, error) {
	v, err := strconv.Atoi(raw)
	if err != nil {
		return 0, fmt.Errorf("-%s=%q: not an integer", name, raw)
	}
	if v < lowest {
		return 0, fmt.Errorf("-%s=%q: must be at least %d", name, raw, lowest)
	}
	return v, nil
}

func parseDuration(name, raw string) (time.Duration, error) {
	v, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("-%s=%q: not a duration like 30s or 2m", name, raw)
	}
	if v <= 0 {
		return 0, fmt.Errorf("-%s=%q: must be positive", name, raw)
	}
	return v, nil
}

func parsePercent(name, raw string) (float64, error) {
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return 0, fmt.Errorf("-%s=%q: not a number", name, raw)
	}
	if math.IsNaN(v) || v < 0 || v > 100 {
		return 0, fmt.Errorf("-%s=%q: must be in [0, 100]", name, raw)
	}
	return v, nil
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}
