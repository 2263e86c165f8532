// Text that fits its box: the search box's placeholder, long where there is room for it.

const canvas = document.createElement("canvas");

/** Room for text inside an input: its width less its padding, in CSS pixels. */
function room(input) {
  const style = getComputedStyle(input);
  return input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
}

/** Width of `text` in the font of `input`, in CSS pixels. */
function textWidth(input, text) {
  const style = getComputedStyle(input);
  const context = canvas.getContext("2d");
  context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  return context.measureText(text).width;
}

/** Show the first of `placeholders` (longest first) that fits the input, now and on resize. */
export function fitPlaceholder(input, placeholders) {
  const fit = () => {
    const width = room(input);
    if (width <= 0) return; // hidden: keep what it shows
    input.placeholder = placeholders.find((text) => textWidth(input, text) <= width)
      || placeholders[placeholders.length - 1];
  };
  new ResizeObserver(fit).observe(input);
  fit();
}
