// How the numbers about a sound are written: its duration and its technical facts.

const pad = (n) => String(n).padStart(2, "0");

/**
 * "0.42 s", "12.5 s", "3:07" or "1:02:05". Rounded once, to what is shown, before the
 * form is chosen: 59.96 s is "1:00" and 119.9 s "2:00", never "60.0 s" or "1:60".
 */
export function formatDuration(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return "–";
  if (Math.round(seconds * 100) < 1000) return `${seconds.toFixed(2)} s`;
  if (Math.round(seconds * 10) < 600) return `${seconds.toFixed(1)} s`;
  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor(total / 60) % 60;
  return hours ? `${hours}:${pad(minutes)}:${pad(total % 60)}` : `${minutes}:${pad(total % 60)}`;
}

/** "48 kHz", "44.1 kHz", "22.05 kHz". */
export function formatSampleRate(hertz) {
  return `${Number((hertz / 1000).toFixed(3))} kHz`;
}

/** "mono", "stereo" or "6 ch". */
export function formatChannels(channels) {
  if (channels === 1) return "mono";
  if (channels === 2) return "stereo";
  return `${channels} ch`;
}

/**
 * The facts a sound designer scans for, those the hit has, in order:
 * [["rate", "48 kHz"], ["bits", "24-bit"], ["channels", "stereo"]].
 * `bit_depth` is left out when null or absent (lossy formats, older servers).
 */
export function soundFacts(hit) {
  const facts = [];
  if (hit.sample_rate) facts.push(["rate", formatSampleRate(hit.sample_rate)]);
  if (hit.bit_depth) facts.push(["bits", `${hit.bit_depth}-bit`]);
  if (hit.channels) facts.push(["channels", formatChannels(hit.channels)]);
  return facts;
}

/**
 * A time inside a sound, to the tenth of a second: "02:13.0", or "1:02:13.0" past an hour.
 * Rounded once, to what is shown: 59.96 s is "01:00.0", never "00:60.0".
 */
export function formatTime(seconds) {
  const tenths = Math.max(0, Math.round((Number(seconds) || 0) * 10));
  const hours = Math.floor(tenths / 36000);
  const minutes = Math.floor(tenths / 600) % 60;
  const rest = `${pad(Math.floor(tenths / 10) % 60)}.${tenths % 10}`;
  return hours ? `${hours}:${pad(minutes)}:${rest}` : `${pad(minutes)}:${rest}`;
}

/** "02:13.0–02:16.0": a time range inside a sound; "from 02:13.0" when it runs to the end. */
export function formatSpan(start, end) {
  return end == null ? `from ${formatTime(start)}` : `${formatTime(start)}–${formatTime(end)}`;
}
