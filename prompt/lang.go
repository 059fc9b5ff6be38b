package prompt

import (
	"fmt"
	"slices"
	"strings"
)

// Lang is the language of a report, of the CAM notes and of every other
// sentence the project shows a reader. Each language has one catalogue of
// phrases (lang_ko.go, lang_en.go, …) and its report templates under
// templates/.
type Lang string

// DefaultLang is the language used when none is given: Korean, the
// language of the original app.
const DefaultLang = Korean

// catalogue lists every language's phrases, DefaultLang first. A new
// language is one file defining its Lang and phrases, added here, plus its
// templates.
func catalogue() []phrases {
	return []phrases{korean(), english()}
}

// Languages returns the supported languages, DefaultLang first.
func Languages() []Lang {
	var out []Lang
	for _, p := range catalogue() {
		out = append(out, p.lang)
	}
	return out
}

// LanguageName returns the name of l in l itself ("한국어", "English"), for a
// language picker; the default language's name for an unknown l.
func LanguageName(l Lang) string { return words(l).name }

// ParseLang reads a language name, case-insensitive, with the names each
// catalogue accepts: "ko", "kor", "korean", "ko-kr", "한국어" for Korean,
// "en", "eng", "english", "en-us", "en-gb" for English. The empty string
// gives DefaultLang.
func ParseLang(s string) (Lang, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if name == "" {
		return DefaultLang, nil
	}
	for _, p := range catalogue() {
		if name == string(p.lang) || slices.Contains(p.aliases, name) {
			return p.lang, nil
		}
	}
	return "", fmt.Errorf("prompt: unknown language %q (want %s)", s, choices())
}

// choices lists the languages for an error message: "ko or en".
func choices() string {
	var names []string
	for _, l := range Languages() {
		names = append(names, string(l))
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Valid reports whether l is a supported language.
func (l Lang) Valid() bool { return slices.Contains(Languages(), l) }

// orDefault returns l, or DefaultLang when l is empty.
func (l Lang) orDefault() Lang {
	if l == "" {
		return DefaultLang
	}
	return l
}

// words returns the phrases of l; those of DefaultLang when l is empty or
// unknown.
func words(l Lang) phrases {
	all := catalogue()
	for _, p := range all {
		if p.lang == l {
			return p
		}
	}
	return all[0]
}
