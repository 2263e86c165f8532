// Talking to the Soundscout JSON API: one fetch wrapper, one error type.

const KEY_STORAGE = "soundscout.apiKey";
const KEY_COOKIE = "soundscout_api_key";

/** An API failure in the server's error shape: code, message and a hint. */
export class ApiError extends Error {
  constructor(status, code, message, hint) {
    super(message);
    this.status = status;
    this.code = code;
    this.hint = hint || null;
  }
}

/** The API key the user entered, if any. */
export function apiKey() {
  return localStorage.getItem(KEY_STORAGE) || "";
}

/** Remember the key; the cookie lets <audio> requests carry it too. */
export function setApiKey(key) {
  localStorage.setItem(KEY_STORAGE, key);
  document.cookie = `${KEY_COOKIE}=${key}; path=/; SameSite=Strict`;
}

/**
 * Call the API and return its JSON, or throw an ApiError.
 * @param {string} path e.g. "/api/search?q=kick"
 * @param {{method?: string, body?: object|FormData, signal?: AbortSignal, headers?: object}} options
 */
export async function api(path, { method = "GET", body, signal, headers: extra } = {}) {
  const headers = { ...extra };
  const key = apiKey();
  if (key) headers["X-API-Key"] = key;
  let payload = body;
  if (body && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, signal });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network_error", "The Soundscout server cannot be reached.",
      "Check that `soundscout serve` is still running, then retry.");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(response.status, e.code || "http_error",
      e.message || `The server answered ${response.status}.`, e.hint);
  }
  return data;
}
