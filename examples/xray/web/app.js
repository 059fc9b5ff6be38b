// xray serve: the page's script. It talks only to this server (/api/info,
// /api/analyze/stream) and never inserts server text as HTML except
// through the small escaping Markdown renderer below. Every sentence about
// the analysis, and every number, is the server's; the strings here are
// the page's own labels.
"use strict";

// FUSED is the layers choice that fuses the maps of the last three stages.
const FUSED = "layer2+layer3+layer4";

const STRINGS = {
  ko: {
    noticeTag: "교육용 · 진단 아님",
    dropMain: "영상을 여기로 끌어다 놓거나, 붙여 넣거나(Ctrl+V), 눌러서 고르세요",
    zoomHint: "누르면 원본 크기",
    opacityLabel: "오버레이 불투명도",
    download: "보고서 내려받기 (Markdown)",
    print: "인쇄 / PDF로 저장",
    fullTitle: "원본 크기 오버레이",
    close: "닫기",
    predicted: "예측 완료 — Grad-CAM 계산 중…",
    writing: "보고서 작성 중…",
    notImage: "영상 파일이 아닙니다.",
    title: "흉부 X선 Grad-CAM 학습 도구",
    subtitle: "ResNet34가 NORMAL/PNEUMONIA를 어떻게 구분하는지, 그리고 어디를 보았는지 살펴봅니다.",
    langLabel: "언어",
    inputHeading: "1. 영상 올리기",
    fileLabel: "흉부 X선 영상 (PNG, JPEG, …)",
    privacy: "영상은 메모리에서만 처리되며 저장하거나 기록하지 않습니다. 실제 환자 영상 대신 공개 교육용 데이터를 사용하세요.",
    methodLabel: "CAM 방법",
    layerLabel: "층",
    targetLabel: "설명할 클래스",
    targetPredicted: "예측된 클래스",
    augSmoothLabel: "증강 평활화 (aug smooth)",
    eigenSmoothLabel: "주성분 평활화 (eigen smooth)",
    occlusionLabel: "가림 검사 (occlusion)",
    ttaLabel: "테스트 시 증강 (TTA: 조금씩 바꾼 영상 7장의 평균)",
    // --- threshold ---
    thresholdLabel: "결정 임계값 (PNEUMONIA 확률, 비우면 가장 높은 확률)",
    fused: "layer2+layer3+layer4 (융합)",
    colormapLabel: "색상표",
    reportLabel: "교육용 보고서 작성",
    analyze: "분석하기",
    resultHeading: "2. 모델의 답",
    predLabel: "예측",
    inputCaption: "네트워크 입력 (224×224)",
    overlayCaption: "Grad-CAM 오버레이",
    notesHeading: "네트워크가 본 곳",
    camCaveat: "Grad-CAM은 모델이 결정의 근거를 어디서 끌어왔는지를 보여 줄 뿐, 그곳에 병변이 있다는 뜻이 아닙니다.",
    reportHeading: "3. 교육용 보고서",
    footer: "xray — 학습 도구이며 의료기기가 아닙니다.",
    stages: "단계 출력",
    blocks: "블록과 합성곱 (고급)",
    working: "분석 중… (보고서 작성에는 시간이 걸릴 수 있습니다)",
    done: "완료",
    needFile: "먼저 영상 파일을 고르세요.",
    failed: "오류: ",
    busy: "서버가 바쁩니다. 잠시 후 다시 시도하세요.",
    borderTitle: "주의: 가장자리를 보고 있음",
    faith: "충실도 (상위 20%만 남겼을 때 확신 감소)",
    camSource: (m, l, t) => `방법 ${m}, 층 ${l}, 설명한 클래스 ${t}`,
    backend: (b) => `보고서 작성: ${b}`,
    meta: (b, fb) => `작성: ${b}` + (fb ? ` · 오프라인 보고서로 대체됨 (${fb})` : ""),
    truncated: " · 토큰 한도에서 잘림",
  },
  en: {
    noticeTag: "Educational · not a diagnosis",
    dropMain: "Drop an image here, paste it (Ctrl+V), or click to choose",
    zoomHint: "click for full size",
    opacityLabel: "Overlay opacity",
    download: "Download report (Markdown)",
    print: "Print / save as PDF",
    fullTitle: "Full-size overlay",
    close: "Close",
    predicted: "Predicted — computing the Grad-CAM…",
    writing: "Writing the report…",
    notImage: "That is not an image file.",
    title: "Chest X-ray Grad-CAM explainer",
    subtitle: "See how a ResNet34 tells NORMAL from PNEUMONIA, and where it looked.",
    langLabel: "Language",
    inputHeading: "1. Upload an image",
    fileLabel: "Chest X-ray image (PNG, JPEG, …)",
    privacy: "The image is processed in memory only; it is never stored or logged. Use public teaching data rather than real patient images.",
    methodLabel: "CAM method",
    layerLabel: "Layer",
    targetLabel: "Class to explain",
    targetPredicted: "predicted",
    augSmoothLabel: "Aug smooth (average over mirrored and scaled copies)",
    eigenSmoothLabel: "Eigen smooth (first principal component)",
    occlusionLabel: "Occlusion check (hide parts and re-run)",
    ttaLabel: "Test-time augmentation (average over 7 slightly changed copies)",
    // --- threshold ---
    thresholdLabel: "Decision threshold (PNEUMONIA probability; empty: the highest probability)",
    fused: "layer2+layer3+layer4 (fused)",
    colormapLabel: "Colormap",
    reportLabel: "Write the educational report",
    analyze: "Analyze",
    resultHeading: "2. The model's answer",
    predLabel: "Prediction",
    inputCaption: "Network input (224×224)",
    overlayCaption: "Grad-CAM overlay",
    notesHeading: "Where the network looked",
    camCaveat: "Grad-CAM shows where the model drew the evidence for its decision from; it does not mean there is a lesion there.",
    reportHeading: "3. Educational report",
    footer: "xray — a teaching tool, not a medical device.",
    stages: "Stage outputs",
    blocks: "Blocks and convolutions (advanced)",
    working: "Analyzing… (writing the report can take a while)",
    done: "Done",
    needFile: "Choose an image file first.",
    failed: "Error: ",
    busy: "The server is busy. Try again in a moment.",
    borderTitle: "Caution: attention at the image border",
    faith: "Faithfulness (confidence drop keeping only the top 20%)",
    camSource: (m, l, t) => `method ${m}, layer ${l}, explained class ${t}`,
    backend: (b) => `Report writer: ${b}`,
    meta: (b, fb) => `Written by: ${b}` + (fb ? ` · fell back to the offline report (${fb})` : ""),
    truncated: " · cut at the token limit",
  },
};

