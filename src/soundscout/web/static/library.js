// The library in the header: its counts, folders and failures in a pop-over, an index run in
// progress, and the notice shown while there is nothing to search yet.

import { ApiError } from "./api.js";

/** "indexing: 5 of 20", "reading tags: 40 of 800" or "scanning…" for an index run. */
export function runText(run) {
  const phase = run.phase || "indexing";
  return run.total == null ? `${phase}…` : `${phase}: ${run.done} of ${run.total}`;
}

/** "13 sounds indexed · 1 failed · indexing: 5 of 20 · tiny encoder". */
export function libraryState(stats) {
  const { done, failed, pending } = stats.sounds;
  const run = stats.indexing || null; // {phase, done, total} while an index run goes on
  const parts = [];
  if (done || !run) parts.push(`${done} sound${done === 1 ? "" : "s"} indexed`);
  if (failed) parts.push(`${failed} failed`);
  if (pending) parts.push(`${pending} pending`);
  if (run) parts.push(runText(run));
  parts.push(`${stats.encoder.name} encoder`);
  return parts.join(" · ");
}

/** A failure as its path (broken anywhere when long) and its reason (broken between words). */
function failureItem(failure) {
  const item = document.createElement("li");
  const path = document.createElement("span");
  path.className = "path";
  path.textContent = failure.path;
  item.append(path);
  if (failure.error) {
    const reason = document.createElement("span");
    reason.className = "reason";
    reason.textContent = failure.error;
    item.append(" — ", reason);
  }
  return item;
}

/** Render the library's state (GET /api/stats); return a notice when nothing is indexed. */
export function showLibrary(el, stats) {
  el.state.textContent = libraryState(stats);
  el.roots.textContent = stats.roots.length ? `Folders: ${stats.roots.join(", ")}` : "No folders indexed.";
  el.failures.replaceChildren(...stats.failures.map(failureItem));
  if (stats.sounds.done) return null;
  const run = stats.indexing;
  if (run) {
    const message = run.total == null
      ? "An index run has started: nothing is indexed yet."
      : `Indexing: ${run.done} of ${run.total} sounds so far.`;
    return new ApiError(409, "indexing", message,
      "Sounds can be searched as soon as the first batch is indexed; this page follows the run.");
  }
  return new ApiError(409, "empty_library", "No sounds are indexed yet.",
    "Run `soundscout index PATH` on a folder of sounds, then reload this page.");
}

/** Close the pop-over with Escape, or with a click elsewhere while it floats over the page. */
export function bindLibraryPopover(details) {
  const panel = details.querySelector(".library-details");
  const summary = details.querySelector("summary");
  document.addEventListener("click", (event) => {
    const floats = getComputedStyle(panel).position === "absolute"; // on a phone it is in the flow
    if (details.open && floats && !details.contains(event.target)) details.open = false;
  });
  details.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !details.open) return;
    details.open = false;
    summary.focus();
  });
}
