// Soundscout web page: search by words or by ear, audition, and follow "more like this".
// The query lives in the URL (q, match, ref, alpha, k and filters, the UCS category among
// them), so searches can be bookmarked and back/forward work. Plain ES modules, no build step.

import { api, ApiError, setApiKey } from "./api.js";
import { Player } from "./player.js";
import { bindKeys } from "./keys.js";
import { Messages, showLibrary } from "./messages.js";
import { categoryOf, markPlaying, refreshResults, renderResults, selectRow, showProgress } from "./results.js";
import { DEFAULT_MATCH, queryFromUrl, queryToUrl, searchRequest } from "./query.js";

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("search-form"), q: $("q"), dropzone: $("dropzone"), file: $("file"),
  refEmpty: $("ref-empty"), refChip: $("ref-chip"), refName: $("ref-name"), refClear: $("ref-clear"),
  alphaRow: $("alpha-row"), alpha: $("alpha"), alphaValue: $("alpha-value"),
  k: $("k"), minDuration: $("min-duration"), maxDuration: $("max-duration"),
  format: $("format"), folder: $("folder"),
  matches: [...document.querySelectorAll("input[name=match]")],
  categoryFilter: $("category-filter"), categoryName: $("category-name"), categoryClear: $("category-clear"),
  notes: $("notes"),
  keyForm: $("key-form"), apiKey: $("api-key"),
  summary: $("summary"), results: $("results"), intro: $("intro"),
  library: { state: $("library-state"), roots: $("library-roots"), failures: $("failures") },
};
const messages = new Messages({
  box: $("error"), message: $("error-message"), hint: $("error-hint"),
  keyForm: ui.keyForm, keyInput: ui.apiKey,
});
const showError = (err) => messages.show(err);
const hideError = () => messages.hide();

/** "DOORS / WOOD" by filter value ("DOORS-WOOD"), from results and GET /api/categories. */
const categoryLabels = new Map();
const labelOf = (value) => categoryLabels.get(value.toUpperCase()) || value;

const state = {
  ref: null, // {type: "id", id, name} or {type: "file", file, name}
  category: null, // the category filter: {value: "DOORS-WOOD", label: "DOORS / WOOD"}
  hits: [],
  selected: -1,
  limits: { default_k: 20, max_k: 500, default_alpha: 0.5, max_upload_bytes: Infinity },
  controller: null,
  typingTimer: 0,
  searchedText: "", // the words of the last search run, to notice a cleared box
  shown: null, // {body, query} behind the summary line
};

const player = new Player($("player"), {
  onState: (hit, playing) => markPlaying(ui.results, hit && hit.id, playing),
  onProgress: (hit, fraction) => showProgress(ui.results, hit.id, fraction),
  onError: (hit, message) => explainPlaybackError(hit, message),
});

/** A media error hides its cause: ask the server whether the file is there at all. */
async function explainPlaybackError(hit, message) {
  try {
    await api(hit.audio_url, { headers: { Range: "bytes=0-0" } });
  } catch (err) {
    // 404: the file is gone; 0: the server is down. Either says more than the media error.
    if (err instanceof ApiError && (err.status === 404 || err.status === 0)) return showError(err);
  }
  showError(new ApiError(0, "playback", message,
    "Download it with the link on its name, or drag it into your editor."));
}

// --- the form <-> the query ----------------------------------------------------------

function currentQuery() {
  return {
    q: ui.q.value.trim(),
    match: (ui.matches.find((input) => input.checked) || { value: DEFAULT_MATCH }).value,
    ref: state.ref,
    alpha: Number(ui.alpha.value),
    k: ui.k.value === "" ? null : Number(ui.k.value),
    minDuration: ui.minDuration.value,
    maxDuration: ui.maxDuration.value,
    format: ui.format.value,
    folder: ui.folder.value.trim(),
    category: state.category ? state.category.value : "",
    defaultK: state.limits.default_k,
  };
}

