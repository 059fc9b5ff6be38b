package prompt

import "strings"

// Disclaimer returns the not-a-diagnosis notice in lang (in DefaultLang
// for an empty or unknown language).
func Disclaimer(lang Lang) string { return words(lang).Disclaimer }

// EnsureDisclaimer returns report with Disclaimer(lang) appended, after a
// horizontal rule, unless report already contains it verbatim. Leading and
// trailing blank space of report is trimmed; the result ends in a newline.
func EnsureDisclaimer(report string, lang Lang) string {
	d := Disclaimer(lang)
	report = strings.TrimSpace(report)
	if strings.Contains(report, d) {
		return report + "\n"
	}
	if report == "" {
		return d + "\n"
	}
	return report + "\n\n---\n\n" + d + "\n"
}
