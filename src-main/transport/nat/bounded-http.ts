/**
 * One HTTP/1.1 exchange with a host on the LAN (a UPnP description, a SOAP action), bounded whatever the
 * other end does: the body is cut off past a cap, the whole exchange past a deadline (a slow trickle
 * counts), the caller's signal aborts it, and the socket is destroyed however it ends: no pooled
 * connection outlives it. No redirect is followed: the answer is the one from the host that was asked.
 */
import { request } from 'node:http';

/** The most of a body read from a router, in bytes: an IGD description or a SOAP answer is a few KiB. */
export const ROUTER_BODY_LIMIT_BYTES = 64 * 1024;
/** The most of the response head read, in bytes (status line and headers). */
const ROUTER_HEADER_LIMIT_BYTES = 8 * 1024;

export interface BoundedRequest {
  url: URL;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** The deadline for the whole exchange, in ms. */
  timeoutMs: number;
  limitBytes?: number;
}

export interface BoundedResponse {
  status: number;
  contentType: string;
  body: string;
}

export function boundedHttp(req: BoundedRequest): Promise<BoundedResponse> {
  const limit = req.limitBytes ?? ROUTER_BODY_LIMIT_BYTES;
  return new Promise<BoundedResponse>((resolve, reject) => {
    if (req.url.protocol !== 'http:') return reject(new Error(`not an http: URL (${req.url.protocol})`));
    const where = `${req.url.host}${req.url.pathname}`;
    let done = false;
    const finish = (err: Error | undefined, res?: BoundedResponse) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      req.signal.removeEventListener('abort', onAbort);
      outgoing.destroy();
      if (err) reject(err);
      else resolve(res!);
    };
    const onAbort = () => finish(new Error(`${where}: ${String(req.signal.reason ?? 'aborted')}`));
    const deadline = setTimeout(
      () => finish(new Error(`${where}: no complete answer within ${req.timeoutMs} ms`)),
      req.timeoutMs,
    );
    const outgoing = request(
      req.url,
      {
        method: req.method,
        // A length, not chunks: small routers' HTTP servers do not all read chunked bodies.
        headers: {
          ...req.headers,
          connection: 'close',
          ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}),
        },
        agent: false,
        maxHeaderSize: ROUTER_HEADER_LIMIT_BYTES,
        insecureHTTPParser: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit) return finish(new Error(`${where}: answer larger than ${limit} bytes`));
          chunks.push(chunk);
        });
        res.on('error', (err) => finish(new Error(`${where}: ${err.message}`)));
        res.on('end', () =>
          finish(undefined, {
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    outgoing.on('error', (err) => finish(new Error(`${where}: ${err.message}`)));
    if (req.signal.aborted) return onAbort();
    req.signal.addEventListener('abort', onAbort, { once: true });
    outgoing.end(req.body);
  });
}
