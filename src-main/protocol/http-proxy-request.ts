/**
 * The request head a client sends to an HTTP forward proxy (RFC 9112): `CONNECT host:port` (authority
 * form: a tunnel) or `METHOD http://host[:port]/path` (absolute form), and the origin-form head the proxy
 * sends on. Pure and incremental: `decodeRequestHead` takes the bytes received so far and answers `more`,
 * `done` (with the bytes the head used; what follows is body or tunnel data) or `invalid` (a one-line
 * reason for a 400). A head is at most MAX_HEAD_BYTES and MAX_HEADER_COUNT headers, so a client cannot
 * make the proxy buffer more.
 *
 * Bytes are read as latin1 and written back the same way, so header values pass through unchanged.
 */

/** Largest request head in bytes (request line + headers + blank line): 32 KiB, above what browsers send. */
export const MAX_HEAD_BYTES = 32 * 1024;
/** Most header lines in one head. */
export const MAX_HEADER_COUNT = 100;

export interface ProxyRequest {
  /** Method token as sent, e.g. `GET` or `CONNECT`. */
  method: string;
  /** `1.0` or `1.1`. */
  version: string;
  /** Target host: a name, a dotted quad or IPv6 text without brackets. */
  host: string;
  port: number;
  /** Origin-form path and query (`/a?b`) for plain requests; empty for CONNECT. */
  path: string;
  /** Header lines in order, names as sent, values trimmed. */
  headers: [name: string, value: string][];
}

export type HeadResult =
  | { status: 'more' }
  | { status: 'done'; request: ProxyRequest; used: number }
  | { status: 'invalid'; reason: string };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e\x80-\xff]+) HTTP\/(1\.[01])$/;
/** Control characters other than HTAB are not allowed in a field value (RFC 9110 §5.5). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const HOST_NAME = /^[A-Za-z0-9._-]+$/;
const IPV6_TEXT = /^[0-9A-Fa-f:.]+$/;

/**
 * Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus the proxy's own
 * credentials: dropped when forwarding. Host is rewritten from the URL (RFC 9112 §3.2.2).
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'upgrade',
  'host',
]);
/** Never dropped because a Connection header names them: they frame the body we relay byte for byte. */
const FRAMING = new Set(['content-length', 'transfer-encoding']);

const invalid = (reason: string): HeadResult => ({ status: 'invalid', reason });

/**
 * Index just past the blank line that ends a head (`\r\n\r\n` or a bare `\n\n`), or -1.
 * @param from where to start looking (bytes before it were already searched)
 */
