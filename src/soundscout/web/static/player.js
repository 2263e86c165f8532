// One <audio> element for the whole page, so only one sound plays at a time.

export class Player {
  /**
   * @param {HTMLAudioElement} audio
   * @param {{onState: Function, onProgress: Function, onError: Function}} callbacks
   *   onState(hit, playing) on play/stop, onProgress(hit, fraction) every frame
   *   while playing, onError(hit, message) when the browser cannot play a file.
   */
  constructor(audio, callbacks) {
    this.audio = audio;
    this.hit = null;
    this.callbacks = callbacks;
    this._frame = 0;
    for (const name of ["play", "pause", "ended", "emptied"]) {
      audio.addEventListener(name, () => this._stateChanged());
    }
    audio.addEventListener("error", () => this._failed());
  }

  /** Whether this hit is the one playing now. */
  isPlaying(hit) {
    return Boolean(this.hit && hit && this.hit.id === hit.id && !this.audio.paused);
  }

  /** Play the hit from the start (or `seconds` into it), or stop it if it is playing. */
  toggle(hit, seconds = 0) {
    if (this.isPlaying(hit)) this.stop();
    else this.playAt(hit, seconds);
  }

  /** Play the hit from a fraction (0..1) of its length. */
  play(hit, fraction = 0) {
    this._load(hit);
    const audio = this.audio;
    const duration = Number.isFinite(audio.duration) ? audio.duration : hit.duration || 0;
    this._start(Math.max(0, Math.min(1, fraction)) * duration);
  }

  /** Play the hit from this many seconds into it. */
  playAt(hit, seconds) {
    this._load(hit);
    this._start(Math.max(0, seconds || 0));
  }

  /** Stop playback and rewind. */
  stop() {
    this.audio.pause();
    if (this.audio.readyState >= 1) this.audio.currentTime = 0;
    this._report();
  }

  /** Forget the current sound (after the results changed). */
  reset() {
    this.stop();
    this.hit = null;
  }

  /** Played fraction of the current sound. */
  fraction() {
    const { currentTime, duration } = this.audio;
    const total = Number.isFinite(duration) && duration > 0 ? duration : (this.hit && this.hit.duration) || 0;
    return total > 0 ? Math.min(1, currentTime / total) : 0;
  }

  _load(hit) {
    if (!this.hit || this.hit.id !== hit.id || !this.audio.src) {
      this.hit = hit;
      this.audio.src = hit.audio_url;
    }
  }

  _start(seconds) {
    // Before the metadata loads this sets the default start position (HTML spec).
    this.audio.currentTime = seconds;
    this.audio.play().catch((err) => {
      if (err.name === "NotSupportedError") this._failed(true);
    });
  }

  _stateChanged() {
    const playing = !this.audio.paused;
    this.callbacks.onState(this.hit, playing);
    cancelAnimationFrame(this._frame);
    if (playing) this._tick();
    else this._report();
  }

  _tick() {
    this._report();
    this._frame = requestAnimationFrame(() => this._tick());
  }

  _report() {
    if (this.hit) this.callbacks.onProgress(this.hit, this.fraction());
  }

  _failed(certain = false) {
    if (!this.hit || !(certain || this.audio.error)) return;
    const format = (this.hit.format || "this").toUpperCase();
    this.callbacks.onError(this.hit,
      `Your browser cannot play ${format} files like “${this.hit.name}”.`);
  }
}