const $ = (id) => document.getElementById(id);
let lang = "ko";
let info = null;
let chosen = null; // the image to analyze: picked, dropped or pasted
let reportURL = ""; // the object URL behind the download link

function t(key) {
  return (STRINGS[lang] || STRINGS.ko)[key];
}

// applyLang switches the page's strings and the visible notice.
function applyLang(l) {
  lang = STRINGS[l] ? l : "ko";
  document.documentElement.lang = lang;
  $("lang").value = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) {
    const s = t(el.dataset.i18n);
    if (typeof s === "string") el.textContent = s;
  }
  for (const el of document.querySelectorAll(".disclaimer")) {
    el.hidden = el.dataset.lang !== lang;
  }
  fillLayers();
  if (info) $("backend").textContent = t("backend")(info.llm_backend);
}

function option(value, text) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  return o;
}

function fillSelect(sel, values, def) {
  sel.replaceChildren(...values.map((v) => option(v, v)));
  if (def && values.includes(def)) sel.value = def;
}

// fillLayers lists the stage outputs first and the rest in a second group.
function fillLayers() {
  if (!info) return;
  const sel = $("layer");
  const cur = sel.value || info.defaults.layer;
  const stages = info.cam_layers.filter((n) => /^layer\d$/.test(n)).reverse();
  const rest = info.cam_layers.filter((n) => !/^layer\d$/.test(n));
  const g1 = document.createElement("optgroup");
  g1.label = t("stages");
  g1.append(...stages.map((v) => option(v, v)));
  if (FUSED.split("+").every((n) => info.cam_layers.includes(n))) g1.append(option(FUSED, t("fused")));
  const g2 = document.createElement("optgroup");
  g2.label = t("blocks");
  g2.append(...rest.map((v) => option(v, v)));
  sel.replaceChildren(g1, g2);
  if (info.cam_layers.includes(cur) || cur === FUSED) sel.value = cur;
}

