/**
 * A viewer of a terminal's frames (protocol/terminal-frames.ts) for tests: over an upgraded control
 * socket or any ViewerChannel-like byte pipe. It keeps every frame, gives the output as text, types,
 * and — with `acks`, as the window's xterm does once it drew the output — acknowledges what it was shown.
 */
import type { Socket } from 'node:net';
import { connectControlSocket } from '../../src-main/api/control-client.js';
import { requestStreamUpgrade } from '../../src-main/api/stream-client.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import {
  encodeTerminalFrame,
  TerminalFrameDecoder,
  type TerminalFrame,
} from '../../src-main/protocol/terminal-frames.js';
import { until } from './wait.js';

/** The byte pipe a viewer reads and writes: a net.Socket, or a ViewerChannel. */
export interface ViewerPipe {
  write(bytes: Uint8Array): unknown;
  /** Calls `listener` with each chunk, from now on. */
  onBytes(listener: (bytes: Uint8Array) => void): void;
  onClosed?(listener: () => void): void;
}

export interface TestViewer {
  readonly frames: TerminalFrame[];
  readonly closed: boolean;
  /** The output so far, as text. */
  readonly text: string;
  type(s: string): void;
  /** Sends a RESIZE, as a window does when it is resized. */
  resize(cols: number, rows: number): void;
}

/** Watches `pipe`, starting with `first` (bytes that came with the upgrade's reply). */
export function watchTerminal(
  pipe: ViewerPipe,
  first: Uint8Array = new Uint8Array(),
  acks = false,
): TestViewer {
  const decoder = new TerminalFrameDecoder();
  const frames: TerminalFrame[] = [];
  let shown = 0;
  let closed = false;
  const take = (bytes: Uint8Array) => {
    for (const f of decoder.push(Buffer.from(bytes))) {
      frames.push(f);
      if (acks && f.type === 'data') {
        shown += f.data.length;
        pipe.write(encodeTerminalFrame({ type: 'ack', offset: shown }));
      }
    }
  };
  take(first);
  pipe.onBytes(take);
  pipe.onClosed?.(() => (closed = true));
  return {
    frames,
    get closed() {
      return closed;
    },
    get text() {
      return Buffer.concat(
        frames.flatMap((f) => (f.type === 'data' ? [Buffer.from(f.data)] : [])),
      ).toString();
    },
    type: (s) => void pipe.write(encodeTerminalFrame({ type: 'data', data: Buffer.from(s) })),
    resize: (cols, rows) => void pipe.write(encodeTerminalFrame({ type: 'resize', cols, rows })),
  };
}

/** A control socket after its upgrade, as a ViewerPipe (flowing from now on). */
export function socketPipe(socket: Socket): ViewerPipe {
  return {
    write: (bytes) => socket.write(bytes),
    onBytes: (listener) => {
      socket.on('data', listener);
      socket.resume();
    },
    onClosed: (listener) => void socket.on('close', listener),
  };
}

/**
 * A terminal `home`'s agent opens on its peer `peer` running `command` (80 × 24), watched over the
 * control socket; resolves once its output holds `ready`, with the terminal's ID and the view.
 */
export async function openTerminal(
  home: string,
  peer: string,
  command: string[],
  ready: string,
): Promise<{ id: string; view: TestViewer }> {
  const socket = await connectControlSocket(controlSocketPath(home), home);
  const opened = await requestStreamUpgrade(socket, 'terminal.open', { peer, command, cols: 80, rows: 24 });
  const view = watchTerminal(socketPipe(socket), opened.rest);
  await until(`the terminal on ${peer} shows ${ready}`, () => view.text.includes(ready));
  return { id: opened.result.id, view };
}
