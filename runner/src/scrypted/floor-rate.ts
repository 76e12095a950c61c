// A floor under the rate of a body Scrypted streams: over every window (the request timeout), the bytes that
// arrived must average at least FLOOR_BYTES_PER_SECOND, unless our own reader held the stream back in that window
// (then the window does not count: a slow bucket is not a slow Scrypted). A trickle (one byte every two seconds
// keeps an idle timeout quiet for ever) fails within two windows; a clip's whole transfer is bounded by
// length / floor + one window.

/** 16 KiB/s: far below any link a clip backup can use, far above a trickle. */
export const FLOOR_BYTES_PER_SECOND = 16 * 1024;

export class FloorRate {
  private received = 0;
  private heldBack = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly windowMs: number,
    private readonly onTooSlow: (message: string) => void,
    /** True while bytes that arrived wait for our reader (checked at the end of each window). */
    private readonly readerBehind: () => boolean,
    private readonly floorBytesPerSecond = FLOOR_BYTES_PER_SECOND,
  ) {
    this.timer = setInterval(() => this.tick(), windowMs);
    this.timer.unref();
  }

  /** Bytes arrived; `heldBack` when our reader could not take them at once (backpressure). */
  add(bytes: number, heldBack: boolean): void {
    this.received += bytes;
    if (heldBack) this.heldBack = true;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const wanted = (this.floorBytesPerSecond * this.windowMs) / 1000;
    const { received, heldBack } = this;
    this.received = 0;
    this.heldBack = false;
    // A silent window is the idle timeout's to report (the socket's own, of the same length).
    if (received === 0 || heldBack || this.readerBehind() || received >= wanted) return;
    this.stop();
    this.onTooSlow(
      `only ${received} byte(s) arrived in ${this.windowMs / 1000} s, below the floor of ${this.floorBytesPerSecond / 1024} KiB/s ` +
        '(a stalled or trickling Scrypted; SCRYPTED_TIMEOUT_SECONDS sets the window)',
    );
  }
}
