/**
 * The agent's local control socket: newline-delimited JSON over a Unix socket (named pipe on Windows)
 * that only this user can reach. Request `{id, method, params}` → `{id, ok, result | error}`; pushed
 * events are `{event, data}`. A bad line gets an error reply; the connection and the agent keep going.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { chmod, unlink } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { errorMessage, isClawError } from '../core/errors.js';
import type { ApiHandler } from './contract.js';
import { validateRequest } from './validate.js';
import { acceptStreamUpgrade, type StreamUpgradeHandlers } from './stream-upgrade.js';

/** Longest accepted request line, in bytes: requests are small; this bounds a misbehaving client. */
export const MAX_CONTROL_LINE = 1024 * 1024;

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/** @param upgrades streaming methods (terminal.open…) that take the socket over; see stream-upgrade.ts */
export async function startControlServer(
  path: string,
  handler: ApiHandler,
  upgrades?: StreamUpgradeHandlers,
): Promise<ControlServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => serve(socket, handler, sockets, upgrades));
  if (process.platform !== 'win32') await unlink(path).catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Owner-only: the socket drives a node that can open shells elsewhere.
  if (process.platform !== 'win32') await chmod(path, 0o600);
  return {
    path,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (process.platform !== 'win32') await unlink(path).catch(() => undefined);
    },
  };
}

function serve(
  socket: Socket,
  handler: ApiHandler,
  sockets: Set<Socket>,
  upgrades?: StreamUpgradeHandlers,
): void {
  sockets.add(socket);
  let buffered = '';
  let disposeEvents: (() => void) | undefined;
  // After a stream upgrade the socket carries frames: no late reply or event may be written into them.
  let upgraded = false;
  const send = (msg: unknown) => {
    if (!socket.destroyed && !upgraded) socket.write(JSON.stringify(msg) + '\n');
  };
  // Decoded here rather than with setEncoding, so an upgraded socket can go on reading raw bytes.
  const decoder = new StringDecoder('utf8');
  const onData = (data: Buffer) => {
    buffered += decoder.write(data);
    if (buffered.length > MAX_CONTROL_LINE && !buffered.includes('\n')) {
      send({ id: null, ok: false, error: { code: 'BAD_ARGUMENT', message: 'request line too long' } });
      socket.destroy();
      return;
    }
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() === '') continue;
      if (line.trim() === '"subscribe"') {
        disposeEvents ??= handler.onEvent((event, data) => send({ event, data }));
        continue;
      }
      if (upgrades && acceptStreamUpgrade(socket, line, buffered, upgrades)) {
        upgraded = true;
        socket.off('data', onData);
        disposeEvents?.();
        return;
      }
      void handleLine(line, handler).then(send);
    }
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    sockets.delete(socket);
    disposeEvents?.();
  });
}

async function handleLine(line: string, handler: ApiHandler): Promise<unknown> {
  let id: unknown = null;
  try {
    const raw: unknown = JSON.parse(line);
    if (raw && typeof raw === 'object' && 'id' in raw) id = raw.id;
    const req = validateRequest(raw);
    const result = await handler.call(req.method, req.params);
    return { id: req.id, ok: true, result };
  } catch (err) {
    const code = isClawError(err) ? err.code : err instanceof SyntaxError ? 'BAD_ARGUMENT' : 'INTERNAL';
    const message =
      err instanceof SyntaxError ? `request is not valid JSON: ${err.message}` : errorMessage(err);
    return { id, ok: false, error: { code, message } };
  }
}
