// The order of the results: the server's (by relevance), or by duration from the
// "Duration" button over the list. Each press moves on: shortest first, longest first,
// back to relevance.

const ORDERS = ["none", "ascending", "descending"];
const TITLES = {
  none: "Sort by duration, shortest first",
  ascending: "Shortest first: press for longest first",
  descending: "Longest first: press for the order by relevance",
};

/** The order after `order` when the button is pressed. */
export function nextOrder(order) {
  return ORDERS[(ORDERS.indexOf(order) + 1) % ORDERS.length];
}

/** The hits in this order: a sorted copy by duration (unknown durations last), or as they came. */
export function sortHits(hits, order) {
  if (order !== "ascending" && order !== "descending") return hits;
  const sign = order === "ascending" ? 1 : -1;
  return [...hits].sort((a, b) => {
    if (a.duration == null || b.duration == null) return (a.duration == null) - (b.duration == null);
    return sign * (a.duration - b.duration); // a stable sort: equal durations keep their rank
  });
}

/** Show the order on the button and on the column header holding it (aria-sort). */
export function showOrder(button, order) {
  button.closest("[aria-sort]").setAttribute("aria-sort", order);
  button.title = TITLES[order];
}
