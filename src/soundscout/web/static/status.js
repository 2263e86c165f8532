// The status line under the form: what the last search found, and what is running now.

import { regionText } from "./moments.js";

const MODES = { text: "text", audio: "sound", browse: "category, by name" };

/** "blend: 70 % sound, 30 % text (α 0.7)": how much each side of a hybrid search counts. */
export function blendText(alpha) {
  const sound = Math.round(alpha * 100);
  return `blend: ${sound} % sound, ${100 - sound} % text (α ${alpha})`;
}

/**
 * "13 results · text · 42 ms · like kick_01.flac" ("like field.wav 00:31.0–00:32.5" for a
 * region of a sound), or what to do when nothing matched.
 * @param {object} body the search response
 * @param {object} query the query it answers (its reference is named)
 * @param {string} loaded what the server loaded during this search ("model"), or ""
 */
export function summaryText(body, query, loaded = "") {
  const count = body.results.length;
  if (!count) return "No sounds match. Loosen the filters or try other words.";
  const what = body.mode === "hybrid" ? blendText(body.alpha) : MODES[body.mode] || body.mode;
  const took = `${Math.round(body.took_ms)} ms${loaded ? ` (first search loads the ${loaded})` : ""}`;
  const parts = [`${count} result${count === 1 ? "" : "s"}`, what, took];
  if (query.ref) {
    const region = regionText(query.ref);
    parts.push(`like ${query.ref.name || `sound ${query.ref.id}`}${region ? ` ${region}` : ""}`);
  }
  return parts.join(" · ");
}

/** "searching…" on its own, or "· searching…" after a summary. */
export function progressText(summary, what) {
  return summary ? `· ${what}` : what;
}