function fillForm(query) {
  ui.q.value = query.q;
  ui.alpha.value = query.alpha ?? state.limits.default_alpha;
  ui.k.value = Math.min(query.k ?? state.limits.default_k, state.limits.max_k);
  ui.minDuration.value = query.minDuration;
  ui.maxDuration.value = query.maxDuration;
  ui.format.value = query.format;
  if (ui.format.selectedIndex < 0) ui.format.value = ""; // a format the menu does not offer
  ui.folder.value = query.folder;
  for (const input of ui.matches) input.checked = input.value === query.match;
  setCategory(query.category ? { value: query.category, label: labelOf(query.category) } : null,
    { search: false });
  setReference(query.ref, { search: false });
}

/** The first filter the browser already knows is wrong, as an error to show, or null. */
function invalidFilter() {
  const checks = [
    [ui.k, `The number of results must be a whole number from 1 to ${state.limits.max_k}.`],
    [ui.minDuration, "The minimum duration must be a number of seconds, 0 or more."],
    [ui.maxDuration, "The maximum duration must be a number of seconds, 0 or more."],
  ];
  for (const [input] of checks) input.removeAttribute("aria-invalid");
  for (const [input, message] of checks) {
    if (!input.validity.valid) {
      input.setAttribute("aria-invalid", "true");
      return new ApiError(0, "invalid_input", message, "Correct the field and the search runs again.");
    }
  }
  return null;
}

function setReference(ref, { search = true } = {}) {
  const hadFocus = ui.refChip.contains(document.activeElement);
  state.ref = ref;
  ui.refEmpty.hidden = Boolean(ref);
  ui.refChip.hidden = !ref;
  ui.refName.textContent = ref ? ref.name || `sound ${ref.id}` : "";
  ui.dropzone.classList.toggle("has-ref", Boolean(ref));
  updateAlphaRow();
  if (!ref && hadFocus) ui.dropzone.focus(); // the × button the focus was on is gone
  if (ref && ref.type === "id" && !ref.name) nameReference(ref);
  if (search) runSearch({ push: true });
}

/** Filter by a UCS category ({value, label}), or by none with null. */
function setCategory(category, { search = true } = {}) {
  const hadFocus = ui.categoryFilter.contains(document.activeElement);
  state.category = category;
  ui.categoryFilter.hidden = !category;
  ui.categoryName.textContent = category ? category.label : "";
  ui.categoryClear.setAttribute("aria-label",
    category ? `Remove the category filter ${category.label}` : "Remove the category filter");
  if (!category && hadFocus) ui.q.focus(); // the × button the focus was on is gone
  if (search) runSearch({ push: true });
}

async function nameReference(ref) {
  try {
    const sound = await api(`/api/sounds/${ref.id}`);
    if (state.ref !== ref) return;
    ui.refName.textContent = ref.name = sound.name;
    if (state.shown && state.shown.query.ref === ref) showSummary();
  } catch (err) {
    showError(err);
  }
}

function updateAlphaRow() {
  ui.alphaRow.hidden = !(state.ref && ui.q.value.trim());
  ui.alphaValue.textContent = Number(ui.alpha.value).toFixed(2);
}

// --- searching -------------------------------------------------------------------------

async function runSearch({ push = false, fromHistory = false } = {}) {
  // Whatever happens below, an older request still in flight must not land afterwards.
  if (state.controller) state.controller.abort();
  state.controller = null;
  document.body.classList.remove("busy");
  const query = currentQuery();
  state.searchedText = query.q;
  if (!fromHistory) updateUrl(query, push);
  if (!query.q && !query.ref && !query.category) {
    clearResults();
    return;
  }
  const invalid = invalidFilter();
  if (invalid) return failSearch(invalid);
  if (query.ref && query.ref.type === "file" && query.ref.file.size > state.limits.max_upload_bytes) {
    return failSearch(new ApiError(413, "payload_too_large",
      `“${query.ref.name}” is larger than the server's upload limit.`,
      "Trim the reference sound or raise server.max_upload_bytes."));
  }
  ui.intro.hidden = true;
  const controller = (state.controller = new AbortController());
  const request = searchRequest(query);
  document.body.classList.add("busy");
  try {
    const body = await api(request.url, { ...request.options, signal: controller.signal });
    if (controller.signal.aborted) return; // superseded while its body was being read
    showResults(body, query);
  } catch (err) {
    if (err.name !== "AbortError") failSearch(err);
  } finally {
    if (state.controller === controller) document.body.classList.remove("busy");
  }
}

