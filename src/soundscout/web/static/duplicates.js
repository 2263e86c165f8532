// The duplicates view: the library's groups of copies and variants (GET /api/duplicates) or
// the group of one sound (GET /api/sounds/{id}), each file with its format, sample rate,
// bit depth, channels, duration and size, the copy "one per recording" keeps, and a play
// button; the silent files apart; a CSV of every group to act on with other tools.
// Nothing here deletes anything.

import { api } from "./api.js";
import { formatDuration, soundFacts } from "./format.js";

const PAGE = 20; // groups per request
const KIND_NAMES = { exact: "exact copies", recording: "same recording", variant: "variants" };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

/** "812 kB", "4.2 MB". */
export function formatSize(bytes) {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

/** A member's role class and label, from its `relation` (the API says what it is). */
const ROLES = {
  keep: ["keep", "kept: the best copy"],
  "exact copy": ["exact", "exact copy"],
  copy: ["copy", "copy"],
  variant: ["variant", "variant"],
};

export class DuplicatesView {
  /**
   * @param {{section, title, summary, groups, more, silent, silentList, kind}} ui
   * @param {{play: Function, error: Function}} actions play(member) toggles playback;
   *   error(err) shows a failed request.
   */
  constructor(ui, actions) {
    this.ui = ui;
    this.actions = actions;
    this.offset = 0;
    this.soundId = null;
    ui.more.addEventListener("click", () => this._loadPage());
    ui.kind.addEventListener("change", () => this.open({}));
  }

  get isOpen() {
    return !this.ui.section.hidden;
  }

  /** Show every group ({}) or the group of one sound ({soundId}). */
  async open({ soundId = null } = {}) {
    this.soundId = soundId;
    this.offset = 0;
    this.ui.section.hidden = false;
    document.body.classList.add("showing-duplicates");
    this.ui.groups.replaceChildren();
    this.ui.silent.hidden = true;
    this.ui.kind.parentElement.hidden = soundId != null;
    this.ui.title.textContent = soundId != null ? "Copies and variants" : "Duplicates";
    if (soundId != null) return this._loadSound(soundId);
    return this._loadPage();
  }

  close() {
    this.ui.section.hidden = true;
    document.body.classList.remove("showing-duplicates");
  }

  /** Show which member plays. */
  markPlaying(id, playing) {
    for (const item of this.ui.groups.querySelectorAll(".member.playing")) item.classList.remove("playing");
    const item = id == null ? null : this.ui.groups.querySelector(`[data-id="${id}"]`);
    if (item && playing) item.classList.add("playing");
  }

  async _loadSound(soundId) {
    try {
      const sound = await api(`/api/sounds/${soundId}`);
      if (this.soundId !== soundId) return;
      const group = sound.duplicates;
      this.ui.summary.textContent = group
        ? `${sound.name}: ${group.members.length} files, ${formatSize(group.size)}`
        : `${sound.name} has no copies or variants in the library.`;
      if (group) this.ui.groups.append(this._group(group));
      this.ui.more.hidden = true;
    } catch (err) {
      this.actions.error(err);
    }
  }

  async _loadPage() {
    const kind = this.ui.kind.value;
    const params = new URLSearchParams({ limit: PAGE, offset: this.offset });
    if (kind) params.set("kind", kind);
    try {
      const body = await api(`/api/duplicates?${params}`);
      if (this.soundId != null || !this.isOpen) return;
      this.ui.groups.append(...body.groups.map((group) => this._group(group)));
      this.offset += body.groups.length;
      this.ui.more.hidden = this.offset >= body.total;
      this.ui.summary.textContent = summaryOf(body, kind);
      this._showSilent(body.silent);
    } catch (err) {
      this.actions.error(err);
    }
  }

  _showSilent(silent) {
    this.ui.silent.hidden = !silent.length;
    this.ui.silent.querySelector("summary").textContent =
      `${silent.length} silent file${silent.length === 1 ? "" : "s"} (never grouped)`;
    this.ui.silentList.replaceChildren(...silent.map((file) => {
      const item = el("li", "silent-file", file.path);
      item.title = file.path;
      return item;
    }));
  }

  _group(group) {
    const box = el("section", "dup-group");
    box.dataset.group = group.id;
    const head = el("h3", "dup-head");
    head.append(el("span", `dup-kind kind-${group.kind}`, KIND_NAMES[group.kind] || group.kind),
      el("span", "muted", ` ${group.members.length} files · ${formatSize(group.size)}`));
    const list = el("ul", "members");
    list.append(...group.members.map((member) => this._member(member)));
    box.append(head, list);
    return box;
  }

  _member(member) {
    const item = el("li", "member");
    item.dataset.id = member.id;
    const play = el("button", "play");
    play.type = "button";
    play.setAttribute("aria-label", `Play ${member.name}`);
    play.addEventListener("click", () => this.actions.play(member));
    const [role, label] = ROLES[member.relation] || ROLES.variant;
    const name = el("a", "name", member.name);
    name.href = `${member.audio_url}?download=1`;
    name.download = member.name;
    name.title = member.path;
    const meta = el("div", "meta");
    meta.append(name, el("span", "folder", member.folder || "/"));
    const facts = soundFacts(member).map(([, text]) => text);
    item.append(
      play,
      meta,
      el("span", `role role-${role}`, label),
      el("span", "format", (member.format || "?").toUpperCase()),
      el("span", "facts", facts.join(" · ")),
      el("span", "duration", formatDuration(member.duration)),
      el("span", "size", formatSize(member.size)),
    );
    return item;
  }
}

/** "3 groups of copies, 2 shown · the groups are up to date". */
function summaryOf(body, kind) {
  const what = kind ? `${KIND_NAMES[kind]} ` : "";
  const parts = [`${body.total} ${what}group${body.total === 1 ? "" : "s"}`];
  if (!body.total) parts[0] = kind ? `No groups of ${KIND_NAMES[kind]}.` : "No duplicates found.";
  if (!body.current) parts.push("the library changed since they were found: run `soundscout index` to update them");
  if (body.unprinted) parts.push(`${body.unprinted} sounds indexed before fingerprints (index again to compare them)`);
  return parts.join(" · ");
}
