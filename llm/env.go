package llm

import (
	"fmt"
	"strings"
)

// FromEnv returns the Client named by backend, configured from the
// environment read through getenv (os.Getenv in production):
//
//   - "gemini": NewGemini(GeminiConfigFromEnv(getenv)); GEMINI_API_KEY is required.
//   - "openai": NewOpenAI(OpenAIConfigFromEnv(getenv)); OPENAI_MODEL is required.
//   - "offline": Offline.
//   - "" (auto): gemini when GEMINI_API_KEY is set, else offline.
func FromEnv(getenv func(string) string, backend string) (Client, error) {
	switch strings.ToLower(strings.TrimSpace(backend)) {
	case "":
		if strings.TrimSpace(getenv("GEMINI_API_KEY")) == "" {
			return Offline{}, nil
		}
		return FromEnv(getenv, "gemini")
	case "gemini":
		g, err := NewGemini(GeminiConfigFromEnv(getenv))
		if err != nil {
			return nil, err
		}
		return g, nil
	case "openai":
		o, err := NewOpenAI(OpenAIConfigFromEnv(getenv))
		if err != nil {
			return nil, err
		}
		return o, nil
	case "offline":
		return Offline{}, nil
	}
	return nil, fmt.Errorf("llm: %w: unknown backend %q (want gemini, openai or offline)", ErrConfig, backend)
}
