// Soundscout web page: search by words or by ear, audition, and follow "more like this".
// The query lives in the URL (q, match, ref with a region's start and end, alpha, k, moments
// and filters, the UCS category among them), so searches can be bookmarked and back/forward
// work. Plain ES modules, no build step.

import { api, ApiError, setApiKey } from "./api.js";
import { Player } from "./player.js";
import { bindKeys } from "./keys.js";
import { Messages } from "./messages.js";
import { bindLibraryPopover, showLibrary } from "./library.js";
import { categoryOf, markPlaying, refreshResults, renderResults, selectRow, showProgress } from "./results.js";
import { DEFAULT_MATCH, queryFromUrl, queryToUrl, searchRequest } from "./query.js";
import { nextOrder, showOrder, sortHits } from "./order.js";
import { progressText, summaryText } from "./status.js";
import { fitPlaceholder } from "./fit.js";
import { bindDurationRange, invalidFilter, rangeState } from "./form.js";
import { DuplicatesView } from "./duplicates.js";
import { playStart, showRegion } from "./moments.js";

const SLOW_SEARCH_MS = 800; // a search this slow: ask whether the model is still loading
const LIBRARY_POLL_MS = 5000; // how often the library is read again while it is indexed
const PLACEHOLDERS = [ // the longest that fits the search box is shown
  "Describe a sound: “dusty vinyl kick”, “glass shatter”…",
  "Describe a sound: “glass shatter”…",
  "Describe a sound…",
];

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("search-form"), q: $("q"), dropzone: $("dropzone"), file: $("file"),
  refEmpty: $("ref-empty"), refChip: $("ref-chip"), refName: $("ref-name"), refClear: $("ref-clear"),
  refRegion: $("ref-region"), moments: $("moments"),
  alphaRow: $("alpha-row"), alpha: $("alpha"), alphaValue: $("alpha-value"),
  k: $("k"), minDuration: $("min-duration"), maxDuration: $("max-duration"),
  format: $("format"), folder: $("folder"), collapse: $("collapse"),
  matches: [...document.querySelectorAll("input[name=match]")],
  matchGroup: document.querySelector(".match"),
  categoryFilter: $("category-filter"), categoryName: $("category-name"), categoryClear: $("category-clear"),
  notes: $("notes"),
  keyForm: $("key-form"), apiKey: $("api-key"),
  summary: $("summary"), progress: $("progress"), results: $("results"), intro: $("intro"),
  resultsHead: $("results-head"), sortDuration: $("sort-duration"),
  library: {
    details: $("library"), state: $("library-state"), roots: $("library-roots"), failures: $("failures"),
  },
  dupsOpen: $("dups-open"), dupsBack: $("dups-back"),
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
  ref: null, // {type: "id", id, name, start, end} (start set: a region) or {type: "file", file, name}
  category: null, // the category filter: {value: "DOORS-WOOD", label: "DOORS / WOOD"}
  answer: [], // the hits of the last answer, in the server's order (by relevance)
  hits: [], // the hits as shown: the answer, or sorted by duration
  order: "none", // "none" (relevance), "ascending" or "descending" by duration
  selected: -1,
  limits: { default_k: 20, max_k: 500, default_alpha: 0.5, max_upload_bytes: Infinity },
  controller: null,
  typingTimer: 0,
  cancelRangeSearch: () => {}, // a search waiting for the duration range to be typed
  libraryTimer: 0,
  searchedText: "", // the words of the last search run, to notice a cleared box
  searchedRange: "", // its duration fields (rangeState), to search again only when they change
  shown: null, // {body, query, loaded} behind the summary line
  searchUrl: "", // the search's URL while the duplicates view is open
};

const player = new Player($("player"), {
  onState: (hit, playing) => {
    markPlaying(ui.results, hit && hit.id, playing);
    duplicates.markPlaying(hit && hit.id, playing);
  },
  onProgress: (hit, fraction) => showProgress(ui.results, hit.id, fraction),
  onError: (hit, message) => explainPlaybackError(hit, message),
});

