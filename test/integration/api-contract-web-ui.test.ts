/**
 * The shared API contract suite (test/helpers/contract-suite.ts) over the agent's web UI WebSocket
 * (`/api`, docs/web-ui.md): the token from `clawbridge ui --json`, then `request`/`response` messages
 * and events after `subscribe`. Needs the built CLI (`npx tsc -p tsconfig.build.json`).
 */
import { WebSocket, type RawData } from 'ws';
import { cli } from '../helpers/processes.js';
import { contractSuite, type ContractConnection } from '../helpers/contract-suite.js';
import { parseLink } from './web-ui-helpers.js';

/** Longest wait for one reply, in ms: the suite's slowest call (pending.approve) is far quicker. */
const REPLY_TIMEOUT_MS = 30_000;

type ServerMessage =
  | { type: 'ready'; version: number }
  | {
      type: 'response';
      id: number;
      ok: boolean;
      result?: unknown;
      error?: { code: string; message: string; hint?: unknown };
    }
  | { type: 'event'; event: string; data: unknown };

async function webUiConnection(home: string): Promise<ContractConnection> {
  const r = await cli(['ui', '--home', home, '--no-open', '--json']);
  if (r.code !== 0) throw new Error(`clawbridge ui failed (${r.code}): ${r.stderr}`);
  const { port, token } = parseLink((JSON.parse(r.stdout) as { url: string }).url);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, { origin: `http://127.0.0.1:${port}` });
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const listeners = new Set<(event: string, data: unknown) => void>();
  let subscribed = false;
  let nextId = 1;
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}`)));
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', token })));
    ws.on('message', (data: RawData) => {
      const msg = JSON.parse((data as Buffer).toString('utf8')) as ServerMessage;
      if (msg.type === 'ready') return resolve();
      if (msg.type === 'event') {
        for (const l of listeners) l(msg.event, msg.data);
        return;
      }
      const w = waiting.get(msg.id);
      if (!w) return;
      waiting.delete(msg.id);
      if (msg.ok) w.resolve(msg.result);
      else
        w.reject(
          Object.assign(new Error(msg.error?.message ?? 'unknown error'), {
            code: msg.error?.code,
            hint: msg.error?.hint,
          }),
        );
    });
  });
  ws.on('close', () => {
    for (const w of waiting.values()) w.reject(new Error('the agent closed the web UI socket'));
    waiting.clear();
  });
  return {
    call: (method, params) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`no reply to ${method} in ${REPLY_TIMEOUT_MS} ms`));
        }, REPLY_TIMEOUT_MS);
        waiting.set(id, {
          resolve: (v) => (clearTimeout(timer), resolve(v)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
        ws.send(JSON.stringify({ type: 'request', id, method, params }));
      }),
    onEvent: (listener) => {
      // The socket subscribes once; listeners come and go on this side.
      if (!subscribed) ws.send(JSON.stringify({ type: 'subscribe' }));
      subscribed = true;
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close(1000);
      }),
  };
}

contractSuite('the web UI WebSocket', ({ home }) => webUiConnection(home));
