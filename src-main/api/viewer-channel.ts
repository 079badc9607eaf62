/**
 * The byte channel between the agent and one viewer of a streaming method (a terminal): the control
 * socket after its upgrade (the CLI), a web UI WebSocket (`/api/stream`), or an Electron MessagePort.
 * Every transport hands the agent one of these, so the terminal code never knows how bytes travel.
 * What flows is terminal frames (protocol/terminal-frames.ts), whole frames or pieces of them.
 */
import type { Disposer } from '../core/emitter.js';

export interface ViewerChannel {
  /** Sends bytes; false when the channel's buffer is above its high-water mark (wait for onDrain). */
  write(bytes: Uint8Array): boolean;
  onData(listener: (bytes: Uint8Array) => void): Disposer;
  onDrain(listener: () => void): Disposer;
  /** Once, when the viewer went away or close() was called. */
  onClose(listener: () => void): Disposer;
  /** Stop / start delivering onData (backpressure towards a viewer that types faster than we send). */
  pause(): void;
  resume(): void;
  /** Ends the channel after what was written so far. */
  close(): void;
  /**
   * True when the viewer acknowledges output itself with ACK frames once it has drawn it (the web UI
   * and the window: xterm's write callback); false for the CLI's socket, where a completed write stands
   * for it (the CLI writes straight to its stdout).
   */
  readonly viewerAcks: boolean;
  /**
   * The CLI's own terminal, which the CLI offers the agent to read and write itself (ADR 0037): only on
   * the control socket, which is this user's alone; never from the web UI or a window.
   */
  readonly cliTerminal?: CliTerminal;
}

/**
 * A terminal the CLI runs in: its device path, and whether `~` escapes apply to what is typed there.
 * With `output`, the CLI runs on pipes instead (ADR 0038): `path` is its stdin pipe and `output` its
 * stdout pipe, both as `/proc/PID/fd/N`, and there are no escapes.
 */
export interface CliTerminal {
  path: string;
  escapes: boolean;
  output?: string;
}
