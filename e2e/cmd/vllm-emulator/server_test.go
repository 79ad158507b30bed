package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wva-project/wva/e2e/internal/emulator"
)

// fastConfig is an engine that finishes every test request within
// microseconds, for tests of the API's shapes on a real clock.
func fastConfig() config {
	return config{
		model:            "m",
		engine:           emulator.Config{KVCacheTokens: 1000, MaxNumSeqs: 4, PrefillTokensPerSecond: 1e9, DecodeTokensPerSecond: 1e8},
		defaultMaxTokens: 7,
	}
}

func startServer(t *testing.T, cfg config, clk clock.Clock) *httptest.Server {
	t.Helper()
	engine, err := emulator.New(cfg.engine, clk)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newServer(cfg, engine, clk).handler())
	t.Cleanup(srv.Close)
	return srv
}

type response struct {
	Status int
	Body   map[string]any // the JSON body; id and created are checked, then dropped
}

// do sends body (JSON) and decodes the answer. It checks that a completion
// id has its vLLM prefix and that every created is a timestamp, then drops
// them, as they vary.
func do(t *testing.T, srv *httptest.Server, method, path, body string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	got := response{Status: resp.StatusCode}
	if len(bytes.TrimSpace(raw)) == 0 {
		return got
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	if err := json.Unmarshal(raw, &got.Body); err != nil {
		t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, raw, err)
	}
	if id, ok := got.Body["id"].(string); ok {
		if !strings.HasPrefix(id, "cmpl-") && !strings.HasPrefix(id, "chatcmpl-") || len(id) < 32 {
			t.Errorf("%s %s: id %q lacks vLLM's form", method, path, id)
		}
		delete(got.Body, "id")
	}
	dropCreated(t, got.Body)
	return got
}

// dropCreated checks that every "created" in v is a timestamp and removes
// it.
func dropCreated(t *testing.T, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		if c, ok := v["created"]; ok {
			if _, isNumber := c.(float64); !isNumber {
				t.Errorf("created: %v, want a Unix time", c)
			}
			delete(v, "created")
		}
		for _, e := range v {
			dropCreated(t, e)
		}
	case []any:
		for _, e := range v {
			dropCreated(t, e)
		}
	}
}

// completion is the body vLLM answers /v1/completions with, one choice per
// element of prompts (their token counts), each of out tokens.
func completion(out int, prompts ...int) map[string]any {
	var choices []any
	total := 0
	for i, p := range prompts {
		choices = append(choices, map[string]any{
			"index": float64(i), "text": generate(out), "logprobs": nil, "finish_reason": "length", "stop_reason": nil,
		})
		total += p
	}
	return map[string]any{
		"object": "text_completion", "model": "m", "choices": choices,
		"usage": map[string]any{"prompt_tokens": float64(total), "completion_tokens": float64(out * len(prompts)), "total_tokens": float64(total + out*len(prompts))},
	}
}

// chat is the body vLLM answers /v1/chat/completions with.
func chat(prompt, out int) map[string]any {
	return map[string]any{
		"object": "chat.completion", "model": "m",
		"choices": []any{map[string]any{
			"index": 0.0, "message": map[string]any{"role": "assistant", "content": generate(out)},
			"logprobs": nil, "finish_reason": "length", "stop_reason": nil,
		}},
		"usage": map[string]any{"prompt_tokens": float64(prompt), "completion_tokens": float64(out), "total_tokens": float64(prompt + out)},
	}
}

func apiError(status int, typ string, param any, msg string) response {
	return response{Status: status, Body: map[string]any{"error": map[string]any{
		"message": msg, "type": typ, "param": param, "code": float64(status),
	}}}
}

