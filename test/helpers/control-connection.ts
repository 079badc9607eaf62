/**
 * A small control-socket client for the contract suite (test/helpers/contract-suite.ts) that also takes
 * pushed events (the CLI's ControlClient ignores them): NDJSON requests and replies, and events after a
 * `"subscribe"` line (api/control-server.ts).
 */
import { connect } from 'node:net';
import { EVENTS_SUBSCRIBE_METHOD } from '../../src-main/api/event-options.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import type { ContractConnection } from './contract-suite.js';

/** Longest wait for one reply, in ms: the suite's slowest call (pending.approve) is far quicker. */
const REPLY_TIMEOUT_MS = 30_000;

/**
 * A small control-socket client that also takes events (the CLI's ControlClient ignores them).
 *
 * By default the first `onEvent` subscribes the connection, with a line the agent does not answer: an
 * event caused from elsewhere right after (another agent's receipt) can be sent before the agent read
 * that line, and is then never sent. With `events: true` the connection is subscribed before it is
 * handed over (`events.subscribe`, answered once in effect), so no event is missed from then on.
 */
export function controlConnection(
  home: string,
  opts: { events?: boolean } = {},
): Promise<ContractConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(controlSocketPath(home));
    const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
    const listeners = new Set<(event: string, data: unknown) => void>();
    let subscribed = false;
    let nextId = 1;
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buffered.slice(0, nl)) as {
          id?: number;
          ok?: boolean;
          result?: unknown;
          error?: { code: string; message: string; hint?: unknown };
          event?: string;
          data?: unknown;
        };
        buffered = buffered.slice(nl + 1);
        if (msg.event !== undefined) {
          for (const l of listeners) l(msg.event, msg.data);
          continue;
        }
        const w = waiting.get(msg.id ?? -1);
        if (!w) continue;
        waiting.delete(msg.id!);
        if (msg.ok) w.resolve(msg.result);
        else
          w.reject(
            Object.assign(new Error(msg.error?.message ?? 'unknown error'), {
              code: msg.error?.code,
              hint: msg.error?.hint,
            }),
          );
      }
    });
    socket.on('close', () => {
      for (const w of waiting.values()) w.reject(new Error('the agent closed the connection'));
      waiting.clear();
    });
    socket.once('error', reject);
    socket.once('connect', () => {
      const connection: ContractConnection = {
        call: (method, params) =>
          new Promise((res, rej) => {
            const id = nextId++;
            const timer = setTimeout(() => {
              waiting.delete(id);
              rej(new Error(`no reply to ${method} in ${REPLY_TIMEOUT_MS} ms`));
            }, REPLY_TIMEOUT_MS);
            waiting.set(id, {
              resolve: (v) => (clearTimeout(timer), res(v)),
              reject: (e) => (clearTimeout(timer), rej(e)),
            });
            socket.write(JSON.stringify({ id, method, params }) + '\n');
          }),
        onEvent: (listener) => {
          // The socket subscribes once; listeners come and go on this side.
          if (!subscribed) socket.write('"subscribe"\n');
          subscribed = true;
          listeners.add(listener);
          return () => void listeners.delete(listener);
        },
        close: () =>
          new Promise<void>((res) => {
            if (socket.destroyed) return res();
            socket.once('close', () => res());
            socket.end();
          }),
      };
      if (!opts.events) return resolve(connection);
      connection.call(EVENTS_SUBSCRIBE_METHOD, {}).then(
        () => {
          subscribed = true;
          resolve(connection);
        },
        (err: unknown) => {
          socket.destroy();
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  });
}