const duplicates = new DuplicatesView({
  section: $("dups"), title: $("dups-title"), summary: $("dups-summary"), groups: $("dups-groups"),
  more: $("dups-more"), silent: $("dups-silent"), silentList: $("dups-silent-list"), kind: $("dups-kind"),
}, {
  play: (member) => player.toggle(member),
  error: (err) => showError(err),
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
    collapse: ui.collapse.checked,
    moments: ui.moments.checked,
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
  ui.collapse.checked = query.collapse !== false;
  ui.moments.checked = query.moments !== false;
  for (const input of ui.matches) input.checked = input.value === query.match;
  setCategory(query.category ? { value: query.category, label: labelOf(query.category) } : null,
    { search: false });
  setReference(query.ref, { search: false });
}

function setReference(ref, { search = true } = {}) {
  const hadFocus = ui.refChip.contains(document.activeElement);
  state.ref = ref;
  ui.refEmpty.hidden = Boolean(ref);
  ui.refChip.hidden = !ref;
  ui.refName.textContent = ref ? ref.name || `sound ${ref.id}` : "";
  showRegion(ui.refRegion, ref);
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
  // Whatever happens below, an older request still in flight must not land afterwards,
  // and a search still waiting for the typing to stop is this one.
  if (state.controller) state.controller.abort();
  state.controller = null;
  clearTimeout(state.typingTimer);
  state.cancelRangeSearch();
  setBusy(null);
  const query = currentQuery();
  state.searchedText = query.q;
  state.searchedRange = rangeState(ui);
  // words, sound or both is a choice about words typed: with none, it has no say
  ui.matchGroup.classList.toggle("idle", !query.q);
  ui.matchGroup.title = query.q ? "" : "Applies to words typed in the search box";
  if (!fromHistory) updateUrl(query, push);
  if (!query.q && !query.ref && !query.category) {
    clearResults();
    return;
  }
  const invalid = invalidFilter(ui, state.limits.max_k);
  if (invalid) return failSearch(invalid);
  if (query.ref && query.ref.type === "file" && query.ref.file.size > state.limits.max_upload_bytes) {
    return failSearch(new ApiError(413, "payload_too_large",
      `“${query.ref.name}” is larger than the server's upload limit.`,
      "Trim the reference sound or raise server.max_upload_bytes."));
  }
  ui.intro.hidden = true;
  const controller = (state.controller = new AbortController());
  const request = searchRequest(query);
  const search = { loaded: "" }; // what the server loaded meanwhile ("model"), if it says
  const slow = setTimeout(() => watchSlowSearch(controller, search), SLOW_SEARCH_MS);
  setBusy("searching…");
  try {
    const body = await api(request.url, { ...request.options, signal: controller.signal });
    if (controller.signal.aborted) return; // superseded while its body was being read
    showResults(body, query, search.loaded);
  } catch (err) {
    if (err.name === "AbortError") return;
    if (err.code === "decode_error" && query.ref && query.ref.type === "file") {
      // an upload that cannot be read would fail every later search: take it off
      setReference(null, { search: false });
      err.hint = `${err.hint ? `${err.hint} ` : ""}It was taken off the page; choose another file.`;
    }
    failSearch(err);
  } finally {
    clearTimeout(slow);
    if (state.controller === controller) setBusy(null);
  }
}

/** Show what runs now ("searching…") after the summary, or nothing with null. */
function setBusy(what) {
  document.body.classList.toggle("busy", Boolean(what));
  ui.progress.hidden = !what;
  ui.progress.textContent = what ? progressText(ui.summary.textContent, what) : "";
}

/**
 * A search still running: if the server says it is loading its model (GET /api/health
 * with `ready: false`), say so instead of "searching…", and do not blame the query for the
 * time it took. Servers without the field are left alone.
 */
async function watchSlowSearch(controller, search) {
  const health = await api("/api/health").catch(() => null);
  if (state.controller !== controller || !health || health.ready !== false) return;
  search.loaded = health.loading || "model";
  setBusy(`loading the ${search.loaded}…`);
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

function showResults(body, query, loaded = "") {
  hideError();
  learnLabels(body.results.map(categoryOf));
  const hits = sortHits(body.results, state.order);
  state.answer = body.results;
  if (!sameHits(hits, state.hits) || !ui.results.children.length) {
    player.reset(); // a new list: keep playing only while the rows stay the same
    state.hits = hits;
    state.selected = -1;
    renderResults(ui.results, state.hits, rowActions);
  } else {
    state.hits = hits;
    refreshResults(ui.results, state.hits, rowActions);
  }
  ui.resultsHead.hidden = !hits.length;
  showNotes(body.notes);
  ui.intro.hidden = true;
  state.shown = { body, query, loaded };
  showSummary();
}

function showSummary() {
  const { body, query, loaded } = state.shown;
  ui.summary.textContent = summaryText(body, query, loaded);
  ui.summary.dataset.mode = body.mode;
}

/** Show the same hits in another order, the selected and playing rows still marked. */
function sortResults(order) {
  state.order = order;
  showOrder(ui.sortDuration, order);
  if (!state.answer.length) return;
  const selected = state.hits[state.selected];
  state.hits = sortHits(state.answer, order);
  renderResults(ui.results, state.hits, rowActions);
  state.selected = selected ? state.hits.indexOf(selected) : -1;
  if (state.selected >= 0) selectRow(ui.results, state.selected);
  if (player.hit) markPlaying(ui.results, player.hit.id, player.isPlaying(player.hit));
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
  state.answer = [];
  state.hits = [];
  state.selected = -1;
  state.shown = null;
  ui.results.replaceChildren();
  ui.resultsHead.hidden = true;
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
    player.toggle(state.hits[index], playStart(state.hits[index]));
    ui.results.focus({ preventScroll: true });
  },
  moment: (index, moment) => {
    select(index);
    player.playAt(state.hits[index], moment.start);
    ui.results.focus({ preventScroll: true });
  },
  moreMoment: (index, moment) => moreLikeThis(index, moment),
  seek: (index, fraction) => {
    select(index);
    player.play(state.hits[index], fraction);
    ui.results.focus({ preventScroll: true });
  },
  more: (index) => moreLikeThis(index),
  copies: (hit) => showDuplicates({ soundId: hit.id }, { push: true }),
  category: (category) => {
    setCategory(category);
    ui.results.focus({ preventScroll: true }); // the chip is gone with its row
  },
  folder: (folder) => {
    if (!folder || ui.folder.value.trim() === folder) return;
    ui.folder.value = folder; // a folder under an indexed one, as the filter takes it
    runSearch({ push: true });
    ui.results.focus({ preventScroll: true });
  },
};

function select(index) {
  if (!state.hits.length) return;
  state.selected = Math.max(0, Math.min(state.hits.length - 1, index));
  selectRow(ui.results, state.selected);
}

/** Search by this sound (or one of its moments) alone: the words go (Back brings them back). */
function moreLikeThis(index, moment = null) {
  const hit = state.hits[index];
  if (!hit) return;
  ui.q.value = "";
  const region = moment ? { start: moment.start, end: moment.end } : {};
  setReference({ type: "id", id: hit.id, name: hit.name, ...region });
  ui.results.focus({ preventScroll: true });
}

// --- the duplicates view -------------------------------------------------------------

/** The duplicates view asked for by a URL: {} (every group), {soundId} or null (none). */
function duplicatesFromUrl(search) {
  const params = new URLSearchParams(search);
  if (params.get("view") !== "duplicates") return null;
  const id = Number(params.get("sound"));
  return Number.isInteger(id) && id > 0 ? { soundId: id } : {};
}

/** Show every group ({}) or one sound's ({soundId}); the search stays as it was. */
function showDuplicates(which, { push = false } = {}) {
  if (push) {
    const params = new URLSearchParams({ view: "duplicates" });
    if (which.soundId) params.set("sound", which.soundId);
    state.searchUrl = duplicates.isOpen ? state.searchUrl : location.pathname + location.search;
    history.pushState(null, "", `${location.pathname}?${params}`);
  }
  player.reset();
  hideError();
  duplicates.open(which);
  $("dups-title").focus({ preventScroll: false });
}

/** Back to the search: its results are still there. */
function closeDuplicates({ push = false } = {}) {
  player.reset();
  duplicates.close();
  if (push) history.pushState(null, "", state.searchUrl || location.pathname);
  if (!ui.results.children.length) runSearch({ fromHistory: true });
}

// --- the library state ---------------------------------------------------------------

/** Read the library's state; while it is being indexed, read it again now and then. */
async function loadLibrary({ poll = false } = {}) {
  clearTimeout(state.libraryTimer);
  try {
    const stats = await api("/api/stats");
    state.limits = { ...state.limits, ...stats.limits };
    ui.k.max = state.limits.max_k;
    if (!poll) messages.hide();
    messages.setNotice(showLibrary(ui.library, stats));
    if (stats.indexing) state.libraryTimer = setTimeout(() => loadLibrary({ poll: true }), LIBRARY_POLL_MS);
    return true;
  } catch (err) {
    if (poll) return false; // the state shown stays; the next search says what is wrong
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
    runSearch({ push: true });
  });
  ui.q.addEventListener("search", () => {
    // Escape or the clear button emptied the box: search again (Enter submits the form).
    if (ui.q.value.trim() !== state.searchedText) runSearch({ push: true });
  });
  ui.q.addEventListener("input", () => {
    updateAlphaRow();
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(() => runSearch(), 250);
  });
  ui.alpha.addEventListener("input", updateAlphaRow);
  ui.alpha.addEventListener("change", () => runSearch());
  ui.dupsOpen.addEventListener("click", () => showDuplicates({}, { push: true }));
  ui.dupsBack.addEventListener("click", () => closeDuplicates({ push: true }));
  for (const input of [ui.k, ui.format, ui.folder, ui.collapse, ui.moments, ...ui.matches]) {
    input.addEventListener("change", () => runSearch({ push: true }));
  }
  state.cancelRangeSearch = bindDurationRange(ui, () => {
    if (rangeState(ui) !== state.searchedRange) runSearch({ push: true });
  });
  ui.sortDuration.addEventListener("click", () => sortResults(nextOrder(state.order)));
  bindLibraryPopover(ui.library.details);
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
    toggle: () => state.hits[state.selected] && rowActions.play(state.selected),
    more: () => moreLikeThis(state.selected),
    pickFile: () => ui.file.click(),
    clearReference: () => state.ref && setReference(null),
  });
  window.addEventListener("popstate", () => {
    const which = duplicatesFromUrl(location.search);
    if (which) return showDuplicates(which);
    if (duplicates.isOpen) duplicates.close();
    fillForm(queryFromUrl(location.search));
    updateUrl(currentQuery(), false); // what the form shows of it
    runSearch({ fromHistory: true });
  });
}

async function start() {
  bindEvents();
  fitPlaceholder(ui.q, PLACEHOLDERS);
  const ready = await loadLibrary();
  if (ready) loadCategories();
  const which = duplicatesFromUrl(location.search);
  if (which) {
    state.searchUrl = location.pathname;
    if (ready) showDuplicates(which);
    return;
  }
  fillForm(queryFromUrl(location.search));
  updateUrl(currentQuery(), false); // a hand-edited URL shows what the form took from it
  if (ready) runSearch({ fromHistory: true });
  if (!ui.q.value) ui.q.focus();
}

start();
