// xray serve: the "Inside the network" view. It shares app.js's globals
// ($, option, lang, info, chosen, t) and its upload: every request
// re-sends the chosen image to /api/teach/*, and nothing is kept on the
// server. Its words come from package prompt (the JSON block
// #teachStrings, and the captions in each answer); the numbers it shows
// are the server's, rounded for display.
"use strict";

const TEACH = JSON.parse(document.getElementById("teachStrings").textContent || "{}");

// tt returns the teaching view's phrase key (a teach_* key) in the page's
// language.
function tt(key) {
  return (TEACH[lang] || TEACH.ko || {})[key] || "";
}

// teachLoaded records which sections have been shown, to redo them in a
// new language.
const teachLoaded = new Set();

// num rounds a server number for display: three significant digits.
function num(v) {
  if (typeof v !== "number" || !isFinite(v)) return "–";
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1000 || a < 0.001 ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}

// millis shows a time in milliseconds: whole ones from 100 ms on.
function millis(v) {
  return typeof v === "number" && v >= 100 ? `${Math.round(v)} ms` : `${num(v)} ms`;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function img(src, alt, cls) {
  const i = el("img", cls);
  i.src = src;
  i.alt = alt;
  return i;
}

// applyTeachLang puts the view's labels in the page's language.
function applyTeachLang() {
  for (const e of document.querySelectorAll("[data-teach]")) e.textContent = tt(e.dataset.teach);
  $("viewtabs").setAttribute("aria-label", tt("teach_tab"));
}

// showView switches between the analysis and the teaching view.
function showView(teach, focus) {
  for (const [tab, view, on] of [["tabAnalysis", "analysisView", !teach], ["tabTeach", "teachView", teach]]) {
    $(tab).setAttribute("aria-selected", String(on));
    $(tab).tabIndex = on ? 0 : -1;
    $(view).hidden = !on;
  }
  if (focus) $(teach ? "tabTeach" : "tabAnalysis").focus();
  if (teach && chosen && !teachLoaded.has("network")) runNetwork();
}

function teachStatus(text, isError) {
  const s = $("teachStatus");
  s.textContent = text;
  s.classList.toggle("error", !!isError);
}

// inflight holds each section's running request, so that asking again
// (another layer, another language, another image) stops the old one and
// frees its slot on the server.
const inflight = {};

// teachPost sends the chosen image and fields to a teaching endpoint and
// returns its JSON answer, or null after showing why it failed (or when a
// newer request of the same section replaced it).
async function teachPost(path, fields, button) {
  if (!chosen) {
    teachStatus(tt("teach_needImage"), true);
    return null;
  }
  const fd = new FormData();
  fd.append("image", chosen, "upload");
  fd.append("lang", lang);
  fd.append("colormap", $("colormap").value);
  const target = $("teachTarget").value;
  if (target && !("target" in fields)) fd.append("target", target);
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (inflight[path]) inflight[path].abort();
  const ctl = new AbortController();
  inflight[path] = ctl;
  button.disabled = true;
  teachStatus(tt("teach_working"), false);
  try {
    const r = await fetch(path, { method: "POST", body: fd, cache: "no-store", signal: ctl.signal });
    let body = null;
    try {
      body = await r.json();
    } catch (_) {
      body = { error: `HTTP ${r.status}` };
    }
    if (!r.ok) {
      teachStatus(r.status === 503 ? t("busy") : tt("teach_failed") + (body.error || `HTTP ${r.status}`), true);
      return null;
    }
    teachStatus("", false);
    return body;
  } catch (e) {
    if (!ctl.signal.aborted) teachStatus(tt("teach_failed") + e.message, true);
    return null;
  } finally {
    if (inflight[path] === ctl) {
      delete inflight[path];
      button.disabled = false;
    }
  }
}

// stopTeach stops every running request of the view.
function stopTeach() {
  for (const ctl of Object.values(inflight)) ctl.abort();
}

// fillTeachLayers lists the layers a map can be drawn of, grouped by stage,
// with their output shapes once the network is known.
function fillTeachLayers(shapes) {
  if (!info) return;
  for (const id of ["teachLayer", "stepsLayer", "compareLayer"]) {
    const sel = $(id);
    const cur = sel.value || "layer4";
    const groups = new Map();
    for (const name of info.cam_layers) {
      const stage = /^layer\d/.test(name) ? name.split(".")[0] : tt("teach_stem");
      if (!groups.has(stage)) groups.set(stage, []);
      const shape = shapes && shapes[name];
      groups.get(stage).push(option(name, shape ? `${name} (${shape.join("×")})` : name));
    }
    sel.replaceChildren(...Array.from(groups, ([label, opts]) => {
      const g = document.createElement("optgroup");
      g.label = label;
      g.append(...opts);
      return g;
    }));
    sel.value = info.cam_layers.includes(cur) ? cur : "layer4";
  }
}

function fillTeachSelects() {
  if (!info) return;
  const m = $("stepsMethod");
  const cur = m.value;
  m.replaceChildren(...info.cam_methods.map((v) => option(v, v)));
  m.value = info.cam_methods.includes(cur) ? cur : "gradcam";
  const tg = $("teachTarget");
  const tv = tg.value;
  const first = option("", t("targetPredicted"));
  tg.replaceChildren(first, ...info.classes.map((c) => option(c, c)));
  tg.value = tv;
  fillTeachLayers(networkShapes);
}

let networkShapes = null; // layer name -> output shape, from the last network answer

// runNetwork draws the network: stem, the four stages' blocks, pool and fc.
async function runNetwork() {
  const res = await teachPost("/api/teach/network", {}, $("netRun"));
  if (!res) return;
  teachLoaded.add("network");
  networkShapes = Object.fromEntries(res.layers.map((l) => [l.name, l.shape]));
  fillTeachLayers(networkShapes);
  $("netCaption").textContent = res.caption;
  $("netTotal").textContent = `${tt("teach_totalTime")}: ${millis(res.total_ms)} · ${tt("teach_openLayer")}`;
  const byName = new Map(res.layers.map((l) => [l.name, l]));
  const flow = [el("div", "net-input", "")];
  flow[0].append(img(res.input_png, t("inputCaption"), "net-thumb"));
  const stem = ["conv1", "bn1", "relu", "maxpool"].map((n) => byName.get(n)).filter(Boolean);
  const stemMS = stem.reduce((s, l) => s + l.ms, 0);
  const stemShare = stem.reduce((s, l) => s + l.share, 0);
  flow.push(netNode(tt("teach_stem"), "maxpool", stem.length ? stem[stem.length - 1].shape : [], stemShare, stemMS, true));
  for (const stage of res.layers.filter((l) => l.kind === "stage")) {
    const g = el("div", "net-stage");
    g.append(el("div", "net-stage-name", stage.name));
    for (const b of res.layers.filter((l) => l.parent === stage.name && l.kind === "block")) {
      g.append(netNode(b.name, b.name, b.shape, b.share, b.ms, true));
    }
    flow.push(g);
  }
  for (const l of res.layers.filter((l) => l.kind === "avgpool" || l.kind === "fc")) {
    const label = l.kind === "fc" ? `${tt("teach_fc")} → ${res.prediction.label}` : tt("teach_pool");
    flow.push(netNode(label, "", l.shape, l.share, l.ms, false));
  }
  $("net").replaceChildren(...flow);
}

// netNode is one box of the drawing: a button that opens layer in the
// layer view, or a plain box when the layer has no map.
function netNode(label, layer, shape, share, ms, clickable) {
  const n = el(clickable ? "button" : "div", "net-node");
  if (clickable) {
    n.type = "button";
    n.dataset.layer = layer;
    n.addEventListener("click", () => openLayer(layer));
  }
  const bar = el("span", "net-share");
  const fill = el("span", "net-share-fill");
  fill.style.width = Math.max(0, Math.min(100, 100 * share)).toFixed(1) + "%";
  bar.append(fill);
  n.append(el("span", "net-name", label), el("span", "net-shape", shape.join("×")), bar,
    el("span", "net-time", `${(100 * share).toFixed(1)}% ${tt("teach_share")} · ${millis(ms)}`));
  n.title = `${label}: ${shape.join("×")}`;
  return n;
}

// openLayer shows layer in the layer view.
function openLayer(layer) {
  $("teachLayer").value = layer;
  $("layerCard").scrollIntoView({ behavior: "smooth", block: "start" });
  runLayer();
}

// runLayer shows the top channels of the chosen layer.
async function runLayer() {
  const res = await teachPost("/api/teach/layer", { layer: $("teachLayer").value, rank: $("teachRank").value, top: $("teachTop").value }, $("layerRun"));
  if (!res) return;
  teachLoaded.add("layer");
  $("layerCaption").textContent = `${res.layer} (${res.shape.join("×")}): ${res.caption}`;
  $("channels").replaceChildren(...res.channels.map((c) => channelTile(c, "tile")));
}

// channelTile is one channel's map with its index, value range and α.
function channelTile(c, cls) {
  const f = el("figure", cls);
  f.tabIndex = 0;
  const alpha = typeof c.alpha === "number" ? `α ${num(c.alpha)}` : "";
  f.title = [`${tt("teach_channel")} ${c.index}`, alpha, `${tt("teach_mean")} ${num(c.mean)}`].filter(Boolean).join(" · ");
  f.append(img(c.png, `${tt("teach_channel")} ${c.index}`, "map"));
  const cap = el("figcaption");
  const range = c.min === c.max ? num(c.min) : `${num(c.min)}…${num(c.max)}`;
  cap.append(el("strong", "", `#${c.index}`), el("span", "range", range));
  if (alpha) cap.append(el("span", "alpha", alpha));
  f.append(cap);
  return f;
}

// runSteps shows Grad-CAM (or the chosen method) step by step.
async function runSteps() {
  const res = await teachPost("/api/teach/steps", { method: $("stepsMethod").value, layer: $("stepsLayer").value }, $("stepsRun"));
  if (!res) return;
  teachLoaded.add("steps");
  const c = res.captions;
  const panels = [
    stepPanel("teach_stepActivations", c.activations, tiles(res.activations)),
    stepPanel("teach_stepGradients", c.gradients, tiles(res.gradients)),
    stepPanel("teach_stepAlpha", c.alpha, res.alpha ? alphaChart(res.alpha) : null),
    stepPanel("teach_stepWeighted", c.weighted, bigMap(res.weighted, "diverging", `${num(res.weighted.min)}…${num(res.weighted.max)}`)),
    stepPanel("teach_stepRectified", c.rectified, bigMap(res.rectified, "")),
    stepPanel("teach_stepUpsampled", c.upsampled, bigMap(res.upsampled, "smooth")),
    stepPanel("teach_stepOverlay", c.overlay, bigMap(res.overlay, "smooth")),
  ];
  const head = el("p", "muted small", `${res.method} · ${res.layer} (${res.shape.join("×")}) · ${res.target}`);
  $("steps").replaceChildren(head, ...panels);
}

function tiles(list) {
  if (!list || !list.length) return null;
  const d = el("div", "tiles");
  d.append(...list.map((c) => channelTile(c, "tile small")));
  return d;
}

function bigMap(m, cls, range) {
  const f = el("figure", "bigmap " + cls);
  f.append(img(m.png, "", "map"));
  if (range) f.append(el("figcaption", "range", range));
  return f;
}

// alphaChart draws the largest positive and negative weights as bars,
// scaled by the largest magnitude.
function alphaChart(a) {
  const all = a.top.concat(a.bottom);
  const scale = Math.max(...all.map((w) => Math.abs(w.value)), 1e-12);
  const d = el("div", "alpha-chart");
  for (const [key, list, cls] of [["teach_positive", a.top, "pos"], ["teach_negative", a.bottom, "neg"]]) {
    if (!list.length) continue;
    d.append(el("div", "alpha-head", tt(key)));
    for (const w of list) {
      const row = el("div", "alpha-row " + cls);
      row.title = `${tt("teach_channel")} ${w.index}: α ${num(w.value)}`;
      const bar = el("span", "alpha-bar");
      const fill = el("span", "alpha-fill");
      fill.style.width = (100 * Math.abs(w.value) / scale).toFixed(1) + "%";
      bar.append(fill);
      row.append(el("span", "alpha-idx", `#${w.index}`), bar, el("span", "alpha-val", num(w.value)));
      d.append(row);
    }
  }
  return d;
}

// stepPanel is one step: its title, its picture and its sentence.
function stepPanel(titleKey, sentence, body) {
  const s = el("section", "step");
  s.append(el("h3", "", tt(titleKey)));
  if (body) s.append(body);
  s.append(el("p", "step-text", sentence || ""));
  return s;
}

// runCompare computes every method, and the two variants, side by side:
// the fast maps first, then ScoreCAM's (one pass per channel) in place
// of a placeholder.
async function runCompare() {
  const layer = $("compareLayer").value;
  const res = await teachPost("/api/teach/compare", { layer, scorecam: "false" }, $("compareRun"));
  if (!res) return;
  teachLoaded.add("compare");
  $("compareCaption").textContent = `${res.layer} · ${res.target}: ${res.caption}`;
  const pending = el("figure", "method pending");
  pending.dataset.method = "scorecam";
  pending.append(el("div", "map placeholder", tt("teach_working")));
  const cap = el("figcaption");
  cap.append(el("strong", "", "scorecam"), el("span", "", tt("teach_slowMethod")));
  pending.append(cap);
  $("compare").replaceChildren(...res.methods.map(methodFigure), pending);
  const more = await teachPost("/api/teach/compare", { layer, scorecam: "only", target: res.target }, $("compareRun"));
  if (more && more.methods.length) pending.replaceWith(methodFigure(more.methods[0]));
}

// methodFigure is one map of the comparison with its name, time and
// faithfulness.
function methodFigure(m) {
  const f = el("figure", "method");
  f.dataset.method = m.name;
  f.append(img(m.overlay, m.label, "map"));
  const cap = el("figcaption");
  const time = `${tt("teach_time")} ${millis(m.ms)}` + (m.shared > 1 ? ` · ${tt("teach_shared")} ${m.shared}` : "");
  cap.append(el("strong", "", m.label), el("span", "", time),
    el("span", "", `${tt("teach_faithfulness")}: ${m.faithfulness_text}`));
  f.append(cap);
  return f;
}

document.addEventListener("DOMContentLoaded", () => {
  applyTeachLang();
  $("tabAnalysis").addEventListener("click", () => showView(false));
  $("tabTeach").addEventListener("click", () => showView(true));
  $("viewtabs").addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowLeft" || ev.key === "ArrowRight" || ev.key === "Home" || ev.key === "End") {
      ev.preventDefault();
      showView(ev.key === "ArrowRight" || ev.key === "End", true);
    }
  });
  // A new analysis is shown in the analysis view.
  $("form").addEventListener("submit", () => showView(false));
  // Another image: the panels showed the old one.
  document.addEventListener("xray:chosen", () => {
    stopTeach();
    teachLoaded.clear();
    for (const id of ["net", "channels", "steps", "compare"]) $(id).replaceChildren();
    for (const id of ["netCaption", "netTotal", "layerCaption", "compareCaption"]) $(id).textContent = "";
    if (!$("teachView").hidden) runNetwork();
  });
  $("netRun").addEventListener("click", runNetwork);
  $("layerRun").addEventListener("click", runLayer);
  $("stepsRun").addEventListener("click", runSteps);
  $("compareRun").addEventListener("click", runCompare);
  $("lang").addEventListener("change", async () => {
    applyTeachLang();
    fillTeachSelects();
    // The server words each answer: ask again in the new language, one
    // request at a time.
    stopTeach();
    const redo = { network: runNetwork, layer: runLayer, steps: runSteps, compare: runCompare };
    for (const k of Object.keys(redo)) if (teachLoaded.has(k)) await redo[k]();
  });
  // app.js fills info from /api/info, with the server's language, then
  // says so.
  document.addEventListener("xray:info", () => {
    applyTeachLang();
    fillTeachSelects();
  });
});
