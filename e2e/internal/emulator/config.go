package emulator

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Config is the capacity and speed of the emulated engine.
type Config struct {
	// KVCacheTokens is the size of the KV cache in tokens.
	KVCacheTokens int
	// MaxNumSeqs is the most requests that run at once (vLLM --max-num-seqs).
	MaxNumSeqs int
	// PrefillTokensPerSecond is how fast a running request's prompt is
	// processed before its first output token.
	PrefillTokensPerSecond float64
	// DecodeTokensPerSecond is how fast each running request generates
	// output tokens, independently of the others.
	DecodeTokensPerSecond float64
}

// Validate returns every problem of c, naming the field.
func (c Config) Validate() error {
	var errs []error
	if c.KVCacheTokens < 1 {
		errs = append(errs, fmt.Errorf("KVCacheTokens=%d: must be at least 1", c.KVCacheTokens))
	}
	if c.MaxNumSeqs < 1 {
		errs = append(errs, fmt.Errorf("MaxNumSeqs=%d: must be at least 1", c.MaxNumSeqs))
	}
	if !positive(c.PrefillTokensPerSecond) {
		errs = append(errs, fmt.Errorf("PrefillTokensPerSecond=%g: must be a finite number > 0", c.PrefillTokensPerSecond))
	}
	if !positive(c.DecodeTokensPerSecond) {
		errs = append(errs, fmt.Errorf("DecodeTokensPerSecond=%g: must be a finite number > 0", c.DecodeTokensPerSecond))
	}
	return errors.Join(errs...)
}

func positive(v float64) bool { return v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) }

// Request is the size of one completion request.
type Request struct {
	// PromptTokens is the length of the prompt, at least 1.
	PromptTokens int
	// OutputTokens is the number of tokens generated, at least 1; the
	// emulator always generates max_tokens (finish_reason "length").
	OutputTokens int
}

// Tokens is the KV cache the request occupies while it runs.
func (r Request) Tokens() int { return r.PromptTokens + r.OutputTokens }

// Errors of Engine.Submit, wrapped with the request's numbers.
var (
	// ErrInvalidRequest: a token count is below 1.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrTooLarge: the request needs more tokens than the whole KV cache,
	// so it could never be admitted (vLLM rejects it with 400 too).
	ErrTooLarge = errors.New("request larger than the KV cache")
)

// check reports why r can never run on an engine of c.
func (c Config) check(r Request) error {
	if r.PromptTokens < 1 || r.OutputTokens < 1 {
		return fmt.Errorf("%w: %d prompt and %d output tokens, want at least 1 of each",
			ErrInvalidRequest, r.PromptTokens, r.OutputTokens)
	}
	if r.Tokens() > c.KVCacheTokens {
		return fmt.Errorf("%w: %d tokens (%d prompt + %d output) exceed the %d-token cache",
			ErrTooLarge, r.Tokens(), r.PromptTokens, r.OutputTokens, c.KVCacheTokens)
	}
	return nil
}

// prefill is how long r runs before its first token.
func (c Config) prefill(r Request) time.Duration {
	return seconds(float64(r.PromptTokens) / c.PrefillTokensPerSecond)
}

// decode is how long r runs after its first token.
func (c Config) decode(r Request) time.Duration {
	return seconds(float64(r.OutputTokens) / c.DecodeTokensPerSecond)
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }
