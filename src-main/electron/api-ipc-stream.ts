/**
 * One terminal stream between a window's MessagePort and the agent's ViewerChannel, in main. Frames
 * pass through untouched both ways; main keeps no queue of its own. Output is bounded by the agent:
 * the window acknowledges what xterm drew with ACK frames and the agent's viewer bridge sends no
 * further than its window of unacknowledged bytes (ADR 0004). Input is bounded here: a page that
 * keeps typing while the agent's socket is full is cut off at MAX_PENDING_INPUT_BYTES.
 */
import type { ViewerChannel } from '../api/viewer-channel.js';
import { DisposableStore } from '../core/disposables.js';

/**
 * Bytes from the page accepted while the channel to the agent reports full, before the stream is
 * closed (1 MiB: keystrokes and pastes, never a stream; a MessagePort cannot be paused).
 */
export const MAX_PENDING_INPUT_BYTES = 1024 * 1024;

/** The part of Electron's MessagePortMain used here. */
export interface MainMessagePort {
  on(event: 'message', listener: (messageEvent: { data: unknown }) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
}

function bytesOf(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return undefined;
}

/**
 * Joins `port` (main's end of the window's channel) and `channel` until either ends; then the other is
 * closed too, and the page is told with a `null` message (src-renderer/api/ipc-transport.ts).
 */
export function pipeStream(port: MainMessagePort, channel: ViewerChannel): void {
  let open = true;
  let full = false;
  let pendingInput = 0;
  const disposables = new DisposableStore();
  const end = () => {
    if (!open) return;
    open = false;
    disposables.dispose();
    port.postMessage(null);
    port.close();
    channel.close();
  };
  disposables.add(
    // A copy, so the page gets exactly these bytes and not the whole pooled buffer behind a Node Buffer.
    channel.onData((bytes) => open && port.postMessage(new Uint8Array(bytes))),
    channel.onDrain(() => {
      full = false;
      pendingInput = 0;
    }),
    channel.onClose(end),
  );
  port.on('message', ({ data }) => {
    if (!open) return;
    if (data === null) return end();
    const bytes = bytesOf(data);
    // Anything but terminal frames as bytes breaks the stream's rules: end it rather than guess.
    if (!bytes) return end();
    if (full) {
      pendingInput += bytes.byteLength;
      if (pendingInput > MAX_PENDING_INPUT_BYTES) return end();
    }
    if (!channel.write(bytes)) full = true;
  });
  port.on('close', end);
  port.start();
  channel.resume();
}
