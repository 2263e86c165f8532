// The message banner: API errors with their hint, a lasting notice, the API-key form.

import { ApiError } from "./api.js";

/** Put text on the page, with `backticked` parts as <code>. */
export function setRichText(node, text) {
  node.replaceChildren(...(text || "").split("`").map((part, i) => {
    if (i % 2 === 0) return document.createTextNode(part);
    const code = document.createElement("code");
    code.textContent = part;
    return code;
  }));
}

export class Messages {
  /** @param {{box, message, hint, keyForm, keyInput}} elements */
  constructor(elements) {
    this.el = elements;
    this.notice = null; // shown whenever no other message is (e.g. an empty library)
  }

  /** Show an error (an ApiError, or anything else as its text). */
  show(err) {
    const error = err instanceof ApiError ? err : new ApiError(0, "error", String(err), null);
    setRichText(this.el.message, error.message);
    setRichText(this.el.hint, error.hint);
    this.el.hint.hidden = !error.hint;
    this.el.box.dataset.code = error.code;
    this.el.box.hidden = false;
    this.el.keyForm.hidden = error.status !== 401;
    if (error.status === 401) this.el.keyInput.focus();
  }

  /** Hide the current error (the notice, if any, comes back). */
  hide() {
    this.el.box.hidden = true;
    this.el.keyForm.hidden = true;
    if (this.notice) this.show(this.notice);
  }

  /** Set (or clear with null) the lasting notice. */
  setNotice(notice) {
    this.notice = notice;
    if (notice) this.show(notice);
  }
}

/** Render the library's state (GET /api/stats); return a notice when nothing is indexed. */
export function showLibrary(el, stats) {
  const { done, failed, pending } = stats.sounds;
  const parts = [`${done} sound${done === 1 ? "" : "s"} indexed`];
  if (failed) parts.push(`${failed} failed`);
  if (pending) parts.push(`${pending} pending`);
  parts.push(`${stats.encoder.name} encoder`);
  el.state.textContent = parts.join(" · ");
  el.roots.textContent = stats.roots.length ? `Folders: ${stats.roots.join(", ")}` : "No folders indexed.";
  el.failures.replaceChildren(...stats.failures.map((f) => {
    const item = document.createElement("li");
    item.textContent = `${f.path} — ${f.error}`;
    return item;
  }));
  if (done) return null;
  return new ApiError(409, "empty_library", "No sounds are indexed yet.",
    "Run `soundscout index PATH` on a folder of sounds, then reload this page.");
}