function fillTargets() {
  const sel = $("target");
  const first = option("", t("targetPredicted"));
  first.dataset.i18n = "targetPredicted";
  sel.replaceChildren(first, ...info.classes.map((c) => option(c, c)));
  sel.value = info.defaults.target || "";
}

async function loadInfo() {
  try {
    const r = await fetch("/api/info", { cache: "no-store" });
    if (!r.ok) return;
    info = await r.json();
  } catch (_) {
    return;
  }
  if (info.language_names) {
    $("lang").replaceChildren(...info.languages.map((l) => option(l, info.language_names[l] || l)));
  }
  fillSelect($("method"), info.cam_methods, info.defaults.method);
  fillSelect($("colormap"), info.colormaps, info.defaults.colormap);
  for (const k of ["aug_smooth", "eigen_smooth", "occlusion", "tta"]) $(k).checked = info.defaults[k] === "true";
  // --- threshold ---
  $("threshold").value = info.defaults.threshold || "";
  fillTargets();
  applyLang(info.defaults.lang || lang);
  document.dispatchEvent(new Event("xray:info"));
}

// setOpacity fades the overlay over the plain input.
function setOpacity() {
  const v = Number($("opacity").value);
  $("overlay").style.opacity = String(v / 100);
  $("opacityValue").textContent = `${v}%`;
}

function setStatus(text, isError) {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("error", !!isError);
}

// choose takes the image to analyze from the picker, a drop or a paste,
// and shows it; the preview stays in the browser.
function choose(file) {
  if (!file) return;
  if (file.type && !file.type.startsWith("image/") && !/\.dcm$/i.test(file.name || "")) {
    setStatus(t("notImage"), true);
    return;
  }
  chosen = file;
  $("fileName").textContent = file.name || "";
  const pv = $("preview");
  if (pv.src) URL.revokeObjectURL(pv.src);
  pv.src = URL.createObjectURL(file);
  pv.hidden = false;
  setStatus("", false);
  document.dispatchEvent(new Event("xray:chosen"));
}

// analyze uploads the image to /api/analyze/stream and shows each event
// as it comes: the label and the overlay at once, the report as it grows.
async function analyze(ev) {
  ev.preventDefault();
  if (!chosen) {
    setStatus(t("needFile"), true);
    return;
  }
  const fd = new FormData();
  fd.append("image", chosen, "upload");
  for (const k of ["method", "layer", "target", "colormap"]) fd.append(k, $(k).value);
  fd.append("lang", lang);
  fd.append("report", $("report").checked ? "true" : "false");
  for (const k of ["aug_smooth", "eigen_smooth", "occlusion", "tta"]) fd.append(k, $(k).checked ? "true" : "false");
  // --- threshold ---
  if ($("threshold").value !== "") fd.append("threshold", $("threshold").value);
  $("analyze").disabled = true;
  setStatus(t("working"), false);
  clearResult();
  try {
    const r = await fetch("/api/analyze/stream", { method: "POST", body: fd, cache: "no-store" });
    if (!r.ok) {
      let body = null;
      try {
        body = await r.json();
      } catch (_) {
        body = { error: `HTTP ${r.status}` };
      }
      setStatus(r.status === 503 ? t("busy") : t("failed") + (body.error || `HTTP ${r.status}`), true);
      return;
    }
    await readEvents(r.body, onEvent);
  } catch (e) {
    setStatus(t("failed") + e.message, true);
  } finally {
    $("analyze").disabled = false;
    $("reportBody").setAttribute("aria-busy", "false");
  }
}

// readEvents parses a text/event-stream body and calls fn(name, data)
// for each event, its data parsed as JSON.
async function readEvents(body, fn) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let name = "message";
      let data = "";
      for (const l of block.split("\n")) {
        if (l.startsWith("event: ")) name = l.slice(7);
        else if (l.startsWith("data: ")) data += l.slice(6);
      }
      if (data) fn(name, JSON.parse(data));
    }
  }
}

let streamed = ""; // the report text received so far
let drawPending = false;

// onEvent shows one event of the analysis stream.
function onEvent(name, data) {
  switch (name) {
    case "prediction":
      renderPrediction(data);
      renderTTA(data.tta);
      $("result").hidden = false;
      setStatus(t("predicted"), false);
      // On a phone the answer is below the form: bring it into view.
      if (window.matchMedia("(max-width: 820px)").matches) $("result").scrollIntoView({ behavior: "smooth", block: "start" });
      break;
    case "cam":
      renderCAM(data);
      renderImage(data.image);
      if ($("report").checked) {
        setStatus(t("writing"), false);
        $("reportBody").setAttribute("aria-busy", "true");
        $("reportCard").hidden = false;
      }
      break;
    case "report":
      streamed += data.text;
      if (!drawPending) {
        drawPending = true;
        requestAnimationFrame(() => {
          drawPending = false;
          if (streamed) $("reportBody").innerHTML = renderMarkdown(streamed);
        });
      }
      break;
    case "done":
      streamed = "";
      render(data);
      setStatus(t("done"), false);
      break;
    case "error":
      setStatus(t("failed") + data.error, true);
      break;
  }
}

// clearResult empties the previous analysis.
function clearResult() {
  streamed = "";
  $("result").hidden = true;
  $("reportCard").hidden = true;
  $("actions").hidden = true;
  $("reportBody").replaceChildren();
  $("reportMeta").textContent = "";
  if (reportURL) URL.revokeObjectURL(reportURL);
  reportURL = "";
  $("download").removeAttribute("href");
  $("zoom").disabled = true;
  // --- threshold ---
  renderDecision(null);
}

// render shows one whole analysis, as /api/analyze answers it.
function render(res) {
  renderPrediction(res.prediction);
  renderTTA(res.tta);
  // --- threshold ---
  renderDecision(res.calibration);
  renderCAM(res);
  renderImage(res.image);
  $("result").hidden = false;
  renderReport(res.report);
}

function renderPrediction(p) {
  $("label").textContent = p.label;
  $("label").className = "label " + (p.label === "NORMAL" ? "normal" : "other");
  $("probs").replaceChildren(...p.classes.map((c) => probRow(c, p.probs[c], p.probs_text[c], c === p.label)));
}

// --- TTA ---
// renderTTA shows the test-time augmentation as the server words it: its
// lines, and the caution styled as a warning when the variants disagree.
// Without TTA the block is hidden.
function renderTTA(r) {
  const box = $("ttaResult");
  const c = $("ttaCaution");
  c.textContent = (r && r.caution) || "";
  c.hidden = !(r && r.caution);
  $("ttaLines").replaceChildren(...((r && r.lines) || []).map(line));
  box.hidden = !r;
}
// --- TTA ---
// --- threshold ---
// renderDecision shows, as the server words them, which threshold decided
// and why it matters; nothing when the highest probability decided.
function renderDecision(cal) {
  const lines = (cal && cal.lines) || [];
  $("decision").replaceChildren(...lines.map(line));
  $("decision").hidden = lines.length === 0;
}
// --- end threshold ---

// renderCAM shows the images and the notes of a cam event or an answer.
function renderCAM(res) {
  $("input").src = res.input_png;
  $("input").alt = t("inputCaption");
  $("under").src = res.input_png;
  $("overlay").src = res.overlay_png;
  $("overlay").alt = t("overlayCaption");
  $("fullImg").src = res.overlay_full_jpeg || res.overlay_png;
  $("fullImg").alt = t("fullTitle");
  $("zoom").disabled = false;
  const cam = res.cam;
  $("camsource").textContent = t("camSource")(cam.method, cam.layer, cam.target);
  renderNotes(res);
}

// renderImage shows what a DICOM file said about its image (view, body
// part), as the server words it: the warnings styled as warnings, the
// other lines as a list. Other images have no facts and hide the block.
function renderImage(img) {
  const box = $("imageFacts");
  if (!img || !(img.lines || []).length) {
    $("imageWarnings").replaceChildren();
    $("imageLines").replaceChildren();
    box.hidden = true;
    return;
  }
  const warnings = img.warnings || [];
  $("imageWarnings").replaceChildren(...warnings.map((text) => {
    const el = document.createElement("div");
    el.className = "warning";
    el.textContent = text;
    return el;
  }));
  $("imageLines").replaceChildren(...img.lines.filter((l) => !warnings.includes(l)).map(line));
  box.hidden = false;
}

// probRow shows one class: the bar's width is computed here, the
// percentage shown is the server's, formatted as in the report.
function probRow(cls, prob, probText, chosen) {
  const row = document.createElement("div");
  row.className = "prob" + (chosen ? " chosen" : "");
  const name = document.createElement("span");
  name.className = "pname";
  name.textContent = cls;
  const bar = document.createElement("span");
  bar.className = "bar";
  const fill = document.createElement("span");
  fill.className = "fill";
  fill.style.width = Math.max(0, Math.min(100, 100 * prob)).toFixed(1) + "%";
  bar.append(fill);
  const val = document.createElement("span");
  val.className = "pval";
  val.textContent = probText;
  row.append(name, bar, val);
  return row;
}

function li(label, value) {
  const el = document.createElement("li");
  const b = document.createElement("strong");
  b.textContent = label + ": ";
  el.append(b, document.createTextNode(value));
  return el;
}

function line(text) {
  const el = document.createElement("li");
  el.textContent = text;
  return el;
}

// renderNotes shows the CAM notes exactly as the server words them: the
// same lines, with the same numbers, as the report. No CAM number is
// formatted here.
function renderNotes(res) {
  const ct = res.cam_text;
  const items = (ct.lines || []).map(line);
  if (ct.faithfulness) items.push(li(t("faith"), ct.faithfulness));
  if (ct.fused_layers) items.push(line(ct.fused_layers));
  for (const l of ct.occlusion || []) items.push(line(l));
  $("notes").replaceChildren(...items);
  const w = $("border");
  if (ct.border_warning) {
    const h = document.createElement("strong");
    h.textContent = t("borderTitle");
    const p = document.createElement("p");
    p.textContent = ct.border_warning;
    w.replaceChildren(h, p);
    w.hidden = false;
  } else {
    w.replaceChildren();
    w.hidden = true;
  }
}

function renderReport(rep) {
  const card = $("reportCard");
  if (!rep) {
    card.hidden = true;
    return;
  }
  let meta = t("meta")(rep.model ? `${rep.backend} (${rep.model})` : rep.backend, rep.fell_back ? rep.fallback_reason || "?" : "");
  if (rep.truncated) meta += t("truncated");
  $("reportMeta").textContent = meta;
  $("reportBody").innerHTML = renderMarkdown(rep.markdown || "");
  card.hidden = false;
  if (reportURL) URL.revokeObjectURL(reportURL);
  reportURL = URL.createObjectURL(new Blob([rep.markdown || ""], { type: "text/markdown;charset=utf-8" }));
  const a = $("download");
  a.href = reportURL;
  a.download = `xray-report-${lang}.md`;
  $("actions").hidden = false;
}

// escapeHTML makes text safe to place in HTML.
function escapeHTML(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

// inline renders bold, italics and code spans in already escaped text.
function inline(s) {
  return s
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/__([^_]+)__/g, "<strong>$1</strong>")
    .replace(/(^|[\s(])\*([^*\s][^*]*)\*(?=$|[\s.,;:!?)])/g, "$1<em>$2</em>")
    .replace(/(^|[\s(])_([^_\s][^_]*)_(?=$|[\s.,;:!?)])/g, "$1<em>$2</em>");
}

// renderMarkdown is a tiny, safe Markdown renderer: it escapes all HTML
// first, then knows headings, bold, italics, code spans, lists, rules and
// paragraphs. Links and raw HTML are shown as text.
function renderMarkdown(md) {
  const lines = escapeHTML(md.replace(/\r\n?/g, "\n")).split("\n");
  const out = [];
  let para = [];
  let list = null;
  const flushPara = () => {
    if (para.length) out.push("<p>" + inline(para.join(" ")) + "</p>");
    para = [];
  };
  const flushList = () => {
    if (list) out.push(`<${list.tag}>` + list.items.map((i) => "<li>" + inline(i) + "</li>").join("") + `</${list.tag}>`);
    list = null;
  };
  for (const raw of lines) {
    const line = raw.trim();
    let m;
    if (line === "") {
      flushPara();
      flushList();
    } else if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
      flushPara();
      flushList();
      const lvl = Math.min(6, m[1].length + 1);
      out.push(`<h${lvl}>` + inline(m[2].replace(/\s+#+$/, "")) + `</h${lvl}>`);
    } else if (/^([-*_])(\s*\1){2,}$/.test(line)) {
      flushPara();
      flushList();
      out.push("<hr>");
    } else if ((m = /^[-*+]\s+(.*)$/.exec(line)) || (m = /^\d+[.)]\s+(.*)$/.exec(line))) {
      flushPara();
      const tag = /^\d/.test(line) ? "ol" : "ul";
      if (list && list.tag !== tag) flushList();
      if (!list) list = { tag, items: [] };
      list.items.push(m[1]);
    } else if (list && /^\s{2,}/.test(raw)) {
      list.items[list.items.length - 1] += " " + line;
    } else {
      flushList();
      para.push(line);
    }
  }
  flushPara();
  flushList();
  return out.join("\n");
}

document.addEventListener("DOMContentLoaded", () => {
  applyLang(document.documentElement.lang || "ko");
  $("lang").addEventListener("change", () => {
    applyLang($("lang").value);
    if (info) fillTargets();
  });
  $("form").addEventListener("submit", analyze);
  $("file").addEventListener("change", () => choose($("file").files[0]));
  const drop = $("drop");
  for (const e of ["dragenter", "dragover"]) {
    drop.addEventListener(e, (ev) => {
      ev.preventDefault();
      drop.classList.add("over");
    });
  }
  for (const e of ["dragleave", "drop"]) drop.addEventListener(e, () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    choose(ev.dataTransfer.files[0]);
  });
  document.addEventListener("paste", (ev) => {
    const f = Array.from(ev.clipboardData ? ev.clipboardData.files : []).find((x) => x.type.startsWith("image/"));
    if (f) {
      ev.preventDefault();
      choose(f);
    }
  });
  $("opacity").addEventListener("input", setOpacity);
  setOpacity();
  $("zoom").addEventListener("click", () => $("full").showModal());
  $("fullClose").addEventListener("click", () => $("full").close());
  $("full").addEventListener("click", (ev) => {
    if (ev.target === $("full")) $("full").close();
  });
  $("print").addEventListener("click", () => window.print());
  loadInfo();
});
