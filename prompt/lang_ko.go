package prompt

import "github.com/xrayllm/xray/gradcam/notes"

// Korean is the language of the original app and the default.
const Korean Lang = "ko"

// korean returns the Korean phrases.
func korean() phrases {
	return phrases{
		lang:    Korean,
		name:    "한국어",
		aliases: []string{"kor", "korean", "ko-kr", "한국어"},
		zones: map[notes.Zone]string{
			notes.RightUpper: "우측 상부 영역", notes.RightMiddle: "우측 중부 영역", notes.RightLower: "우측 하부 영역",
			notes.LeftUpper: "좌측 상부 영역", notes.LeftMiddle: "좌측 중부 영역", notes.LeftLower: "좌측 하부 영역",
		},
		unknownZone: "알 수 없는 영역",
		notesHeader: "Grad-CAM 메모 (네트워크가 주목한 위치이며 판독 소견이 아님): ",
		noNotes:     "Grad-CAM 메모 없음 (모델이 주목한 위치 정보가 제공되지 않음)",
		emptyMap:    "Grad-CAM 지도가 비어 있음 (ReLU 이후 모든 값이 0): 모델이 주목한 위치를 제시할 수 없으며, 이 경우 위치 해석을 하지 말 것",
		orientation: "방향: 영상의 왼쪽이 환자의 오른쪽(우측)이며, 영역은 영상을 가로 2칸 × 세로 3칸으로 나눈 것",
		peak:        "가장 강한 활성 위치(peak): %s (x=%.0f, y=%.0f, 지도 크기 %d×%d)",
		centroid:    "활성의 무게중심(centroid): %s",
		shares:      "영역별 활성 비중: ",
		spread:      "활성 범위(spread): 값이 0.5를 넘는 화소가 전체의 %s",
		borderWarning: "경고 - 가장자리 주의(border attention): 활성의 %s가 영상 가장자리 띠(폭 %s)에 있음%s. " +
			"모델이 폐가 아니라 'R' 같은 좌우 표식, 글자 라벨, 영상 가장자리 또는 늑골 경계를 보고 있을 수 있음(알려진 실패 양상)",
		peakInBand: ", 가장 강한 활성도 이 띠 안에 있음",
		borderCalm: "가장자리 띠(폭 %s)의 활성 비중: %s (가장자리 주의 신호 없음)",
		borderExplained: "맵의 상당 부분(%s)이 이미지 가장자리에 있습니다. 네트워크가 폐가 아니라 좌우 표지('R'/'L' 글자), 글자 라벨 또는 이미지 경계를 보고 있을 수 있습니다. " +
			"이런 지름길 학습은 잘못된 이유로 맞는 것처럼 보이는 예측을 만들 수 있습니다.",
		fusedLayers:           "Grad-CAM 지도는 %d개 층(%s)의 지도를 합친 것: 층마다 0–1로 맞춘 뒤 평균하므로, 앞쪽 층의 세밀한 부분과 뒤쪽 층의 큰 구조가 함께 드러남",
		occlusionLine:         "가림 검사(occlusion), %s: %s %s → %s%s — %s",
		occlusionFlip:         " (답이 %s(으)로 바뀜)",
		occlusionBorder:       "가장자리를 가림 (표식, 라벨, 조사야 경계가 있는 바깥쪽 %d 화소)",
		occlusionCAMTop:       "지도의 상위 %d%% 영역을 가림",
		occlusionOutsideLungs: "중앙 폐 영역 밖을 모두 가림",
		borderRests:           "판단이 폐만이 아니라 영상 가장자리(표식, 라벨 또는 경계)에 기대고 있음",
		borderNotRests:        "판단이 표식이나 라벨에 기대지 않음",
		camTopRests:           "지도가 강조한 영역이 판단을 이끌고 있음",
		camTopNotRests:        "지도가 강조한 영역만으로 판단이 정해지지 않음",
		outsideLungsRests:     "판단이 폐 바깥의 내용에 기대고 있음",
		outsideLungsNotRests:  "중앙 폐 영역만으로 판단이 유지됨",
		points:                "%.2f%%p",
		pneumonia:             "폐렴(%s)",
		normal:                "정상(%s)",
		disclaimer:            "※ 본 안내문은 교육용 자료이며 의료진의 진단을 대체하지 않습니다. 인공지능 모델의 결과와 Grad-CAM 지도는 틀릴 수 있으므로, 진단과 치료는 반드시 의료진과 상의하세요.",
	}
}
