// The results list: one row per hit with a waveform drawn from server-side peaks, and
// why it is there: the matched words marked in its name and folder, the other fields that
// matched, a relevance badge, its UCS category as a chip that filters by it and, in a long
// recording, the moments where it matches (moments.js).

import { api } from "./api.js";
import { formatDuration, soundFacts } from "./format.js";
import { fillMoments } from "./moments.js";

const PEAK_COUNT = 240;
const peakRequests = new Map(); // sound id -> Promise<number[] | null>
const MIME = {
  wav: "audio/wav", aiff: "audio/aiff", flac: "audio/flac", mp3: "audio/mpeg",
  ogg: "audio/ogg", opus: "audio/ogg", m4a: "audio/mp4", wma: "audio/x-ms-wma",
  caf: "audio/x-caf",
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function button(className, text, label) {
  const node = el("button", className, text);
  node.type = "button";
  node.tabIndex = -1; // the list owns the keyboard; see app.js
  node.setAttribute("aria-label", label);
  node.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus on the list
  return node;
}

/** Where a dragged result can be dropped: our own drop zone, a desktop or a DAW. */
function startDrag(event, hit) {
  const url = new URL(`${hit.audio_url}?download=1`, location.href).href;
  const mime = MIME[hit.format] || "application/octet-stream";
  event.dataTransfer.effectAllowed = "copyLink";
  event.dataTransfer.setData("application/x-soundscout-sound", JSON.stringify({ id: hit.id, name: hit.name }));
  event.dataTransfer.setData("DownloadURL", `${mime}:${hit.name}:${url}`);
  event.dataTransfer.setData("text/uri-list", url);
  event.dataTransfer.setData("text/plain", url);
}

// A word part: a run of letters or digits, split where camelCase turns ("DOORWood":
// DOOR, Wood) and between letters and digits ("door03": door, 03).
const WORD_PART = /\p{Lu}[\p{Lu}\p{M}]*(?=\p{Lu}\p{Ll})|\p{Lu}?[\p{Ll}\p{Lo}\p{Lm}\p{Lt}\p{M}]+|\p{Lu}[\p{Lu}\p{M}]*|\p{N}+/gu;
const NAME_FIELDS = new Set(["name", "folders"]); // shown by the marks in the name and folder

/** The distinct matched words of a hit, longest first. */
function matchedWords(hit) {
  const matches = (hit.explain && hit.explain.matches) || [];
  const words = new Set(matches.flatMap((m) => m.words.map((w) => w.toLowerCase())));
  return [...words].filter(Boolean).sort((a, b) => b.length - a.length);
}

/**
 * [start, end) ranges of `text` to mark for these (lowercase) words. A word marks the word
 * parts it starts (case-insensitively, running on through parts written together, as
 * "doorwood" in "DOORWood", and on to the end of the part it ends in: "door" marks "Doors");
 * a part of 3+ letters that starts a word is marked too, as the index stems ("Door" for
 * "doors").
 */
export function markRanges(text, words) {
  const parts = [...text.matchAll(WORD_PART)].map((m) => ({
    start: m.index, end: m.index + m[0].length, lower: m[0].toLowerCase(),
  }));
  const marked = new Array(parts.length).fill(false);
  parts.forEach((part, i) => {
    for (const word of words) {
      let joined = part.lower;
      let last = i;
      while (joined.length < word.length && last + 1 < parts.length && parts[last + 1].start === parts[last].end) {
        last += 1;
        joined += parts[last].lower;
      }
      if ((word.length >= 2 || joined === word) && joined.startsWith(word)) {
        // Mark only the parts the word reaches into.
        let reach = i;
        let length = parts[i].lower.length;
        while (length < word.length && reach < last) length += parts[++reach].lower.length;
        for (let j = i; j <= reach; j++) marked[j] = true;
        return;
      }
      if (part.lower.length >= 3 && word.startsWith(part.lower)) {
        marked[i] = true;
        return;
      }
    }
  });
  const ranges = [];
  parts.forEach((part, i) => {
    if (!marked[i]) return;
    const previous = ranges[ranges.length - 1];
    if (previous && previous.end === part.start) previous.end = part.end;
    else ranges.push({ start: part.start, end: part.end });
  });
  return ranges;
}

/** Fill `node` with `text`, the matched words in <mark>s (text nodes only: no HTML). */
function setMarkedText(node, text, words) {
  const nodes = [];
  let at = 0;
  for (const { start, end } of words.length ? markRanges(text, words) : []) {
    if (start > at) nodes.push(document.createTextNode(text.slice(at, start)));
    nodes.push(el("mark", null, text.slice(start, end)));
    at = end;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  node.replaceChildren(...nodes);
}

/**
 * "category: doors · keywords: rain, roof" for the matched fields not on show; for a copy
 * shown in the place of another that ranked (collapse), "as Door.ogg: name: door" for all.
 */
function fillWhy(node, hit) {
  const rankedAs = hit.explain && hit.explain.ranked_as;
  const matches = ((hit.explain && hit.explain.matches) || [])
    .filter((m) => (rankedAs || !NAME_FIELDS.has(m.field)) && m.words.length);
  const nodes = [];
  if (rankedAs) {
    const name = rankedAs.split(/[\\/]/).pop();
    nodes.push(document.createTextNode(`as ${name}${matches.length ? ": " : ""}`));
  }
  matches.forEach((m, i) => {
    if (i) nodes.push(document.createTextNode(" · "));
    nodes.push(document.createTextNode(`${m.field}: `));
    m.words.forEach((word, j) => {
      if (j) nodes.push(document.createTextNode(", "));
      nodes.push(el("mark", null, word));
    });
  });
  node.replaceChildren(...nodes);
  node.hidden = !nodes.length;
  node.title = node.textContent;
}

/** "sound #3 · words #1": where the hit stood in each list. */
function ranks(hit) {
  const explain = hit.explain || {};
  const parts = [];
  if (explain.sound_rank != null) parts.push(`sound #${explain.sound_rank}`);
  if (explain.words_rank != null) parts.push(`words #${explain.words_rank}`);
  return parts;
}

/** The relevance badge ("strong", "fair", "weak"); empty for audio and hybrid searches. */
function fillBand(node, hit) {
  const band = hit.band || "";
  node.textContent = band;
  node.className = band ? `band band-${band}` : "band";
  node.title = band
    ? [`relevance ${hit.relevance == null ? "–" : hit.relevance.toFixed(2)}`, ...ranks(hit)].join(" · ")
    : "";
  if (band) node.setAttribute("aria-label", `${band} match, ${node.title}`);
  else node.removeAttribute("aria-label");
}

/** "DOORS / WOOD" and the filter value "DOORS-WOOD" of a hit's UCS category, or null. */
export function categoryOf(hit) {
  if (!hit.category) return null;
  return hit.subcategory
    ? { value: `${hit.category}-${hit.subcategory}`, label: `${hit.category} / ${hit.subcategory}` }
    : { value: hit.category, label: hit.category };
}

/** Show what may differ between two answers with the same hits. */
function fillExplained(li, hit) {
  const words = matchedWords(hit);
  setMarkedText(li.querySelector(".name"), hit.name, words);
  setMarkedText(li.querySelector(".folder-path"), hit.folder || "/", words);
  fillWhy(li.querySelector(".why"), hit);
  fillBand(li.querySelector(".band"), hit);
  const score = li.querySelector(".score");
  score.textContent = hit.score.toFixed(3);
  score.title = ["score", ...ranks(hit)].join(" · ");
}

/** The folder, cut at its start when long: the end ("…/Doors/Wood") says the most. */
function folderOf(hit) {
  const folder = el("span", "folder");
  folder.title = hit.folder || "/";
  folder.append(el("span", "folder-path")); // left-to-right inside a right-to-left box
  return folder;
}

/** Sample rate, bit depth and channels, each in its own span ("48 kHz", "24-bit", "stereo"). */
function factsOf(hit) {
  const facts = soundFacts(hit);
  const node = el("span", "facts");
  node.append(...facts.map(([kind, text]) => el("span", kind, text)));
  node.title = facts.map(([, text]) => text).join(" · ");
  return node;
}

function row(hit, index, actions) {
  const li = el("li", "hit");
  li.id = `hit-${hit.id}`;
  li.dataset.id = hit.id;
  li.dataset.index = index;
  li.draggable = true;
  li.setAttribute("aria-selected", "false");
  li.addEventListener("click", () => actions.select(index));
  li.addEventListener("dragstart", (event) => startDrag(event, hit));

  const play = button("play", "", `Play ${hit.name}`);
  play.addEventListener("click", () => actions.play(index));

  const meta = el("div", "meta");
  const name = el("a", "name");
  name.href = `${hit.audio_url}?download=1`;
  name.download = hit.name;
  name.title = `${hit.path}\nDownload, or drag it out`;
  name.tabIndex = -1; // only the selected row's link is a Tab stop: see selectRow
  name.addEventListener("click", (event) => event.stopPropagation());
  const where = el("div", "where");
  const folder = folderOf(hit);
  if (hit.folder) { // at the top of an indexed folder there is none to keep
    folder.classList.add("filterable");
    folder.addEventListener("click", (event) => {
      event.stopPropagation();
      actions.folder(hit.folder);
    });
  }
  where.append(folder);
  const category = categoryOf(hit);
  if (category) {
    const chip = button("chip category", category.label, `Only ${category.label} sounds`);
    chip.title = `Show only ${category.label} sounds`;
    chip.addEventListener("click", (event) => {
      event.stopPropagation();
      actions.category(category);
    });
    where.append(chip);
  }
  if (hit.copies) {
    const label = `+${hit.copies} ${hit.copies === 1 ? "copy" : "copies"}`;
    const chip = button("chip copies", label, `${label} of ${hit.name}: show them`);
    chip.title = "Other copies of this recording (other formats, rates, levels): show them";
    chip.addEventListener("click", (event) => {
      event.stopPropagation();
      actions.copies(hit);
    });
    where.append(chip);
  }
  const why = el("div", "why muted");
  meta.append(name, where, why);

  const wave = el("div", "wave");
  wave.title = "Click to play from here";
  wave.append(el("canvas"));
  wave.addEventListener("click", (event) => {
    const box = wave.getBoundingClientRect();
    actions.seek(index, (event.clientX - box.left) / box.width);
  });

  const more = button("more", "More like this", `More sounds like ${hit.name}`);
  more.addEventListener("click", (event) => {
    event.stopPropagation();
    actions.more(index);
  });

  li.append(
    play, meta, wave,
    el("span", "duration", formatDuration(hit.duration)),
    el("span", "format", (hit.format || "?").toUpperCase()),
    factsOf(hit),
    el("span", "band"),
    el("span", "score"),
    more,
  );
  fillExplained(li, hit);
  fillMoments(li, hit, index, actions);
  return li;
}

/** Replace the list's rows with these hits; waveforms load as rows scroll into view. */
export function renderResults(list, hits, actions) {
  list.replaceChildren(...hits.map((hit, index) => row(hit, index, actions)));
  for (const item of list.children) visibility.observe(item);
}

/** New answers for the same hits (same ids, same order): update the rows in place. */
export function refreshResults(list, hits, actions) {
  hits.forEach((hit, i) => {
    fillExplained(list.children[i], hit);
    fillMoments(list.children[i], hit, i, actions);
  });
}

/** Mark one row selected (or none with -1) and scroll it into view. */
export function selectRow(list, index) {
  for (const item of list.querySelectorAll(".hit[aria-selected=true]")) {
    item.setAttribute("aria-selected", "false");
    for (const stop of item.querySelectorAll(".name, .chip")) stop.tabIndex = -1;
  }
  const item = list.children[index];
  if (!item) return;
  item.setAttribute("aria-selected", "true");
  for (const stop of item.querySelectorAll(".name, .chip")) stop.tabIndex = 0;
  item.scrollIntoView({ block: "nearest" });
  list.setAttribute("aria-activedescendant", item.id);
}

/** Show which row plays. */
export function markPlaying(list, id, playing) {
  for (const item of list.querySelectorAll(".hit.playing")) item.classList.remove("playing");
  const item = id == null ? null : list.querySelector(`#hit-${id}`);
  if (item && playing) item.classList.add("playing");
}

/** Redraw one row's waveform with its playhead at `fraction`. */
export function showProgress(list, id, fraction) {
  const canvas = list.querySelector(`#hit-${id} canvas`);
  if (canvas) {
    canvas.progress = fraction;
    draw(canvas);
  }
}

function loadPeaks(id) {
  if (!peakRequests.has(id)) {
    const request = api(`/api/sounds/${id}/peaks?n=${PEAK_COUNT}`)
      .then((body) => body.peaks)
      .catch(() => null);
    peakRequests.set(id, request);
  }
  return peakRequests.get(id);
}

const visibility = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    if (!entry.isIntersecting) continue;
    visibility.unobserve(entry.target);
    const canvas = entry.target.querySelector("canvas");
    loadPeaks(Number(entry.target.dataset.id)).then((peaks) => {
      canvas.peaks = peaks;
      entry.target.classList.toggle("no-wave", !peaks);
      draw(canvas);
    });
  }
}, { rootMargin: "200px" });