function updateUrl(query, push) {
  const url = queryToUrl(query);
  if (url === location.pathname + location.search) return;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

const sameHits = (a, b) => a.length === b.length && a.every((hit, i) => hit.id === b[i].id);

function learnLabels(categories) {
  for (const category of categories) {
    if (category) categoryLabels.set(category.value.toUpperCase(), category.label);
  }
  if (state.category) ui.categoryName.textContent = state.category.label = labelOf(state.category.value);
}

/** The labels of the library's categories, for a category filter taken from the URL. */
async function loadCategories() {
  try {
    const body = await api("/api/categories");
    learnLabels(body.categories.flatMap((c) => [
      categoryOf({ category: c.category }), categoryOf(c),
    ]));
  } catch {
    // Only the labels are missing: the chip shows the filter as the URL gives it.
  }
}

function showResults(body, query) {
  hideError();
  learnLabels(body.results.map(categoryOf));
  if (!sameHits(body.results, state.hits) || !ui.results.children.length) {
    player.reset(); // a new list: keep playing only while the rows stay the same
    state.hits = body.results;
    state.selected = -1;
    renderResults(ui.results, state.hits, rowActions);
  } else {
    state.hits = body.results;
    refreshResults(ui.results, state.hits);
  }
  showNotes(body.notes);
  ui.intro.hidden = true;
  state.shown = { body, query };
  showSummary();
}

function showSummary() {
  const { body, query } = state.shown;
  const what = {
    text: "text", audio: "sound", hybrid: `text + sound, α ${body.alpha}`, browse: "category, by name",
  }[body.mode];
  const count = body.results.length;
  ui.summary.textContent = count
    ? `${count} result${count === 1 ? "" : "s"} · ${what} · ${Math.round(body.took_ms)} ms`
    : "No sounds match. Loosen the filters or try other words.";
  ui.summary.dataset.mode = body.mode;
  if (query.ref && count) ui.summary.textContent += ` · like ${query.ref.name || `sound ${query.ref.id}`}`;
}

/** What the server says about the answer ("No strong match for …"), above the results. */
function showNotes(notes) {
  const items = (notes || []).map((note) => {
    const item = document.createElement("li");
    item.textContent = note;
    return item;
  });
  ui.notes.replaceChildren(...items);
  ui.notes.hidden = !items.length;
}

/** A search that failed: its error replaces the results of the search before it. */
function failSearch(err) {
  clearResults();
  ui.intro.hidden = true;
  showError(err);
}

function clearResults() {
  player.reset();
  state.hits = [];
  state.selected = -1;
  state.shown = null;
  ui.results.replaceChildren();
  ui.summary.textContent = "";
  showNotes([]);
  ui.intro.hidden = false;
  hideError();
}

// --- results: selection, playback, more like this -----------------------------------

const rowActions = {
  select: (index) => select(index),
  play: (index) => {
    select(index);
    player.toggle(state.hits[index]);
    ui.results.focus({ preventScroll: true });
  },
  seek: (index, fraction) => {
    select(index);
    player.play(state.hits[index], fraction);
    ui.results.focus({ preventScroll: true });
  },
  more: (index) => moreLikeThis(index),
  category: (category) => {
    setCategory(category);
    ui.results.focus({ preventScroll: true }); // the chip is gone with its row
  },
};

function select(index) {
  if (!state.hits.length) return;
  state.selected = Math.max(0, Math.min(state.hits.length - 1, index));
  selectRow(ui.results, state.selected);
}

function moreLikeThis(index) {
  const hit = state.hits[index];
  if (!hit) return;
  setReference({ type: "id", id: hit.id, name: hit.name });
  ui.results.focus({ preventScroll: true });
}

// --- the library state ---------------------------------------------------------------

async function loadLibrary() {
  try {
    const stats = await api("/api/stats");
    state.limits = { ...state.limits, ...stats.limits };
    ui.k.max = state.limits.max_k;
    messages.hide();
    messages.setNotice(showLibrary(ui.library, stats));
    return true;
  } catch (err) {
    ui.library.state.textContent = "Library unavailable";
    showError(err);
    return false;
  }
}

// --- events ----------------------------------------------------------------------------

function acceptDrop(event) {
  const sound = event.dataTransfer.getData("application/x-soundscout-sound");
  if (sound) {
    const { id, name } = JSON.parse(sound);
    setReference({ type: "id", id, name });
  } else if (event.dataTransfer.files.length) {
    useFile(event.dataTransfer.files[0]);
  }
}

function useFile(file) {
  if (file) setReference({ type: "file", file, name: file.name });
}

function bindEvents() {
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(state.typingTimer);
    runSearch({ push: true });
  });
  ui.q.addEventListener("search", () => {
    // Escape or the clear button emptied the box: search again (Enter submits the form).
    if (ui.q.value.trim() !== state.searchedText) {
      clearTimeout(state.typingTimer);
      runSearch({ push: true });
    }
  });
  ui.q.addEventListener("input", () => {
    updateAlphaRow();
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(() => runSearch(), 250);
  });
  ui.alpha.addEventListener("input", updateAlphaRow);
  ui.alpha.addEventListener("change", () => runSearch());
  for (const input of [ui.k, ui.minDuration, ui.maxDuration, ui.format, ui.folder, ...ui.matches]) {
    input.addEventListener("change", () => runSearch({ push: true }));
  }
  ui.categoryClear.addEventListener("click", () => setCategory(null));
  ui.refClear.addEventListener("click", (event) => {
    event.stopPropagation();
    setReference(null);
  });
  ui.dropzone.addEventListener("click", () => ui.file.click());
  ui.file.addEventListener("change", () => {
    useFile(ui.file.files[0]);
    ui.file.value = "";
  });
  ui.dropzone.addEventListener("dragover", (event) => {
    event.preventDefault();
    ui.dropzone.classList.add("over");
  });
  ui.dropzone.addEventListener("dragleave", () => ui.dropzone.classList.remove("over"));
  ui.dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    ui.dropzone.classList.remove("over");
    acceptDrop(event);
  });
  ui.keyForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    setApiKey(ui.apiKey.value.trim());
    if (await loadLibrary()) {
      loadCategories();
      runSearch({ fromHistory: true });
    }
  });
  bindKeys(ui, {
    hasResults: () => state.hits.length > 0,
    selected: () => state.selected,
    select,
    toggle: () => state.hits[state.selected] && player.toggle(state.hits[state.selected]),
    more: () => moreLikeThis(state.selected),
    pickFile: () => ui.file.click(),
    clearReference: () => state.ref && setReference(null),
  });
  window.addEventListener("popstate", () => {
    fillForm(queryFromUrl(location.search));
    updateUrl(currentQuery(), false); // what the form shows of it
    runSearch({ fromHistory: true });
  });
}

async function start() {
  bindEvents();
  const ready = await loadLibrary();
  if (ready) loadCategories();
  fillForm(queryFromUrl(location.search));
  updateUrl(currentQuery(), false); // a hand-edited URL shows what the form took from it
  if (ready) runSearch({ fromHistory: true });
  if (!ui.q.value) ui.q.focus();
}

start();
