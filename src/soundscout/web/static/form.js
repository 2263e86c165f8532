// The filter fields of the search form: what the browser already knows is wrong, and the
// duration range, whose two fields search together.

import { ApiError } from "./api.js";

const RANGE_SETTLE_MS = 1000; // a duration typed, then a pause: the range is complete

/**
 * The first filter the browser already knows is wrong, as an error to show, or null; the
 * fields at fault are marked aria-invalid.
 * @param {{k, minDuration, maxDuration}} fields the inputs
 * @param {number} maxK the server's largest number of results
 */
export function invalidFilter(fields, maxK) {
  const checks = [
    [fields.k, `The number of results must be a whole number from 1 to ${maxK}.`],
    [fields.minDuration, "The minimum duration must be a number of seconds, 0 or more."],
    [fields.maxDuration, "The maximum duration must be a number of seconds, 0 or more."],
  ];
  for (const [input] of checks) input.removeAttribute("aria-invalid");
  for (const [input, message] of checks) {
    if (!input.validity.valid) {
      input.setAttribute("aria-invalid", "true");
      return new ApiError(0, "invalid_input", message, "Correct the field and the search runs again.");
    }
  }
  return reversedRange(fields);
}

/** A shortest duration above the longest, in the words a person uses, or null. */
function reversedRange({ minDuration, maxDuration }) {
  const [min, max] = [minDuration.value, maxDuration.value];
  if (min === "" || max === "" || !(Number(min) > Number(max))) return null;
  for (const input of [minDuration, maxDuration]) input.setAttribute("aria-invalid", "true");
  return new ApiError(0, "invalid_input",
    `The shortest duration (${Number(min)} s) is longer than the longest (${Number(max)} s).`,
    "Swap the two durations, or clear one, and the search runs again.");
}

/** What the duration fields hold, typed garbage included (a number field's value hides it). */
export function rangeState({ minDuration, maxDuration }) {
  return [minDuration, maxDuration].map((input) => `${input.value}:${input.validity.valid}`).join("|");
}

/**
 * The two duration fields are one range: a search waits while either is being typed (a
 * pause of RANGE_SETTLE_MS ends the wait) and runs when the focus leaves them both, so
 * moving from the minimum to the maximum does not search with half a range.
 * @param {{minDuration, maxDuration}} fields the inputs
 * @param {Function} search runs the search (if the range changed since the last one)
 * @returns {Function} cancels a search still waiting
 */
export function bindDurationRange({ minDuration, maxDuration }, search) {
  const fields = [minDuration, maxDuration];
  let timer = 0;
  const settle = () => {
    clearTimeout(timer);
    timer = setTimeout(search, RANGE_SETTLE_MS);
  };
  for (const input of fields) {
    input.addEventListener("input", settle);
    input.addEventListener("change", () => {
      // After the event the focus has moved: still in the range, or gone from it.
      setTimeout(() => (fields.includes(document.activeElement) ? settle() : search()));
    });
  }
  return () => clearTimeout(timer);
}
