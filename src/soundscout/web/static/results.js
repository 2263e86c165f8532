// The results list: one row per hit with a waveform drawn from server-side peaks.

import { api } from "./api.js";

const PEAK_COUNT = 240;
const peakRequests = new Map(); // sound id -> Promise<number[] | null>
const MIME = {
  wav: "audio/wav", aiff: "audio/aiff", flac: "audio/flac", mp3: "audio/mpeg",
  ogg: "audio/ogg", opus: "audio/ogg", m4a: "audio/mp4", wma: "audio/x-ms-wma",
  caf: "audio/x-caf",
};

/** "0.42 s", "12.5 s" or "3:07". */
export function formatDuration(seconds) {
  if (seconds == null) return "–";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds - minutes * 60);
  return `${minutes}:${String(rest).padStart(2, "0")}`;
}

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
  const name = el("a", "name", hit.name);
  name.href = `${hit.audio_url}?download=1`;
  name.download = hit.name;
  name.title = `${hit.path}\nDownload, or drag it out`;
  name.tabIndex = -1; // only the selected row's link is a Tab stop: see selectRow
  name.addEventListener("click", (event) => event.stopPropagation());
  meta.append(name, el("span", "folder", hit.folder || "/"));

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
    el("span", "score", hit.score.toFixed(3)),
    more,
  );
  return li;
}

/** Replace the list's rows with these hits; waveforms load as rows scroll into view. */
export function renderResults(list, hits, actions) {
  list.replaceChildren(...hits.map((hit, index) => row(hit, index, actions)));
  for (const item of list.children) visibility.observe(item);
}

/** Mark one row selected (or none with -1) and scroll it into view. */
export function selectRow(list, index) {
  for (const item of list.querySelectorAll(".hit[aria-selected=true]")) {
    item.setAttribute("aria-selected", "false");
    item.querySelector(".name").tabIndex = -1;
  }
  const item = list.children[index];
  if (!item) return;
  item.setAttribute("aria-selected", "true");
  item.querySelector(".name").tabIndex = 0;
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