func TestAPI(t *testing.T) {
	srv := startServer(t, fastConfig(), clock.RealClock{})
	cases := map[string]struct {
		method, path, body string
		want               response
	}{
		"completion of a string prompt": {
			method: http.MethodPost, path: "/v1/completions",
			body: `{"model": "m", "prompt": "Say this is a test", "max_tokens": 5, "temperature": 0}`,
			want: response{Status: 200, Body: completion(5, 5)}, // 19 characters: 5 tokens
		},
		"completion without model or max_tokens": {
			method: http.MethodPost, path: "/v1/completions",
			body: `{"prompt": "abcd"}`,
			want: response{Status: 200, Body: completion(7, 1)},
		},
		"completion of several prompts": {
			method: http.MethodPost, path: "/v1/completions",
			body: `{"model": "m", "prompt": ["abcdefgh", "abc"], "max_tokens": 2}`,
			want: response{Status: 200, Body: completion(2, 2, 1)},
		},
		"completion of token IDs": {
			method: http.MethodPost, path: "/v1/completions",
			body: `{"model": "m", "prompt": [1, 2, 3], "max_tokens": 2}`,
			want: response{Status: 200, Body: completion(2, 3)},
		},
		"completion of batches of token IDs": {
			method: http.MethodPost, path: "/v1/completions",
			body: `{"model": "m", "prompt": [[1, 2], [3]], "max_tokens": 1}`,
			want: response{Status: 200, Body: completion(1, 2, 1)},
		},
		"chat completion": {
			method: http.MethodPost, path: "/v1/chat/completions",
			body: `{"model": "m", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello!"}], "max_tokens": 3}`,
			want: response{Status: 200, Body: chat(4, 3)}, // 15 characters
		},
		"chat completion with content parts and max_completion_tokens": {
			method: http.MethodPost, path: "/v1/chat/completions",
			body: `{"messages": [{"role": "user", "content": [{"type": "text", "text": "12345678"}, {"type": "image_url", "image_url": {"url": "x"}}]}], "max_tokens": 9, "max_completion_tokens": 2}`,
			want: response{Status: 200, Body: chat(2, 2)},
		},
		"unknown model": {
			method: http.MethodPost, path: "/v1/completions",
			body: `{"model": "gpt-4", "prompt": "hi"}`,
			want: apiError(404, "NotFoundError", "model", "The model `gpt-4` does not exist."),
		},
		"unknown chat model": {
			method: http.MethodPost, path: "/v1/chat/completions",
			body: `{"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}`,
			want: apiError(404, "NotFoundError", "model", "The model `gpt-4` does not exist."),
		},
		"longer than the KV cache": {
			method: http.MethodPost, path: "/v1/completions",
			body: `{"model": "m", "prompt": [1, 2, 3], "max_tokens": 998}`,
			want: apiError(400, "BadRequestError", nil, "This model's maximum context length is 1000 tokens. However, you requested 1001 tokens (3 in the prompt, 998 in the completion). Please reduce the length of the prompt or completion."),
		},
		"max_tokens 0": {
			method: http.MethodPost, path: "/v1/completions",
			body: `{"model": "m", "prompt": "hi", "max_tokens": 0}`,
			want: apiError(400, "BadRequestError", "max_tokens", "max_tokens must be at least 1, got 0."),
		},
		"no prompt": {
			method: http.MethodPost, path: "/v1/completions",
			body: `{"model": "m"}`,
			want: apiError(400, "BadRequestError", "prompt", errNoPrompt.Error()),
		},
		"no messages": {
			method: http.MethodPost, path: "/v1/chat/completions",
			body: `{"model": "m", "messages": []}`,
			want: apiError(400, "BadRequestError", "messages", "messages: required, a non-empty array"),
		},
		"streaming": {
			method: http.MethodPost, path: "/v1/completions",
			body: `{"model": "m", "prompt": "hi", "stream": true}`,
			want: apiError(400, "BadRequestError", "stream", "stream: not supported by the emulator"),
		},
		"several choices": {
			method: http.MethodPost, path: "/v1/chat/completions",
			body: `{"model": "m", "messages": [{"role": "user", "content": "hi"}], "n": 2}`,
			want: apiError(400, "BadRequestError", "n", "n=2: the emulator generates one choice per prompt"),
		},
		"not JSON": {
			method: http.MethodPost, path: "/v1/completions",
			body: `prompt=hi`,
			want: apiError(400, "BadRequestError", nil, "Invalid JSON body: invalid character 'p' looking for beginning of value"),
		},
		"models": {
			method: http.MethodGet, path: "/v1/models",
			want: response{Status: 200, Body: map[string]any{"object": "list", "data": []any{map[string]any{
				"id": "m", "object": "model", "owned_by": "vllm", "root": "m", "parent": nil, "max_model_len": 1000.0,
			}}}},
		},
		"health": {method: http.MethodGet, path: "/health", want: response{Status: 200}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := do(t, srv, tc.method, tc.path, tc.body)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s", tc.method, tc.path, diff)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	srv := startServer(t, fastConfig(), clock.RealClock{})
	resp, err := srv.Client().Get(srv.URL + "/v1/completions")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/completions: %s, want 405", resp.Status)
	}
}

// TestStartupDelay checks that /health and the API answer 503 until the
// delay has passed, while /metrics answers from the start.
func TestStartupDelay(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg := fastConfig()
	cfg.startupDelay = time.Minute
	srv := startServer(t, cfg, clk)
	loading := apiError(503, "ServiceUnavailableError", nil, "The model is still loading.")
	for _, step := range []struct {
		by                  time.Duration
		health, models      response
		metricsStatusWanted int
	}{
		{by: 0, health: response{Status: 503}, models: loading, metricsStatusWanted: 200},
		{by: time.Minute - 1, health: response{Status: 503}, models: loading, metricsStatusWanted: 200},
		{by: 1, health: response{Status: 200}, models: response{Status: 200}, metricsStatusWanted: 200},
	} {
		clk.Step(step.by)
		at := clk.Now().Format(time.TimeOnly)
		if diff := cmp.Diff(step.health, do(t, srv, http.MethodGet, "/health", "")); diff != "" {
			t.Errorf("at %s: GET /health (-want +got):\n%s", at, diff)
		}
		got := do(t, srv, http.MethodGet, "/v1/models", "")
		if step.models.Body == nil {
			got.Body = nil // only the status matters once ready
		}
		if diff := cmp.Diff(step.models, got); diff != "" {
			t.Errorf("at %s: GET /v1/models (-want +got):\n%s", at, diff)
		}
		if s := scrape(t, srv); s.status != step.metricsStatusWanted {
			t.Errorf("at %s: GET /metrics: status %d", at, s.status)
		}
	}
}
