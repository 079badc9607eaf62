/**
 * The relay's plain HTTP endpoints, next to its WebSocket: GET /healthz, GET /metrics and, when it has
 * one, the browser-node page at `/` and `/assets/…` (relay/page.ts, ADR 0094).
 *
 * /metrics is open by default on purpose: it serves totals only (connections, nodes, circuits, bytes,
 * refusals by reason), never a node ID or an address, so it tells an outsider little more than that the
 * relay is busy. An operator who wants even that private sets `metricsTokenRequired`: then /metrics asks
 * for the relay access token as `Authorization: Bearer <token>`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tokenMatches } from './auth.js';
import { addressBlock } from '../core/address-block.js';
import { errorMessage } from '../core/errors.js';
import { CODINGS, noneMatch, pickCoding, representationTag } from '../core/http-encoding.js';
import type { IpLimiter } from './ip-limits.js';
import type { RelayMetrics } from './metrics.js';
import type { PageFile } from './page-files.js';
import type { RelayPage } from './page.js';

/** Sent with 429: the per-IP attempt bucket refills continuously, a minute refills it completely. */
const RETRY_AFTER_S = 60;

export interface RelayHttpOptions {
  metrics: RelayMetrics;
  /** The token GET /metrics requires as a Bearer credential; undefined = /metrics is open. */
  metricsToken: string | undefined;
  /** Per-IP authentication attempts: a wrong /metrics token costs one, like a connection does. */
  ips: IpLimiter;
  /** The browser-node page served at `/` (relay/page.ts); undefined serves none. */
  page?: RelayPage | undefined;
  /**
   * Whether the request's `Host` names this relay (relay/page-names.ts, ADR 0098): the page is served
   * only under the relay's own names, so its origin is always one whose upgrade is taken. Health
   * checks and scrapers, which are no browser pages, reach /healthz and /metrics by any name.
   */
  ownHost: (req: IncomingMessage) => boolean;
}

/** Said with 421 to a browser that asked for the page at a name the relay was not told it serves. */
export const MISDIRECTED_PAGE =
  'misdirected request: this relay serves its page only at its own names; its operator adds this one with --public-name\n';

/**
 * The scheme and the one space before the token (RFC 6750); the token is everything after it, spaces
 * inside included, since a relay access token is any 1–255 bytes of UTF-8 (Node already trimmed the
 * header value's surrounding whitespace).
 */
const BEARER = /^bearer (.+)$/is;

/**
 * The Bearer token of an Authorization header, or undefined without one. Node hands header values over
 * decoded as latin1, one char per byte; the bytes are UTF-8 (the token is UTF-8 in HELLO too), so a
 * token like `pässwörd` is decoded again from those bytes before it is compared.
 */
export function bearerToken(header: string | undefined): string | undefined {
  const value = BEARER.exec(header ?? '')?.[1];
  return value === undefined ? undefined : Buffer.from(value, 'latin1').toString('utf8');
}

/**
 * A file of the page: its precompressed form the request accepts (br, else gzip; `Vary` says the
 * answer depends on it), and a 304 when `If-None-Match` names what would be sent. Files under /assets/
 * are named by their hash, so they never change and are cached for a year; the index and the manifest
 * are revalidated on every visit (`no-cache`), which their entity tags make a 304 of a few hundred bytes.
 */
function pageAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  page: RelayPage,
  path: string,
  file: PageFile,
): void {
  const available = CODINGS.filter((c) => file.encoded[c]);
  const coding = pickCoding(req.headers['accept-encoding'], available);
  const body = coding ? file.encoded[coding]! : file.body;
  const etag = representationTag(file.tag, coding);
  const headers: Record<string, string> = {
    ...page.headers,
    'content-type': file.type,
    'cache-control': path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    etag,
    ...(available.length > 0 ? { vary: 'Accept-Encoding' } : {}),
  };
  if (noneMatch(req.headers['if-none-match'], etag)) return void res.writeHead(304, headers).end();
  res.writeHead(200, {
    ...headers,
    ...(coding ? { 'content-encoding': coding } : {}),
    'content-length': String(body.length),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** The request handler for everything on the relay's port that is not a WebSocket upgrade. */
export function relayHttpHandler(
  opts: RelayHttpOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const text = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body);

  /** Whether the request may read /metrics; answers it (401 or 429) when not. */
  const authorized = (req: IncomingMessage, res: ServerResponse): boolean => {
    const token = opts.metricsToken;
    if (token === undefined) return true;
    // The client's IPv4 address or IPv6 /64: what the per-IP limits count, and what the logs name.
    const ip = addressBlock(req.socket.remoteAddress);
    if (!opts.ips.canAttempt(ip)) {
      opts.metrics.authFailures.inc({ reason: 'metrics_rate_limited' });
      text(res, 429, 'too many authentication attempts from this address', {
        'retry-after': String(RETRY_AFTER_S),
      });
      return false;
    }
    const given = bearerToken(req.headers.authorization);
    if (given !== undefined && tokenMatches(given, token)) return true;
    // Only a wrong token is a guess worth charging; a scraper with none configured must not use up the
    // address's attempts and lock out nodes connecting from the same host.
    if (given !== undefined) opts.ips.spendAttempt(ip);
    opts.metrics.authFailures.inc({ reason: 'metrics_unauthorized' });
    text(res, 401, 'GET /metrics needs the relay access token: Authorization: Bearer <token>', {
      'www-authenticate': 'Bearer realm="clawbridge relay"',
    });
    return false;
  };

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    // HEAD too: load balancers probe with it (Node sends the headers without the body).
    if ((req.method === 'GET' || req.method === 'HEAD') && path === '/healthz') {
      text(res, 200, 'ok');
    } else if (req.method === 'GET' && path === '/metrics') {
      if (!authorized(req, res)) return;
      opts.metrics.scrape().then(
        ({ body, contentType }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (err: Error) => text(res, 500, err.message),
      );
    } else if ((req.method === 'GET' || req.method === 'HEAD') && opts.page?.has(path ?? '/')) {
      if (!opts.ownHost(req)) return void text(res, 421, MISDIRECTED_PAGE);
      let file: PageFile;
      try {
        file = opts.page.file(path ?? '/')!;
      } catch (err) {
        // The file's bytes changed on disk since the start: the page is no longer the one whose hash was printed.
        return void text(res, 500, errorMessage(err));
      }
      pageAnswer(req, res, opts.page, path ?? '/', file);
    } else if (path === '/healthz' || path === '/metrics') {
      // The path is right, the method is not: say so (405 with Allow), not "not found".
      text(res, 405, `method ${req.method ?? '?'} not allowed on ${path}`, {
        allow: path === '/healthz' ? 'GET, HEAD' : 'GET',
      });
    } else {
      text(res, 404, 'not found: this is a clawbridge relay');
    }
  };
}
