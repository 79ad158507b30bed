package main

import (
	"encoding/json"
	"strings"
)

// promptText is a prompt the emulator estimates at exactly tokens tokens
// (4 characters each).
func promptText(tokens int) string { return strings.Repeat("tok ", tokens) }

// requestBody is the JSON body of every request: a completion or chat
// completion of a prompt of promptTokens, generating maxTokens.
func requestBody(api, model string, promptTokens, maxTokens int) []byte {
	prompt := promptText(promptTokens)
	var v any
	switch api {
	case "chat":
		v = struct {
			Model     string              `json:"model"`
			Messages  []map[string]string `json:"messages"`
			MaxTokens int                 `json:"max_tokens"`
		}{model, []map[string]string{{"role": "user", "content": prompt}}, maxTokens}
	default:
		v = struct {
			Model     string `json:"model"`
			Prompt    string `json:"prompt"`
			MaxTokens int    `json:"max_tokens"`
		}{model, prompt, maxTokens}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // strings and ints always marshal
	}
	return b
}
