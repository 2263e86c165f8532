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

  /** Play the hit from the start, or stop it if it is playing. */
  toggle(hit) {
    if (this.isPlaying(hit)) this.stop();
    else this.play(hit, 0);
  }

  /** Play the hit from a fraction (0..1) of its length. */
  play(hit, fraction = 0) {
    const audio = this.audio;
    if (!this.hit || this.hit.id !== hit.id || !audio.src) {
      this.hit = hit;
      audio.src = hit.audio_url;
    }
    // Before the metadata loads this sets the default start position (HTML spec).
    const duration = Number.isFinite(audio.duration) ? audio.duration : hit.duration || 0;
    audio.currentTime = Math.max(0, Math.min(1, fraction)) * duration;
    audio.play().catch((err) => {
      if (err.name === "NotSupportedError") this._failed(true);
    });
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
