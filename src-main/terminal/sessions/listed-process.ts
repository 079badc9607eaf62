/**
 * A served terminal's program with its bytes counted for the node's connection table
 * (connections/connection-table.ts): input from the peer goes `out` (from the peer to the program),
 * output comes back `in`.
 */
import type { ConnectionHandle } from '../../connections/connection-table.js';
import type { TerminalProcess } from './server-session.js';

/** `p`, counting what it reads and writes on `listed`. */
export function countedProcess(p: TerminalProcess, listed: ConnectionHandle): TerminalProcess {
  p.onData((chunk) => listed.bytesIn(chunk.length));
  return {
    onData: (listener) => p.onData(listener),
    onExit: (listener) => p.onExit(listener),
    write: (data) => {
      listed.bytesOut(data.length);
      p.write(data);
    },
    endInput: () => p.endInput(),
    get inputQueued() {
      return p.inputQueued;
    },
    get size() {
      return p.size;
    },
    resize: (cols, rows) => p.resize(cols, rows),
    pause: () => p.pause(),
    resume: () => p.resume(),
    hangup: () => p.hangup(),
  };
}

/** What a served session is listed as running: its command line, or the peer's login shell. */
export function describeCommand(command: readonly string[] | undefined): string {
  return command === undefined ? 'shell' : command.join(' ');
}
