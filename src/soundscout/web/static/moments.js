// Moments: where in a long recording a search matches (a hit's `moments`, best first, from
// a search with moments=true). Each is marked on the row's waveform, the best one
// emphasised, and listed under the name as buttons: the best as "02:13.0–02:16.0", the
// others as smaller chips. A moment's button (or mark) plays from its start and makes it
// the row's current moment; "Like this moment" searches by that region of the sound.

import { formatSpan, formatTime } from "./format.js";
import { hasRegion } from "./query.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

/** A button of the row: a Tab stop only in the selected row (see selectRow). */
function chip(li, className, text, label) {
  const node = el("button", `chip ${className}`, text);
  node.type = "button";
  node.tabIndex = li.getAttribute("aria-selected") === "true" ? 0 : -1;
  node.setAttribute("aria-label", label);
  node.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus on the list
  return node;
}

/** Where playing a hit starts: its best moment's start, or the beginning. */
export function playStart(hit) {
  const best = hit && hit.moments && hit.moments[0];
  return best ? best.start : 0;
}

/** "00:31.0–00:32.5" for a reference to a region of a sound; "" for a whole sound. */
export function regionText(ref) {
  return hasRegion(ref) ? formatSpan(ref.start, ref.end) : "";
}

/** Show a reference's region (after its name in the reference chip), or hide the node. */
export function showRegion(node, ref) {
  node.textContent = regionText(ref);
  node.hidden = !node.textContent;
}

/**
 * Show a hit's moments in its row (or none, removing those shown before): marks on the
 * waveform and a line of buttons under the name.
 * @param {HTMLElement} li the row
 * @param {object} hit the result, with `moments` ([{start, end, score, pattern}], best
 *   first; `pattern`: the query sound itself was found there)
 * @param {number} index the row's place in the list
 * @param {{moment: Function, moreMoment: Function}} actions moment(index, moment) plays
 *   from its start; moreMoment(index, moment) searches by that region of the sound.
 */
export function fillMoments(li, hit, index, actions) {
  const moments = hit.moments || [];
  const meta = li.querySelector(".meta");
  const wave = li.querySelector(".wave");
  li.querySelector(".moments")?.remove();
  for (const mark of wave.querySelectorAll(".moment-mark")) mark.remove();
  li.classList.toggle("has-moments", moments.length > 0);
  if (!moments.length) return;
  const view = { li, hit, index, actions, buttons: [], marks: [], more: null, current: 0 };
  const line = el("div", "moments");
  moments.forEach((moment, i) => {
    view.buttons.push(momentButton(view, moment, i));
    const mark = momentMark(view, moment, i);
    if (mark) view.marks.push(mark);
  });
  view.more = chip(li, "moment-more", "Like this moment", "");
  view.more.addEventListener("click", (event) => {
    event.stopPropagation();
    actions.moreMoment(index, moments[view.current]);
  });
  line.append(...view.buttons, view.more);
  meta.insertBefore(line, meta.querySelector(".why"));
  wave.append(...view.marks);
  setCurrent(view, 0);
}

/** The button that plays from a moment: the best one by its range, the others smaller. */
function momentButton(view, moment, i) {
  const span = formatSpan(moment.start, moment.end);
  const label = `Play from ${formatTime(moment.start)}`;
  const kind = (i ? "moment" : "moment best") + (moment.pattern ? " pattern" : "");
  const node = chip(view.li, kind, span, label);
  let what = i ? "Also matches" : "Best match";
  if (moment.pattern) what = "This very sound, found by its pattern";
  node.title = `${what} at ${span} (score ${moment.score.toFixed(2)}): play from here`;
  node.dataset.start = moment.start;
  node.addEventListener("click", (event) => {
    event.stopPropagation();
    play(view, i);
  });
  return node;
}

/** A moment's mark on the waveform (mouse only: its button says the same), or null. */
function momentMark(view, moment, i) {
  const duration = view.hit.duration;
  if (!(duration > 0)) return null;
  const kind = (i ? "moment-mark" : "moment-mark best") + (moment.pattern ? " pattern" : "");
  const mark = el("span", kind);
  const left = Math.max(0, Math.min(1, moment.start / duration));
  const width = Math.max(0, Math.min(1, moment.end / duration) - left);
  mark.style.left = `${(left * 100).toFixed(3)}%`;
  mark.style.width = `max(3px, ${(width * 100).toFixed(3)}%)`;
  mark.title = `${formatSpan(moment.start, moment.end)}: play from here`;
  mark.setAttribute("aria-hidden", "true");
  mark.dataset.start = moment.start;
  mark.addEventListener("click", (event) => {
    event.stopPropagation(); // not a seek to where the click landed: to the moment's start
    play(view, i);
  });
  return mark;
}

function play(view, i) {
  setCurrent(view, i);
  view.actions.moment(view.index, view.hit.moments[i]);
}

/** The moment "Like this moment" searches by: marked on its button and its waveform mark. */
function setCurrent(view, i) {
  view.current = i;
  view.buttons.forEach((node, j) => {
    if (j === i) node.setAttribute("aria-current", "true");
    else node.removeAttribute("aria-current");
  });
  view.marks.forEach((mark, j) => mark.classList.toggle("current", j === i));
  const moment = view.hit.moments[i];
  const span = formatSpan(moment.start, moment.end);
  view.more.setAttribute("aria-label", `More sounds like ${span} of ${view.hit.name}`);
  view.more.title = `Search by this moment (${span}) of the sound`;
}