export function findHeadEnd(buf: Uint8Array, from = 0): number {
  for (let i = Math.max(0, from); i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    if (buf[i + 1] === 0x0a) return i + 2;
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/**
 * Decodes a proxy request head from the start of `buf`.
 * @param scanFrom bytes before this offset are known to hold no head end (from an earlier call)
 */
export function decodeRequestHead(buf: Uint8Array, scanFrom = 0): HeadResult {
  const end = findHeadEnd(buf, scanFrom - 3);
  if (end < 0) {
    return buf.length > MAX_HEAD_BYTES
      ? invalid(`request head over ${MAX_HEAD_BYTES} bytes`)
      : { status: 'more' };
  }
  if (end > MAX_HEAD_BYTES) return invalid(`request head over ${MAX_HEAD_BYTES} bytes`);
  const text = Buffer.from(buf.subarray(0, end)).toString('latin1');
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  lines.splice(-2); // the blank line and what follows its \n
  if (lines.some((l) => l.includes('\r'))) return invalid('bare CR in the request head');
  const m = REQUEST_LINE.exec(lines[0] ?? '');
  if (!m) return invalid(`malformed request line ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const [, method, target, version] = m as unknown as [string, string, string, string];
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    if (line.startsWith(' ') || line.startsWith('\t')) return invalid('folded header lines are not allowed');
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    if (colon <= 0 || !TOKEN.test(name))
      return invalid(`malformed header line ${JSON.stringify(line.slice(0, 80))}`);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (BAD_VALUE.test(value)) return invalid(`control character in header ${name}`);
    headers.push([name, value]);
    if (headers.length > MAX_HEADER_COUNT) return invalid(`more than ${MAX_HEADER_COUNT} headers`);
  }
  const parsed = method.toUpperCase() === 'CONNECT' ? parseAuthority(target, true) : parseAbsoluteUrl(target);
  if (typeof parsed === 'string') return invalid(parsed);
  if (method.toUpperCase() !== 'CONNECT') {
    const problem = framingProblem(headers);
    if (problem) return invalid(problem);
  }
  return { status: 'done', request: { method, version, ...parsed, headers }, used: end };
}

/** `host:port` (port required) or, for URLs, `host[:port]`; an error string when malformed. */
function parseAuthority(
  authority: string,
  portRequired: boolean,
): { host: string; port: number; path: string } | string {
  if (authority.includes('@')) return 'user info in the URL is not supported';
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]*)\](?::(.*))?$/.exec(authority);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
    if (!IPV6_TEXT.test(host) || !host.includes(':')) return `'${authority}' has a malformed IPv6 address`;
  } else {
    const colon = authority.lastIndexOf(':');
    host = colon < 0 ? authority : authority.slice(0, colon);
    portText = colon < 0 ? undefined : authority.slice(colon + 1);
    if (!HOST_NAME.test(host)) return `'${authority}' is not a host name or address`;
  }
  if (portText === undefined || portText === '') {
    if (portRequired) return `'${authority}' needs a port (host:port)`;
    return { host, port: 80, path: '' };
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    return `'${authority}': port must be a number from 1 to 65535`;
  }
  return { host, port: Number(portText), path: '' };
}

function parseAbsoluteUrl(target: string): { host: string; port: number; path: string } | string {
  if (target.startsWith('/')) {
    return 'this is a proxy: send absolute URLs (GET http://host/path) or CONNECT host:port';
  }
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)/.exec(target);
  if (!m) return `malformed request target ${JSON.stringify(target.slice(0, 80))}`;
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'https') return 'https:// URLs go through CONNECT host:443, not as plain requests';
  if (scheme !== 'http') return `${scheme}:// URLs are not supported; only http:// and CONNECT`;
  const authority = parseAuthority(m[2]!, false);
  if (typeof authority === 'string') return authority;
  const rest = m[3]!;
  return { ...authority, path: rest.startsWith('/') ? rest : `/${rest}` };
}

/** Content-Length and Transfer-Encoding that would let us and the origin disagree on where a body ends. */
function framingProblem(headers: [string, string][]): string | undefined {
  const lengths = headers.filter(([n]) => n.toLowerCase() === 'content-length').map(([, v]) => v);
  const codings = headers.filter(([n]) => n.toLowerCase() === 'transfer-encoding').map(([, v]) => v);
  if (lengths.length > 0 && codings.length > 0) return 'both Content-Length and Transfer-Encoding';
  const values = new Set(lengths.flatMap((v) => v.split(',').map((x) => x.trim())));
  if (values.size > 1) return 'conflicting Content-Length headers';
  for (const v of values) if (!/^\d{1,15}$/.test(v)) return `bad Content-Length ${JSON.stringify(v)}`;
  if (codings.length > 0) {
    const last = codings.join(',').split(',').pop()!.trim().toLowerCase();
    if (last !== 'chunked') return 'Transfer-Encoding must end with chunked';
  }
  return undefined;
}

/** `host[:port]` for a Host header: IPv6 bracketed, port 80 left out. */
export function hostHeader(host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === 80 ? h : `${h}:${port}`;
}

/**
 * The head to send to the origin for a plain request: origin-form request line, Host from the URL,
 * hop-by-hop headers (and those the Connection header names) removed, `Connection: close` added — one
 * request per connection keeps the proxy out of response framing.
 */
export function originFormHead(req: ProxyRequest): string {
  const named = new Set(
    req.headers
      .filter(([n]) => n.toLowerCase() === 'connection')
      .flatMap(([, v]) => v.split(',').map((t) => t.trim().toLowerCase()))
      .filter((t) => t && !FRAMING.has(t)),
  );
  const kept = req.headers.filter(([n]) => !HOP_BY_HOP.has(n.toLowerCase()) && !named.has(n.toLowerCase()));
  const lines = [
    `${req.method} ${req.path} HTTP/${req.version}`,
    `Host: ${hostHeader(req.host, req.port)}`,
    ...kept.map(([n, v]) => `${n}: ${v}`),
    'Connection: close',
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** The answer to a CONNECT once the tunnel is up. */
export const CONNECT_ESTABLISHED = 'HTTP/1.1 200 Connection Established\r\n\r\n';

/**
 * The answer to a request without the proxy's password: 407 asks for `Proxy-Authorization: Basic`
 * (browsers then prompt; curl takes `--proxy http://USER:SECRET@HOST:PORT`).
 */
export function proxyAuthRequiredResponse(realm: string): string {
  const quoted = realm.replace(/["\\\r\n`]/g, '');
  const body = `this proxy needs its password: \`clawbridge proxy secret ${quoted} --url\` prints the URL to use\n`;
  return (
    `HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="clawbridge ${quoted}"\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Connection: close\r\n\r\n${body}`
  );
}

/** A complete error response from the proxy itself; `reason` becomes the one-line plain-text body. */
export function proxyErrorResponse(status: 400 | 502 | 504, reason: string): string {
  const phrase = { 400: 'Bad Request', 502: 'Bad Gateway', 504: 'Gateway Timeout' }[status];
  const body = `${reason.replace(/[\r\n]+/g, ' ')}\n`;
  return (
    `HTTP/1.1 ${status} ${phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}
