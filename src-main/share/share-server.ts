/**
 * The file server behind a share (docs/adr/0052-share-a-folder.md): Node's `http` server, fed the
 * reverse forward's incoming streams directly (`server.emit('connection', stream)`), so a download
 * crosses no second loopback connection. Read only: GET and HEAD, everything else 405. Files stream
 * with backpressure (a read stream with a large buffer, paused while the peer's credit is used up);
 * single byte ranges (206, 416), ETag and Last-Modified with If-None-Match, If-Modified-Since and
 * If-Range; a folder is an HTML listing with every name escaped. Which names may be served and where
 * they lead on disk is share-path.ts's and share-open.ts's to decide.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { contentTypeOf } from './share-types.js';
import { listingPage } from './share-listing.js';
import { listShareFolder, openInShare, realRoot } from './share-open.js';
import { encodeSharePath, resolveSharePath } from './share-path.js';
import { parseRange } from './share-range.js';
import { basicPassword, PasswordCheck } from './share-password.js';
import { isLoopbackHost, parseHostHeader } from '../core/host-header.js';
import { ShareConnections } from './share-connections.js';

/** A share as its server reads it at each request (the saved record's `share`, and its name). */
export interface ShareConfig {
  name: string;
  dir: string;
  dotfiles: boolean;
  /** The password's saved hash (share-password.ts), or undefined: no password asked. */
  passwordHash?: string | undefined;
  /**
   * The peer listens on a loopback address: only requests whose `Host` is a loopback name are answered
   * (421 otherwise), so a web page that rebinds its own name to 127.0.0.1 cannot read the share through
   * a browser on the peer's machine (DNS rebinding; the web UI's check, core/host-header.ts).
   */
  loopbackOnly?: boolean;
}

/** What one connection reports: bytes of requests received, bytes of files sent, and each answer. */
export interface ShareConnectionWatch {
  received(n: number): void;
  sent(n: number): void;
  /**
   * A request was answered (or its answer cut short: `complete` false): its method, its target as the
   * client sent it (`path`, not decoded: a traversal attempt is seen as it was made) and the status.
   */
  answered(request: { method: string; path: string; status: number; complete: boolean }): void;
}

/**
 * Read buffer of a file's stream, in bytes (1 MiB): large reads keep the disk and the mux busy with
 * few turns of the event loop; the stream pauses whenever the response's buffer is full, so at most
 * this much more than the mux's own window waits in memory per download.
 */
export const SHARE_READ_CHUNK = 1024 * 1024;

/** How long a kept-alive connection may sit idle between requests, in ms (Node's default, 5 s). */
export const SHARE_KEEP_ALIVE_MS = 5_000;

/** Headers every answer carries: nothing served here is to be sniffed into another type or framed. */
const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** A listing's page runs nothing and loads nothing: only its own inline style. */
const LISTING_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

interface Attached {
  config: () => ShareConfig | undefined;
  watch: ShareConnectionWatch;
}

/**
 * Gives a Duplex the `setTimeout` of a socket, as the http server uses it (the keep-alive timeout):
 * `timeout` is emitted after `ms` with no bytes received.
 */
function addIdleTimeout(stream: Duplex): void {
  let ms = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = ms > 0 ? setTimeout(() => stream.emit('timeout'), ms) : undefined;
    timer?.unref();
  };
  Object.assign(stream, {
    setTimeout(next: number, callback?: () => void) {
      ms = next;
      if (callback) stream.once('timeout', callback);
      arm();
      return stream;
    },
  });
  stream.on('data', arm);
  stream.once('close', () => timer && clearTimeout(timer));
}

/** The file servers of this node's shares: one http server for all, told by each stream which share it is. */
export class ShareServer {
  private readonly server: Server;
  private readonly attached = new WeakMap<object, Attached>();
  private readonly checks = new Map<string, PasswordCheck>();
  private readonly connections: ShareConnections;

