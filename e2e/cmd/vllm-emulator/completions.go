package main

import (
	"net/http"

	"github.com/wva-project/wva/e2e/internal/emulator"
)

// completions serves POST /v1/completions: one choice per prompt, each the
// result of its own emulated request.
func (s *server) completions(w http.ResponseWriter, r *http.Request) {
	var req completionRequest
	if !decode(w, r, &req) || !s.checkModel(w, req.Model) {
		return
	}
	out, ok := s.outputTokens(w, req.MaxTokens, req.N, req.Stream)
	if !ok {
		return
	}
	prompts, err := parsePrompts(req.Prompt)
	if err != nil {
		writeError(w, http.StatusBadRequest, "prompt", err.Error())
		return
	}
	reqs := make([]emulator.Request, len(prompts))
	for i, p := range prompts {
		n := p.tokens
		if p.isText {
			n = s.textTokens(p.text)
		}
		reqs[i] = emulator.Request{PromptTokens: n, OutputTokens: out}
	}
	if !s.emulate(w, r, reqs) {
		return
	}
	resp := completionResponse{
		ID:      newID("cmpl-"),
		Object:  "text_completion",
		Created: s.clock.Now().Unix(),
		Model:   s.model,
		Choices: make([]completionChoice, len(reqs)),
	}
	text := generate(out)
	for i, q := range reqs {
		resp.Choices[i] = completionChoice{Index: i, Text: text, FinishReason: finishLength}
		resp.Usage.PromptTokens += q.PromptTokens
		resp.Usage.CompletionTokens += q.OutputTokens
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
	writeJSON(w, http.StatusOK, resp)
}

// chatCompletions serves POST /v1/chat/completions: the text of all
// messages is the prompt of one emulated request.
func (s *server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	if !decode(w, r, &req) || !s.checkModel(w, req.Model) {
		return
	}
	maxTokens := req.MaxTokens
	if req.MaxCompletionTokens != nil { // OpenAI's newer name wins
		maxTokens = req.MaxCompletionTokens
	}
	out, ok := s.outputTokens(w, maxTokens, req.N, req.Stream)
	if !ok {
		return
	}
	text, err := chatText(req.Messages)
	if err != nil {
		writeError(w, http.StatusBadRequest, "messages", err.Error())
		return
	}
	q := emulator.Request{PromptTokens: s.textTokens(text), OutputTokens: out}
	if !s.emulate(w, r, []emulator.Request{q}) {
		return
	}
	writeJSON(w, http.StatusOK, chatResponse{
		ID:      newID("chatcmpl-"),
		Object:  "chat.completion",
		Created: s.clock.Now().Unix(),
		Model:   s.model,
		Choices: []chatChoice{{
			Index:        0,
			Message:      chatOutput{Role: "assistant", Content: generate(out)},
			FinishReason: finishLength,
		}},
		Usage: usage{PromptTokens: q.PromptTokens, CompletionTokens: q.OutputTokens, TotalTokens: q.Tokens()},
	})
}
