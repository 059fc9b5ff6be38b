package prompt

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
)

// Lang is the language of a report, of the CAM notes and of every other
// sentence the project shows a reader. Each language has one catalogue of
// phrases, lang/<code>.json (embedded), and its report templates under
// templates/.
type Lang string

// The languages with a catalogue.
const (
	// Korean is the language of the original app and the default.
	Korean Lang = "ko"
	// English is the second supported language.
	English Lang = "en"
)

// DefaultLang is the language used when none is given: Korean, the
// language of the original app.
const DefaultLang = Korean

//go:embed lang/*.json
var langFS embed.FS

// catalogue lists every language's phrases, DefaultLang first, read once
// from lang/*.json. A new language is one file there (its "lang" field is
// its code, the file's name) plus its templates; TestCatalogueComplete
// checks that it fills every phrase.
var catalogue = sync.OnceValue(func() []phrases {
	all, err := readCatalogue(langFS)
	if err != nil {
		panic(err) // the embedded files are part of the program; a test reads them
	}
	return all
})

// readCatalogue decodes every lang/*.json of fsys, DefaultLang first and
// the others by code.
func readCatalogue(fsys fs.FS) ([]phrases, error) {
	files, err := fs.Glob(fsys, "lang/*.json")
	if err != nil {
		return nil, err
	}
	var all []phrases
	for _, name := range files {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var p phrases
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("prompt: %s: %w", name, err)
		}
		if want := strings.TrimSuffix(path.Base(name), ".json"); string(p.Lang) != want {
			return nil, fmt.Errorf("prompt: %s: lang is %q, want %q", name, p.Lang, want)
		}
		all = append(all, p)
	}
	slices.SortFunc(all, func(a, b phrases) int {
		switch {
		case a.Lang == DefaultLang:
			return -1
		case b.Lang == DefaultLang:
			return 1
		}
		return strings.Compare(string(a.Lang), string(b.Lang))
	})
	if len(all) == 0 || all[0].Lang != DefaultLang {
		return nil, fmt.Errorf("prompt: no catalogue for the default language %q", DefaultLang)
	}
	return all, nil
}

// Languages returns the supported languages, DefaultLang first.
func Languages() []Lang {
	var out []Lang
	for _, p := range catalogue() {
		out = append(out, p.Lang)
	}
	return out
}

// LanguageName returns the name of l in l itself ("한국어", "English"), for a
// language picker; the default language's name for an unknown l.
func LanguageName(l Lang) string { return words(l).Name }

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
		if name == string(p.Lang) || slices.Contains(p.Aliases, name) {
			return p.Lang, nil
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
		if p.Lang == l {
			return p
		}
	}
	return all[0]
}