  constructor(
    private readonly log: Pick<Logger, 'debug' | 'warn'>,
    connections: ShareConnections = new ShareConnections(),
  ) {
    this.connections = connections;
    this.server = createServer({ keepAliveTimeout: SHARE_KEEP_ALIVE_MS }, (req, res) => {
      // Its headers are in: no header deadline runs while it is answered, and it is not evicted.
      const socket = req.socket;
      this.connections.requestStarted(socket);
      res.once('close', () => {
        this.connections.requestEnded(socket);
        this.attached.get(socket)?.watch.answered({
          method: req.method ?? '',
          path: req.url ?? '',
          status: res.statusCode,
          complete: res.writableFinished,
        });
      });
      this.handle(req, res).catch((err: unknown) => {
        this.log.warn({ err }, 'share request failed');
        if (!res.headersSent) send(res, 500, 'internal error');
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = SHARE_KEEP_ALIVE_MS;
  }

  /**
   * Serves HTTP on `stream` (one connection a client made to the peer's listener for the share named
   * `share`) until it closes; `config` is read at every request, so a share removed meanwhile serves
   * nothing more.
   */
  serve(
    stream: Duplex,
    share: string,
    config: () => ShareConfig | undefined,
    watch: ShareConnectionWatch,
  ): Promise<void> {
    return new Promise((resolve) => {
      stream.once('close', () => resolve());
      this.attached.set(stream, { config, watch });
      addIdleTimeout(stream);
      this.connections.add(stream, share);
      this.server.emit('connection', stream);
      stream.on('data', (chunk: Buffer) => watch.received(chunk.length));
    });
  }

  /**
   * Ends the connection to `share` that has waited longest for a request's headers, so a new one can
   * be served (share-connections.ts); false when every one is answering a request.
   */
  makeRoom(share: string): boolean {
    return this.connections.makeRoom(share);
  }

  private passwordCheck(config: ShareConfig, hash: string): PasswordCheck {
    let check = this.checks.get(config.name);
    if (!check || check.hash !== hash) {
      check = new PasswordCheck(hash);
      this.checks.set(config.name, check);
    }
    return check;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(COMMON_HEADERS)) res.setHeader(k, v);
    const at = this.attached.get(req.socket);
    const config = at?.config();
    if (!at || !config) return send(res, 503, 'this share is no longer served');
    if (config.loopbackOnly) {
      const host = parseHostHeader(req.headers.host ?? '');
      if (!host || !isLoopbackHost(host.host)) {
        return send(res, 421, 'this share answers only to a loopback name (127.0.0.1, [::1], localhost)');
      }
    }
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'read only: GET and HEAD only');
    }
    if (config.passwordHash !== undefined) {
      const given = basicPassword(req.headers.authorization);
      const ok = given !== undefined && (await this.passwordCheck(config, config.passwordHash).check(given));
      if (!ok) {
        res.setHeader('WWW-Authenticate', `Basic realm="${config.name}", charset="UTF-8"`);
        return send(res, 401, 'this share asks for a password');
      }
    }
    const path = resolveSharePath(req.url ?? '', { dotfiles: config.dotfiles });
    if (!path.ok) return send(res, path.status, path.reason);
    const root = await realRoot(config.dir);
    if (root === undefined) return send(res, 404, 'not found');
    const opened = await openInShare(root, path.segments, config.dotfiles);
    if (opened.kind === 'missing') return send(res, 404, 'not found');
    if (opened.kind === 'folder') {
      if (!path.slash) {
        res.setHeader('Location', encodeSharePath(path.segments, true));
        return send(res, 301, 'a folder: its listing ends in /');
      }
      const { entries, omitted } = await listShareFolder(root, opened.real, config.dotfiles);
      const page = Buffer.from(listingPage(config.name, path.segments, entries, omitted), 'utf8');
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': page.length,
        'Content-Security-Policy': LISTING_CSP,
        'Cache-Control': 'no-cache',
      });
      res.end(method === 'HEAD' ? undefined : page);
      return;
    }
    const { handle, stat } = opened;
    let handed = false;
    try {
      // A file's name never ends in `/`: `/a.txt/` is not `/a.txt`.
      if (path.slash) return send(res, 404, 'not found');
      const size = stat.size;
      const etag = `"${stat.ino.toString(36)}-${size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}"`;
      const modified = new Date(Math.floor(stat.mtimeMs / 1000) * 1000);
      const lastModified = modified.toUTCString();
      res.setHeader('ETag', etag);
      res.setHeader('Last-Modified', lastModified);
      res.setHeader('Accept-Ranges', 'bytes');
      res.setHeader('Cache-Control', 'no-cache');
      if (notModified(req, etag, modified)) {
        res.writeHead(304);
        res.end();
        return;
      }
      let range = parseRange(header(req, 'range'), size);
      if (range.kind !== 'whole' && !ifRangeHolds(header(req, 'if-range'), etag, lastModified)) {
        range = { kind: 'whole' };
      }
      if (range.kind === 'unsatisfiable') {
        res.setHeader('Content-Range', `bytes */${size}`);
        return send(res, 416, 'range not satisfiable');
      }
      const [start, end] = range.kind === 'part' ? [range.start, range.end] : [0, size - 1];
      const length = size === 0 ? 0 : end - start + 1;
      res.setHeader('Content-Type', contentTypeOf(path.segments[path.segments.length - 1] ?? ''));
      res.setHeader('Content-Length', length);
      if (range.kind === 'part') res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
      res.writeHead(range.kind === 'part' ? 206 : 200);
      if (method === 'HEAD' || length === 0) {
        res.end();
        return;
      }
      const file = handle.createReadStream({ start, end, highWaterMark: SHARE_READ_CHUNK, autoClose: true });
      handed = true;
      file.on('data', (chunk: Buffer | string) => at.watch.sent(chunk.length));
      try {
        await pipeline(file, res);
      } catch (err) {
        this.log.debug({ err }, 'share download cut');
      }
    } finally {
      if (!handed) await handle.close().catch(() => undefined);
    }
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A short plain-text answer. */
function send(res: ServerResponse, status: number, text: string): void {
  const body = Buffer.from(`${text}\n`, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** The entity tags of an If-None-Match header (weak ones compared by their opaque part, RFC 9110 §13.1.2). */
function etagList(value: string): string[] {
  return value.split(',').map((t) => t.trim().replace(/^W\//, ''));
}

/** Whether a conditional GET may be answered 304 (If-None-Match first; If-Modified-Since only without it). */
function notModified(req: IncomingMessage, etag: string, modified: Date): boolean {
  const none = header(req, 'if-none-match');
  if (none !== undefined) {
    const tags = etagList(none);
    return tags.includes('*') || tags.includes(etag);
  }
  const since = header(req, 'if-modified-since');
  if (since === undefined) return false;
  const when = Date.parse(since);
  return Number.isFinite(when) && modified.getTime() <= when;
}

/**
 * Whether a Range applies under If-Range (RFC 9110 §13.1.5): absent, or the strong ETag this file has
 * now, or exactly its Last-Modified date; otherwise the whole file is sent.
 */
function ifRangeHolds(value: string | undefined, etag: string, lastModified: string): boolean {
  if (value === undefined) return true;
  const v = value.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return v === etag;
  const when = Date.parse(v);
  return Number.isFinite(when) && when === Date.parse(lastModified);
}
