package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The request and response bodies of vLLM's OpenAI-compatible server
// (vllm/entrypoints/openai/protocol.py), reduced to the fields the emulator
// reads or writes. Unknown request fields are accepted and ignored, as
// sampling parameters have no effect on the emulation.

type completionRequest struct {
	Model     string          `json:"model"`
	Prompt    json.RawMessage `json:"prompt"`
	MaxTokens *int            `json:"max_tokens"`
	N         *int            `json:"n"`
	Stream    bool            `json:"stream"`
}

type chatRequest struct {
	Model               string        `json:"model"`
	Messages            []chatMessage `json:"messages"`
	MaxTokens           *int          `json:"max_tokens"`
	MaxCompletionTokens *int          `json:"max_completion_tokens"`
	N                   *int          `json:"n"`
	Stream              bool          `json:"stream"`
}

type chatMessage struct {
	Role string `json:"role"`
	// Content is a string, an array of parts ({"type": "text", "text": ...}
	// counts; other parts do not) or null.
	Content json.RawMessage `json:"content"`
}

type completionResponse struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"`
	Created int64              `json:"created"`
	Model   string             `json:"model"`
	Choices []completionChoice `json:"choices"`
	Usage   usage              `json:"usage"`
}

type completionChoice struct {
	Index        int       `json:"index"`
	Text         string    `json:"text"`
	Logprobs     *struct{} `json:"logprobs"`
	FinishReason string    `json:"finish_reason"`
	StopReason   *string   `json:"stop_reason"`
}

type chatResponse struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   usage        `json:"usage"`
}

type chatChoice struct {
	Index        int        `json:"index"`
	Message      chatOutput `json:"message"`
	Logprobs     *struct{}  `json:"logprobs"`
	FinishReason string     `json:"finish_reason"`
	StopReason   *string    `json:"stop_reason"`
}

type chatOutput struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	TotalTokens      int `json:"total_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

type modelList struct {
	Object string      `json:"object"`
	Data   []modelCard `json:"data"`
}

type modelCard struct {
	ID          string  `json:"id"`
	Object      string  `json:"object"`
	Created     int64   `json:"created"`
	OwnedBy     string  `json:"owned_by"`
	Root        string  `json:"root"`
	Parent      *string `json:"parent"`
	MaxModelLen int     `json:"max_model_len"`
}

// errorResponse is the OpenAI error body, which vLLM also returns.
type errorResponse struct {
	Error errorInfo `json:"error"`
}

type errorInfo struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    int     `json:"code"`
}

// finishLength is the finish_reason of every emulated request: it always
// generates max_tokens.
const finishLength = "length"

// charsPerToken is the prompt-length estimate: about four characters of
// English text per token, as OpenAI's tokenizer guidance has it.
const charsPerToken = 4

// estimateTokens is the token count of text: one per charsPerToken
// characters, rounded up, at least 1.
func estimateTokens(text string) int {
	return max(1, (utf8.RuneCountInString(text)+charsPerToken-1)/charsPerToken)
}

// prompt is one prompt of a request: its text, or its token count when it
// came as token IDs.
type prompt struct {
	text   string
	tokens int // > 0 for token IDs
	isText bool
}

var errNoPrompt = errors.New("prompt: required, a string, an array of strings or an array of token IDs")

// parsePrompts decodes the prompt field of /v1/completions: a string, an
// array of strings, an array of token IDs or an array of those. Each element
// of an outer array is a separate prompt, with a choice of its own.
func parsePrompts(raw json.RawMessage) ([]prompt, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, errNoPrompt
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []prompt{{text: one, isText: true}}, nil
	}
	var texts []string
	if json.Unmarshal(raw, &texts) == nil && len(texts) > 0 {
		out := make([]prompt, len(texts))
		for i, t := range texts {
			out[i] = prompt{text: t, isText: true}
		}
		return out, nil
	}
	var ids []int
	if json.Unmarshal(raw, &ids) == nil && len(ids) > 0 {
		return []prompt{{tokens: len(ids)}}, nil
	}
	var batches [][]int
	if json.Unmarshal(raw, &batches) == nil && len(batches) > 0 {
		out := make([]prompt, len(batches))
		for i, b := range batches {
			if len(b) == 0 {
				return nil, fmt.Errorf("prompt[%d]: empty array of token IDs", i)
			}
			out[i] = prompt{tokens: len(b)}
		}
		return out, nil
	}
	return nil, errNoPrompt
}

// chatText is the text of all messages, the input of the prompt estimate.
func chatText(msgs []chatMessage) (string, error) {
	if len(msgs) == 0 {
		return "", errors.New("messages: required, a non-empty array")
	}
	var b strings.Builder
	for i, m := range msgs {
		content := bytes.TrimSpace(m.Content)
		if len(content) == 0 || bytes.Equal(content, []byte("null")) {
			continue
		}
		var s string
		if json.Unmarshal(content, &s) == nil {
			b.WriteString(s)
			continue
		}
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(content, &parts); err != nil {
			return "", fmt.Errorf("messages[%d].content: not a string or an array of parts", i)
		}
		for _, p := range parts {
			if p.Type == "text" {
				b.WriteString(p.Text)
			}
		}
	}
	return b.String(), nil
}

// generate is the text of n output tokens: words of a pangram, one token
// each.
func generate(n int) string {
	words := [...]string{" The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", "."}
	var b strings.Builder
	for i := range n {
		b.WriteString(words[i%len(words)])
	}
	return b.String()
}
