package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/wva-project/wva/e2e/internal/emulator"
)

// config is the parsed command line.
type config struct {
	listen string
	model  string
	engine emulator.Config
	// defaultMaxTokens is the output length of a request without max_tokens.
	defaultMaxTokens int
	// promptTokens, when above 0, is the length of every text prompt instead
	// of the estimate from its characters.
	promptTokens    int
	startupDelay    time.Duration
	shutdownTimeout time.Duration
}

// parseConfig reads the flags in args, each defaulting to its environment
// variable, and validates them, naming the flag and value of every error.
func parseConfig(args []string, getenv func(string) string, log io.Writer) (config, error) {
	fs := flag.NewFlagSet("vllm-emulator", flag.ContinueOnError)
	fs.SetOutput(log)
	var cfg config
	// Numbers are read as strings, so that a bad environment value gets the
	// same error, naming the flag, as a bad flag value.
	str := func(name, env, def, usage string) *string {
		return fs.String(name, envOr(getenv, env, def), usage+" (env "+env+")")
	}
	fs.StringVar(&cfg.listen, "listen", envOr(getenv, "VLLM_EMULATOR_LISTEN", ":8000"), "address to serve on (env VLLM_EMULATOR_LISTEN)")
	fs.StringVar(&cfg.model, "model", getenv("VLLM_EMULATOR_MODEL"), "served model name, the model_name label of the metrics (env VLLM_EMULATOR_MODEL)")
	kv := str("kv-cache-tokens", "VLLM_EMULATOR_KV_CACHE_TOKENS", "16384", "KV-cache capacity in tokens")
	seqs := str("max-num-seqs", "VLLM_EMULATOR_MAX_NUM_SEQS", "256", "most requests running at once, like vLLM's --max-num-seqs")
	prefill := str("prefill-tokens-per-second", "VLLM_EMULATOR_PREFILL_TOKENS_PER_SECOND", "8000", "prompt processing speed of a request")
	decode := str("decode-tokens-per-second", "VLLM_EMULATOR_DECODE_TOKENS_PER_SECOND", "40", "output generation speed of each running request")
	maxTokens := str("default-max-tokens", "VLLM_EMULATOR_DEFAULT_MAX_TOKENS", "128", "output tokens of a request without max_tokens")
	prompt := str("prompt-tokens", "VLLM_EMULATOR_PROMPT_TOKENS", "0", "length of every text prompt; 0 estimates 1 token per 4 characters")
	startup := str("startup-delay", "VLLM_EMULATOR_STARTUP_DELAY", "0s", "time /health answers 503 after start, like vLLM loading its model")
	shutdown := str("shutdown-timeout", "VLLM_EMULATOR_SHUTDOWN_TIMEOUT", "10s", "time given to in-flight requests on SIGTERM")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.listen == "" {
		errs = append(errs, errors.New("-listen: must not be empty"))
	}
	if cfg.model == "" {
		errs = append(errs, errors.New("-model: must not be empty"))
	}
	var err error
	cfg.engine.KVCacheTokens, err = parseInt("kv-cache-tokens", *kv, 1)
	check(err)
	cfg.engine.MaxNumSeqs, err = parseInt("max-num-seqs", *seqs, 1)
	check(err)
	cfg.engine.PrefillTokensPerSecond, err = parseRate("prefill-tokens-per-second", *prefill)
	check(err)
	cfg.engine.DecodeTokensPerSecond, err = parseRate("decode-tokens-per-second", *decode)
	check(err)
	cfg.defaultMaxTokens, err = parseInt("default-max-tokens", *maxTokens, 1)
	check(err)
	cfg.promptTokens, err = parseInt("prompt-tokens", *prompt, 0)
	check(err)
	cfg.startupDelay, err = parseDuration("startup-delay", *startup)
	check(err)
	cfg.shutdownTimeout, err = parseDuration("shutdown-timeout", *shutdown)
	check(err)
	if err := errors.Join(errs...); err != nil {
		return config{}, err
	}
	return cfg, nil
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

func parseRate(name, raw string) (float64, error) {
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return 0, fmt.Errorf("-%s=%q: not a number", name, raw)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return 0, fmt.Errorf("-%s=%q: must be a finite number > 0", name, raw)
	}
	return v, nil
}

func parseDuration(name, raw string) (time.Duration, error) {
	v, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("-%s=%q: not a duration like 30s or 2m", name, raw)
	}
	if v < 0 {
		return 0, fmt.Errorf("-%s=%q: must not be negative", name, raw)
	}
	return v, nil
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}
