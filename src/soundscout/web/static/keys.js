// Keyboard: ↑/↓ select a result, space plays/stops it, enter = more like this, / = search,
// Delete on the drop zone removes the reference sound. Tab from the list reaches the
// selected result's download link and its chips (category, copies, moments) only (not
// stops in every row).
// Keys typed into form fields stay theirs, except ↓ from the search box into the results.

/**
 * @param {{q: HTMLElement, results: HTMLElement, dropzone: HTMLElement}} el
 * @param {{hasResults, selected, select, toggle, more, pickFile, clearReference}} actions
 */
export function bindKeys(el, actions) {
  const listKeys = {
    ArrowDown: () => actions.select(actions.selected() + 1),
    ArrowUp: () => (actions.selected() <= 0 ? el.q.focus() : actions.select(actions.selected() - 1)),
    " ": () => actions.toggle(),
    Enter: () => actions.more(),
    "/": () => el.q.focus(),
  };

  function onKey(event) {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.matches("input:not([type=range]), select, textarea")) {
      if (event.key === "ArrowDown" && target === el.q && actions.hasResults()) {
        event.preventDefault();
        el.results.focus({ preventScroll: true }); // the row selected scrolls, if it must
        actions.select(Math.max(0, actions.selected()));
      } else if (event.key === "Escape") target.blur();
      return;
    }
    if (target === el.dropzone && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      actions.pickFile();
      return;
    }
    if (target === el.dropzone && (event.key === "Delete" || event.key === "Backspace")) {
      event.preventDefault();
      actions.clearReference();
      return;
    }
    if (target.matches("button, a, summary, input")) return; // their own keys
    if (listKeys[event.key]) {
      event.preventDefault();
      listKeys[event.key]();
    }
  }

  document.addEventListener("keydown", onKey);
}
