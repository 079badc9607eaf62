/**
 * Passes a byte stream of terminal frames (u32 length, then that many bytes; terminal-frames.ts) on in
 * whole frames only, holding back a frame that has not fully arrived. The agent splices the session
 * host's output to a peer's stream this way, so it can end that stream with an ERROR frame of its own
 * at any moment (a peer removed, `connections close`) without cutting a frame of output in two.
 */
import { ClawError } from '../../core/errors.js';
import { MAX_TERMINAL_FRAME, TERMINAL_HEADER_BYTES } from '../../protocol/terminal-frames.js';

export class WholeFrames {
  private held: Buffer = Buffer.alloc(0);

  /**
   * The bytes up to the end of the last whole frame in what is held plus `chunk`; keeps the rest.
   * @throws ClawError('FRAME_TOO_LARGE') when a header announces more than MAX_TERMINAL_FRAME.
   */
  push(chunk: Buffer): Buffer {
    const data = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    let at = 0;
    while (data.length - at >= TERMINAL_HEADER_BYTES) {
      const length = data.readUInt32BE(at);
      if (length > MAX_TERMINAL_FRAME) {
        throw new ClawError('FRAME_TOO_LARGE', `terminal frame of ${length} bytes from the session host`);
      }
      if (data.length - at < TERMINAL_HEADER_BYTES + length) break;
      at += TERMINAL_HEADER_BYTES + length;
    }
    this.held = data.subarray(at);
    return data.subarray(0, at);
  }

  /** Bytes of a frame not yet whole. */
  get heldBytes(): number {
    return this.held.length;
  }
}
