package prompt

import "strings"

const (
	disclaimerKo = "※ 본 안내문은 교육용 자료이며 의료진의 진단을 대체하지 않습니다. 인공지능 모델의 결과와 Grad-CAM 지도는 틀릴 수 있으므로, 진단과 치료는 반드시 의료진과 상의하세요."
	disclaimerEn = "※ This report is educational material and is not a medical diagnosis; it does not replace a clinician's assessment. The model's output and the Grad-CAM map can be wrong: consult a qualified clinician for diagnosis and treatment."
)

// Disclaimer returns the not-a-diagnosis notice in lang (Korean for an
// empty or unknown language).
func Disclaimer(lang Lang) string {
	if lang == English {
		return disclaimerEn
	}
	return disclaimerKo
}

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
