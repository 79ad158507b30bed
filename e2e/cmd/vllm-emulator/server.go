package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/utils/clock"

	"github.com/wva-project/wva/e2e/internal/emulator"
)

// maxBodyBytes bounds a request body; prompts are estimated, not stored.
const maxBodyBytes = 16 << 20

// server answers vLLM's HTTP API from an emulated engine.
type server struct {
	model            string
	engine           *emulator.Engine
	clock            clock.PassiveClock
	readyAt          time.Time
	defaultMaxTokens int
	promptTokens     int
}

// newServer returns a server of cfg on engine, ready cfg.startupDelay after
// clk's current time.
func newServer(cfg config, engine *emulator.Engine, clk clock.PassiveClock) *server {
	return &server{
		model:            cfg.model,
		engine:           engine,
		clock:            clk,
		readyAt:          clk.Now().Add(cfg.startupDelay),
		defaultMaxTokens: cfg.defaultMaxTokens,
		promptTokens:     cfg.promptTokens,
	}
}

// handler routes the API, /health and /metrics.
func (s *server) handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(s.engine, s.model))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /health", s.health)
	mux.HandleFunc("GET /v1/models", s.whenReady(s.models))
	mux.HandleFunc("POST /v1/completions", s.whenReady(s.completions))
	mux.HandleFunc("POST /v1/chat/completions", s.whenReady(s.chatCompletions))
	return mux
}

func (s *server) ready() bool { return !s.clock.Now().Before(s.readyAt) }

// health is 200 with an empty body, as vLLM's, once the startup delay has
// passed, and 503 before: a readiness probe on it sees the model load.
func (s *server) health(w http.ResponseWriter, _ *http.Request) {
	if !s.ready() {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// whenReady answers 503 until the startup delay has passed.
func (s *server) whenReady(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.ready() {
			writeError(w, http.StatusServiceUnavailable, "", "The model is still loading.")
			return
		}
		h(w, r)
	}
}

func (s *server) models(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, modelList{Object: "list", Data: []modelCard{{
		ID:          s.model,
		Object:      "model",
		Created:     s.clock.Now().Unix(),
		OwnedBy:     "vllm",
		Root:        s.model,
		MaxModelLen: s.engine.Config().KVCacheTokens,
	}}})
}

// checkModel reports a request for another model, as vLLM does: 404. An
// empty model means the served one.
func (s *server) checkModel(w http.ResponseWriter, model string) bool {
	if model != "" && model != s.model {
		writeError(w, http.StatusNotFound, "model", fmt.Sprintf("The model `%s` does not exist.", model))
		return false
	}
	return true
}

// decode reads a JSON body into v, answering 400 if it is not one.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes)).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "", fmt.Sprintf("Invalid JSON body: %v", err))
		return false
	}
	return true
}

// outputTokens is the requested output length, or the default; false after
// answering 400 for an invalid one or an unsupported n or stream.
func (s *server) outputTokens(w http.ResponseWriter, maxTokens, n *int, stream bool) (int, bool) {
	switch {
	case stream:
		writeError(w, http.StatusBadRequest, "stream", "stream: not supported by the emulator")
		return 0, false
	case n != nil && *n != 1:
		writeError(w, http.StatusBadRequest, "n", fmt.Sprintf("n=%d: the emulator generates one choice per prompt", *n))
		return 0, false
	case maxTokens == nil:
		return s.defaultMaxTokens, true
	case *maxTokens < 1:
		writeError(w, http.StatusBadRequest, "max_tokens", fmt.Sprintf("max_tokens must be at least 1, got %d.", *maxTokens))
		return 0, false
	}
	return *maxTokens, true
}

// textTokens is the prompt length of text: the -prompt-tokens override, or
// the estimate.
func (s *server) textTokens(text string) int {
	if s.promptTokens > 0 {
		return s.promptTokens
	}
	return estimateTokens(text)
}

// emulate submits reqs to the engine and waits for all of them, cancelling the
// rest if one fails or the client goes away. It returns false after
// answering with an error (or when the client is gone).
func (s *server) emulate(w http.ResponseWriter, r *http.Request, reqs []emulator.Request) bool {
	tickets := make([]*emulator.Ticket, 0, len(reqs))
	defer func() {
		for _, t := range tickets {
			t.Cancel() // no-op for the finished ones
		}
	}()
	for _, req := range reqs {
		t, err := s.engine.Submit(req)
		if err != nil {
			writeSubmitError(w, req, err, s.engine.Config().KVCacheTokens)
			return false
		}
		tickets = append(tickets, t)
	}
	for _, t := range tickets {
		if _, err := t.Wait(r.Context()); err != nil {
			return false // the client is gone: nobody reads an answer
		}
	}
	return true
}

func writeSubmitError(w http.ResponseWriter, req emulator.Request, err error, maxLen int) {
	if errors.Is(err, emulator.ErrTooLarge) {
		writeError(w, http.StatusBadRequest, "", fmt.Sprintf(
			"This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the prompt, %d in the completion). Please reduce the length of the prompt or completion.",
			maxLen, req.Tokens(), req.PromptTokens, req.OutputTokens))
		return
	}
	writeError(w, http.StatusBadRequest, "", err.Error())
}

func newID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails
	return prefix + hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a failed write is the client gone
}

// writeError answers with an OpenAI error body; its type is vLLM's, the
// status text without spaces plus "Error" (NotFoundError, BadRequestError).
func writeError(w http.ResponseWriter, status int, param, msg string) {
	info := errorInfo{Message: msg, Type: errorType(status), Code: status}
	if param != "" {
		info.Param = &param
	}
	writeJSON(w, status, errorResponse{Error: info})
}

func errorType(status int) string {
	return strings.ReplaceAll(http.StatusText(status), " ", "") + "Error"
}
