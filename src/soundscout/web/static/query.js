// The search query, to and from the page URL, and as an API request.
// A query: {q, match, ref, alpha, k, minDuration, maxDuration, format, folder, category,
// collapse, moments, defaultK} where ref is null, {type: "id", id, name, start, end} (start
// and end, seconds or null, search by that region of the sound) or {type: "file", file,
// name}, match is how the words are searched: "both" (the default), "words" or "sound",
// collapse shows each recording once (the default; "collapse=0" in the URL shows every copy)
// and moments searches inside long recordings too, saying where each matches (the default;
// "moments=0" in the URL searches whole files only).

const FILTERS = [
  ["minDuration", "min_duration"],
  ["maxDuration", "max_duration"],
  ["format", "format"],
  ["folder", "folder"],
  ["category", "category"],
];

export const MATCHES = ["both", "words", "sound"];
export const DEFAULT_MATCH = "both";
const MAX_CATEGORY = 200; // the API's limit
const MAX_SECONDS = 1e7; // the API's limit on a region's start and end

/**
 * Read a query from a URL's search part (an uploaded file cannot be in a URL).
 * Values the page cannot show are dropped (a bad k, an alpha outside 0-1, a negative
 * duration, an unknown match, an overlong category, a region that ends before it starts);
 * of a repeated parameter the first counts. A category the library does not know is left to
 * the API to explain.
 */
export function queryFromUrl(search) {
  const params = new URLSearchParams(search);
  const number = (key, ok) => {
    const text = (params.get(key) || "").trim();
    const value = Number(text);
    return text !== "" && Number.isFinite(value) && ok(value) ? value : null;
  };
  const id = number("ref", (v) => Number.isInteger(v) && v > 0);
  const query = {
    q: (params.get("q") || "").trim(),
    match: MATCHES.includes(params.get("match")) ? params.get("match") : DEFAULT_MATCH,
    ref: id ? { type: "id", id, name: "", ...regionFromUrl(number) } : null,
    alpha: number("alpha", (v) => v >= 0 && v <= 1),
    k: number("k", (v) => Number.isInteger(v) && v > 0),
    collapse: !isOff(params.get("collapse")),
    moments: !isOff(params.get("moments")),
  };
  for (const [field, key] of FILTERS) query[field] = (params.get(key) || "").trim();
  for (const field of ["minDuration", "maxDuration"]) {
    const value = Number(query[field]);
    if (query[field] !== "" && !(Number.isFinite(value) && value >= 0)) query[field] = "";
  }
  query.format = query.format.toLowerCase();
  if (query.category.length > MAX_CATEGORY) query.category = "";
  return query;
}

/** Whether a URL's on/off value says off: the page's "0", or the API's "false" / "no". */
function isOff(value) {
  return ["0", "false", "no", "off"].includes((value || "").trim().toLowerCase());
}

/** {start, end} of a region reference: an end before the start drops the region. */
function regionFromUrl(number) {
  const start = number("start", (v) => v >= 0 && v <= MAX_SECONDS);
  const end = number("end", (v) => v > 0 && v <= MAX_SECONDS);
  if (start == null && end == null) return { start: null, end: null };
  if (end != null && end <= (start ?? 0)) return { start: null, end: null };
  return { start: start ?? 0, end };
}

/** Whether the reference is a region of a catalogued sound. */
export function hasRegion(ref) {
  return Boolean(ref && ref.type === "id" && ref.start != null);
}

/** Add the region of a reference (start, and end unless it runs to the end), if it has one. */
function withRegion(params, ref) {
  if (!hasRegion(ref)) return;
  params.set("start", ref.start);
  if (ref.end != null) params.set("end", ref.end);
}

function withFilters(params, query) {
  for (const [field, key] of FILTERS) {
    const value = String(query[field] ?? "").trim();
    if (value) params.append(key, value);
  }
  return params;
}

function isHybrid(query) {
  return Boolean(query.q && query.ref);
}

/** The page URL that reproduces this query. */
export function queryToUrl(query) {
  const params = new URLSearchParams();
  if (query.q) params.set("q", query.q);
  if (query.match && query.match !== DEFAULT_MATCH) params.set("match", query.match);
  if (query.ref && query.ref.type === "id") {
    params.set("ref", query.ref.id);
    withRegion(params, query.ref);
  }
  if (isHybrid(query) && query.ref.type === "id") params.set("alpha", query.alpha);
  if (query.k && query.k !== query.defaultK) params.set("k", query.k);
  if (query.collapse === false) params.set("collapse", "0");
  if (query.moments === false) params.set("moments", "0");
  const search = withFilters(params, query).toString();
  return location.pathname + (search ? `?${search}` : "");
}

/** The API call for this query: GET /api/search, or a multipart POST with the file. */
export function searchRequest(query) {
  if (query.ref && query.ref.type === "file") {
    const form = new FormData();
    form.append("file", query.ref.file, query.ref.name);
    if (query.q) form.append("text", query.q);
    if (query.q) form.append("match", query.match || DEFAULT_MATCH);
    if (isHybrid(query)) form.append("alpha", query.alpha);
    if (query.k) form.append("k", query.k);
    if (query.collapse !== false) form.append("collapse", "true");
    if (query.moments !== false) form.append("moments", "true");
    for (const [key, value] of withFilters(new URLSearchParams(), query)) form.append(key, value);
    return { url: "/api/search/audio", options: { method: "POST", body: form } };
  }
  const params = new URLSearchParams();
  if (query.q) params.set("q", query.q);
  if (query.q) params.set("match", query.match || DEFAULT_MATCH);
  if (query.ref) {
    params.set("sound_id", query.ref.id);
    withRegion(params, query.ref);
  }
  if (isHybrid(query)) params.set("alpha", query.alpha);
  if (query.k) params.set("k", query.k);
  if (query.collapse !== false) params.set("collapse", "true");
  if (query.moments !== false) params.set("moments", "true");
  return { url: `/api/search?${withFilters(params, query)}`, options: {} };
}
