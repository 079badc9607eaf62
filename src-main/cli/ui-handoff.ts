/**
 * Hands the web UI's link, which holds its token, to a browser without putting it on a command line.
 * `clawbridge ui` starts an opener (xdg-open, open, start) and the opener a browser; both carry their
 * arguments where every user of the machine reads them (`ps`, /proc/PID/cmdline), and whoever has the
 * token drives the node (docs/security.md §Another user on the same machine). So the opener is given
 * an address that holds no secret:
 *
 * - **Linux**: a loopback address this command serves once. It answers with a redirect to the link
 *   only a top-level navigation (`Sec-Fetch-Site: none`, or no such header) from a process of this
 *   user: the owner of the connecting socket, read from /proc/net/tcp, as identd does. Another user
 *   who reads the address in `ps` and races the browser to it gets `403` and the link stays unserved.
 *   A page cannot spend it either: its requests are not `Sec-Fetch-Site: none`. Served over the
 *   network, it works for browsers that cannot read files in hidden folders or /tmp (snap packages).
 * - **Elsewhere** (macOS, Windows; a Linux without /proc): a page in the home, `ui-open.html`, 0600 in
 *   the 0700 home — as private as the `ui-token` file beside it — that sends the browser on to the link.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { replaceFileSync } from '../home/durable-file.js';

/** How long `clawbridge ui` waits for the browser to ask for the link it was handed, in ms. */
export const HANDOFF_WAIT_MS = 60_000;
/** The page in the home that sends a browser on to the link where no loopback hand-over is possible. */
export const UI_OPEN_FILE = 'ui-open.html';
/** At most this many connections to the hand-over at once: others' connections cannot pile up. */
const MAX_HANDOFF_CONNECTIONS = 16;

export interface Handoff {
  /** What the opener is given: no secret in it. */
  target: string;
  /**
   * Resolves true once the browser fetched the link (then the hand-over is closed), false when it did
   * not within the wait or close() came first; undefined where nothing can tell (the file).
   */
  served: Promise<boolean> | undefined;
  close(): void;
}

/** Where a hand-over is possible, and how: Linux with /proc/net/tcp serves it on loopback. */
export function handoffKind(platform: NodeJS.Platform = process.platform): 'loopback' | 'file' {
  if (platform !== 'linux') return 'file';
  try {
    readFileSync('/proc/net/tcp', 'utf8');
    return 'loopback';
  } catch {
    return 'file';
  }
}

/** Hands `url` over the way this platform can (handoffKind); `home` holds the file where that is the way. */
export async function handOver(
  url: string,
  home: string,
  kind = handoffKind(),
  waitMs = HANDOFF_WAIT_MS,
): Promise<Handoff> {
  if (kind === 'loopback') return loopbackHandoff(url, waitMs);
  return fileHandoff(url, home);
}

const htmlAttr = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The page that sends the browser on to `url`: a refresh, and a link for a browser that does not follow it. */
export function redirectPage(url: string): string {
  const href = htmlAttr(url);
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">',
    `<meta http-equiv="refresh" content="0;url=${href}"><title>Clawbridge</title></head>`,
    `<body><p><a href="${href}">Open Clawbridge</a></p></body></html>`,
    '',
  ].join('\n');
}

function fileHandoff(url: string, home: string): Handoff {
  const path = join(home, UI_OPEN_FILE);
  replaceFileSync(path, redirectPage(url), 0o600);
  return { target: pathToFileURL(path).href, served: undefined, close: () => undefined };
}

/** The address of a /proc/net/tcp{,6} entry is 127.0.0.1 (either byte order; v4-mapped in tcp6). */
function isLoopbackHex(hex: string): boolean {
  let v4 = hex;
  if (hex.length === 32) {
    // ::ffff:127.0.0.1 as four 32-bit words, each printed in the host's byte order.
    const marker = hex.slice(16, 24);
    const mapped = /^0{16}$/.test(hex.slice(0, 16)) && (marker === 'FFFF0000' || marker === '0000FFFF');
    v4 = mapped ? hex.slice(24) : '';
  }
  return v4 === '0100007F' || v4 === '7F000001';
}

/**
 * The user ID owning the loopback TCP socket that connects from `clientPort` to `serverPort`, from
 * /proc/net/tcp and tcp6 (the kernel's table: no other user can make it say otherwise), or undefined.
 */
export function loopbackSocketOwner(
  clientPort: number,
  serverPort: number,
  tables?: string[],
): number | undefined {
  const texts =
    tables ??
    ['/proc/net/tcp', '/proc/net/tcp6'].map((file) => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return '';
      }
    });
  for (const text of texts) {
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      if (f.length < 8) continue;
      const [localIp, localPort] = f[1]!.split(':');
      const [remoteIp, remotePort] = f[2]!.split(':');
      if (parseInt(localPort ?? '', 16) !== clientPort || parseInt(remotePort ?? '', 16) !== serverPort)
        continue;
      if (!isLoopbackHex(localIp ?? '') || !isLoopbackHex(remoteIp ?? '')) continue;
      const uid = Number(f[7]);
      if (Number.isInteger(uid)) return uid;
    }
  }
  return undefined;
}

/** Why a request to the hand-over is not served the link, or undefined to serve it. */
export function handoffRefusal(
  req: Pick<IncomingMessage, 'headers'>,
  owner: number | undefined,
  self: number,
): string | undefined {
  if (owner !== self) return 'this link is for the user who ran clawbridge ui';
  const site = req.headers['sec-fetch-site'];
  // A browser says `none` for a navigation the user (or the program that started it) asked for; a
  // page's requests say where they come from, and never get the link.
  if (site !== undefined && site !== 'none') return 'open this link from the address bar';
  return undefined;
}

async function loopbackHandoff(url: string, waitMs: number): Promise<Handoff> {
  const self = process.getuid?.() ?? -1;
  let settle: (served: boolean) => void = () => undefined;
  const served = new Promise<boolean>((resolve) => (settle = resolve));
  let done = false;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const port = (server.address() as AddressInfo).port;
    const owner = loopbackSocketOwner(req.socket.remotePort ?? -1, port);
    const refusal = done ? 'this link was used already' : handoffRefusal(req, owner, self);
    if (refusal) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(`${refusal}\n`);
      return;
    }
    done = true;
    res.writeHead(303, {
      location: url,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'content-type': 'text/html; charset=utf-8',
      connection: 'close',
    });
    res.end(redirectPage(url), () => finish(true));
  });
  server.maxConnections = MAX_HANDOFF_CONNECTIONS;
  server.headersTimeout = 5_000;
  server.requestTimeout = 5_000;
  const timer = setTimeout(() => finish(false), waitMs);
  function finish(ok: boolean): void {
    clearTimeout(timer);
    server.close();
    server.closeAllConnections();
    settle(ok);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return { target: `http://127.0.0.1:${port}/`, served, close: () => finish(false) };
}
