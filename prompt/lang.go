package prompt

import (
	"fmt"
	"strings"
)

// Lang is the language a report is written in.
type Lang string

// The supported languages.
const (
	// Korean is the language of the original app and the default.
	Korean Lang = "ko"
	// English is the second supported language.
	English Lang = "en"
)

// DefaultLang is the language used when none is given.
const DefaultLang = Korean

// ParseLang reads a language name: "ko", "kor", "korean", "한국어" for
// Korean, "en", "eng", "english" for English, case-insensitive. The empty
// string gives DefaultLang.
func ParseLang(s string) (Lang, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return DefaultLang, nil
	case "ko", "kor", "korean", "ko-kr", "한국어":
		return Korean, nil
	case "en", "eng", "english", "en-us", "en-gb":
		return English, nil
	}
	return "", fmt.Errorf("prompt: unknown language %q (want ko or en)", s)
}

// Valid reports whether l is a supported language.
func (l Lang) Valid() bool { return l == Korean || l == English }

// orDefault returns l, or DefaultLang when l is empty.
func (l Lang) orDefault() Lang {
	if l == "" {
		return DefaultLang
	}
	return l
}
