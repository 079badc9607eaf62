/**
 * One HTTP proxy client connection: `CONNECT host:port` opens a tunnel; a plain absolute-URI request
 * (`GET http://host/path`) is sent on in origin form with hop-by-hop headers removed and
 * `Connection: close`, one request per connection. A malformed head gets 400, a target that cannot be
 * reached 502 with a one-line reason; either way only this connection closes, with a log line.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorMessage } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import {
  CONNECT_ESTABLISHED,
  decodeRequestHead,
  originFormHead,
  proxyAuthRequiredResponse,
  proxyErrorResponse,
  type ProxyRequest,
} from '../protocol/http-proxy-request.js';
import { clientOf, endWith, reportCutConnections, type FrontEndContext } from './front-end.js';
import { MalformedMessage, readMessage, type Decoding } from './read-message.js';
import { basicProxyPassword, secretMatches } from './proxy-secret.js';
import { spliceTracked } from './track-connection.js';

/**
 * Milliseconds a client has to send its request head (30 s): browsers open proxy connections ahead of
 * use, so this is longer than the SOCKS handshake timeout.
 */
export const HTTP_HEAD_TIMEOUT_MS = 30_000;

export interface HttpProxyContext extends FrontEndContext {
  /** Exit peer for every request. */
  via: string;
  /**
   * The proxy's secret (proxy-secret.ts): when set, every request must carry it as the password of
   * `Proxy-Authorization: Basic`; one without it gets 407 and no connection.
   */
  secret?: string | undefined;
}

function decodeHead(buf: Buffer, previousLength: number): Decoding<ProxyRequest & { headBytes: number }> {
  const r = decodeRequestHead(buf, previousLength);
  if (r.status !== 'done') return r;
  return { status: 'done', value: { ...r.request, headBytes: r.used }, used: r.used };
}

/** Serves one accepted connection to its end. Never rejects. */
export async function handleHttpProxyConnection(socket: Socket, ctx: HttpProxyContext): Promise<void> {
  const fields: Record<string, unknown> = { proxy: ctx.name, client: clientOf(socket), peer: ctx.via };
  socket.on('error', () => undefined); // a client reset ends this connection only
  let request;
  try {
    request = await readMessage(socket, decodeHead, HTTP_HEAD_TIMEOUT_MS, 'HTTP request head');
  } catch (err) {
    ctx.log.warn(fields, `http proxy: ${errorMessage(err)}`);
    if (err instanceof MalformedMessage) endWith(socket, proxyErrorResponse(400, err.message));
    else socket.destroy();
    return;
  }
  if (ctx.secret !== undefined) {
    const password = basicProxyPassword(request.headers);
    if (password === undefined || !secretMatches(password, ctx.secret)) {
      ctx.log.warn(fields, 'http proxy: no or wrong Proxy-Authorization password');
      endWith(socket, proxyAuthRequiredResponse(ctx.name));
      return;
    }
  }
  const connect = request.method.toUpperCase() === 'CONNECT';
  fields.target = formatHostPort(request.host, request.port);
  fields.method = request.method;
  let remote: Duplex;
  let sentEarly = 0;
  try {
    // Only a tunnel's bytes may go early: a plain request's rewritten head must precede its body.
    const early = connect ? { early: socket, sentEarly: (n: number) => (sentEarly += n) } : {};
    remote = await ctx.dialer.connect(ctx.via, request.host, request.port, early);
  } catch (err) {
    const reason = errorMessage(err);
    ctx.log.warn(fields, `http proxy: ${reason}`);
    endWith(socket, proxyErrorResponse(502, reason));
    return;
  }
  if (socket.destroyed) {
    remote.destroy();
    return;
  }
  if (connect) {
    socket.write(CONNECT_ESTABLISHED);
  } else {
    const head = Buffer.from(originFormHead(request), 'latin1');
    ctx.counters.bytesOut(request.headBytes);
    remote.write(head);
  }
  ctx.log.debug(fields, 'http proxy: connected');
  ctx.opened();
  reportCutConnections(remote, ctx, ctx.via, fields);
  await spliceTracked(socket, remote, ctx, {
    kind: 'http',
    peer: ctx.via,
    to: formatHostPort(request.host, request.port),
    sentEarly,
  });
}