const resized = new ResizeObserver((entries) => {
  for (const entry of entries) entry.target.querySelectorAll("canvas").forEach(draw);
});
resized.observe(document.documentElement);

function colours() {
  const style = getComputedStyle(document.documentElement);
  const read = (name) => style.getPropertyValue(name).trim();
  return { wave: read("--wave"), played: read("--accent"), head: read("--text") };
}

function draw(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.round(canvas.clientWidth * ratio);
  const height = Math.round(canvas.clientHeight * ratio);
  if (!width || !height) return;
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  const peaks = canvas.peaks;
  if (!peaks || !peaks.length) return;
  const palette = colours();
  const loudest = Math.max(...peaks, 1e-3);
  const bar = Math.max(1, Math.round(2 * ratio));
  const step = bar + Math.max(1, Math.round(ratio));
  const playedTo = (canvas.progress || 0) * width;
  for (let x = 0; x < width; x += step) {
    const first = Math.floor((x / width) * peaks.length);
    const last = Math.max(first + 1, Math.floor(((x + step) / width) * peaks.length));
    const peak = Math.max(...peaks.slice(first, last)) / loudest;
    const h = Math.max(ratio, peak * (height - 2 * ratio));
    ctx.fillStyle = x < playedTo ? palette.played : palette.wave;
    ctx.fillRect(x, (height - h) / 2, bar, h);
  }
  if (canvas.progress > 0) {
    ctx.fillStyle = palette.head;
    ctx.fillRect(Math.min(playedTo, width - ratio), 0, Math.max(1, ratio), height);
  }
}
