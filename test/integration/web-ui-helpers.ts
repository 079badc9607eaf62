/**
 * Clients of an agent's web UI for the integration tests: plain HTTP requests with a chosen Host, and
 * WebSockets with a chosen Origin whose JSON messages can be awaited one by one.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { WebSocket, type RawData } from 'ws';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET `path` (sent as is: no normalisation) from 127.0.0.1:`port` with `host` as the Host header. */
export function httpGet(port: number, path: string, host = `127.0.0.1:${port}`): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket; resolves with it once open, or with the HTTP status of the refusal. */
export function openSocket(port: number, path: string, origin: string): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { origin });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode!));
    ws.once('error', reject);
  });
}

export function whenClosed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

export type Message = Record<string, unknown>;

/** The JSON text messages of `ws`, in order: `next()` resolves with the following one. */
export function messages(ws: WebSocket): { next: (timeoutMs?: number) => Promise<Message> } {
  const queue: Message[] = [];
  const waiting: ((m: Message) => void)[] = [];
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) return;
    const msg = JSON.parse((data as Buffer).toString('utf8')) as Message;
    const w = waiting.shift();
    if (w) w(msg);
    else queue.push(msg);
  });
  return {
    next: (timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const queued = queue.shift();
        if (queued) return resolve(queued);
        const timer = setTimeout(() => reject(new Error('no message in time')), timeoutMs);
        waiting.push((m) => {
          clearTimeout(timer);
          resolve(m);
        });
      }),
  };
}

/** An authenticated `/api` session: `ready` already received. */
export async function apiSession(port: number, token: string) {
  const ws = await openSocket(port, '/api', `http://127.0.0.1:${port}`);
  if (typeof ws === 'number') throw new Error(`the /api socket was refused with HTTP ${ws}`);
  const m = messages(ws);
  ws.send(JSON.stringify({ type: 'auth', token }));
  assert.deepEqual(await m.next(), { type: 'ready', version: 1 });
  return { ws, next: (timeoutMs?: number) => m.next(timeoutMs) };
}

/** The port and token of a `http://127.0.0.1:PORT/#token=HEX` link. */
export function parseLink(url: string): { port: number; token: string } {
  const m = /^http:\/\/127\.0\.0\.1:(\d+)\/#token=([0-9a-f]{64})$/.exec(url);
  assert.ok(m, `not a web UI link: ${url}`);
  return { port: Number(m[1]), token: m[2]! };
}
