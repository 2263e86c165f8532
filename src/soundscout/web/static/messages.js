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
    this.current = null; // the message on show, or null
  }

  /** Show an error (an ApiError, or anything else as its text). */
  show(err) {
    const error = err instanceof ApiError ? err : new ApiError(0, "error", String(err), null);
    this.current = err;
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
    this.current = null;
    this.el.box.hidden = true;
    this.el.keyForm.hidden = true;
    if (this.notice) this.show(this.notice);
  }

  /** Set (or clear with null) the lasting notice; it replaces the old one, not an error. */
  setNotice(notice) {
    const noticeShown = this.current === null || this.current === this.notice;
    this.notice = notice;
    if (!noticeShown) return;
    if (notice) this.show(notice);
    else this.hide();
  }
}
