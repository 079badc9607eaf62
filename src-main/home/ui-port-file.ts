/**
 * The port the web UI served on last, kept in the home (`ui-port.json`): an agent that starts again
 * tries it first, so a page left open in a browser finds its agent where it was. The page cannot
 * follow a move by itself (its address is the port), so the port is kept whenever it can be: also when
 * it was a fallback for a taken `--ui-listen` port, which may be free again by the next start.
 *
 * The record names the `--ui-listen` address it was chosen for: after the owner gives another one,
 * that one counts, not the port of the address before.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFileSync } from './durable-file.js';

/** Its file in the home. */
export const UI_PORT_FILE = 'ui-port.json';

interface SavedUiPort {
  listen: string;
  port: number;
}

/** The port the web UI served on last for `listen` (the configured address), if the home keeps one. */
export function readLastUiPort(home: string, listen: string): number | undefined {
  try {
    const saved = JSON.parse(readFileSync(join(home, UI_PORT_FILE), 'utf8')) as Partial<SavedUiPort>;
    const { port } = saved;
    const valid = typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536;
    return saved.listen === listen && valid ? port : undefined;
  } catch {
    // None yet, or not readable: the configured address is tried as before.
    return undefined;
  }
}

/**
 * Keeps `port` as the one to try first next time. Not flushed to disk: losing it in a crash costs only
 * a move of the port, which the agent then says.
 * @throws the file system's error (the caller logs it: the UI serves all the same)
 */
export function saveLastUiPort(home: string, listen: string, port: number): void {
  const saved: SavedUiPort = { listen, port };
  replaceFileSync(join(home, UI_PORT_FILE), `${JSON.stringify(saved)}\n`, 0o600, { sync: false });
}
