/**
 * The agent's local control socket: newline-delimited JSON over a Unix socket (named pipe on Windows)
 * that only this user can reach. Request `{id, method, params}` → `{id, ok, result | error}`; pushed
 * events are `{event, data}`. A bad line gets an error reply; the connection and the agent keep going.
 *
 * A client that does not read its replies is not read either (backpressure): a connection stops being
 * read while MAX_IN_FLIGHT_REQUESTS requests are being handled or its unsent replies exceed
 * REPLY_BACKLOG_HIGH_WATER, so its memory use stays bounded. A client that lets replies pile up beyond
 * MAX_REPLY_BACKLOG (requests in flight when reading stopped still answer), or a subscribed one that lets
 * events pile up beyond MAX_EVENT_BACKLOG, is disconnected. At most MAX_CONTROL_CONNECTIONS connections
 * are open at once; one more is told so in one line and closed.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { acceptPipeProof, ensurePipeKey, pipeProofNeeded } from '../home/pipe-proof.js';
import { fileProblem } from '../core/file-errors.js';
import { chmod, unlink } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { ensurePrivateDir, socketPrivateDir } from '../home/home-dir.js';
import { ClawError, errorMessage } from '../core/errors.js';
import { commandArgs, hereHint } from '../core/hint.js';
import type { ServedApi } from './contract-registry.js';
import { apiErrorBody, requestIdOf, validateRequest } from './validate.js';
import { acceptStreamUpgrade, type StreamUpgradeHandlers } from './stream-upgrade.js';
import { replaceStaleSocket } from './stale-socket.js';
import { optionsInEffect, subscribeRequestOf } from './event-options.js';

/**
 * Longest accepted request line, in bytes (4 MiB): most requests are small, but `messages.send` carries
 * a body of up to 1 MiB (base64: 1.4 MiB), and one over it must reach the agent to be refused in words
 * that name the limit. Bounds a misbehaving client.
 */
export const MAX_CONTROL_LINE = 4 * 1024 * 1024;

/** Characters of replies and events gathered into one write (64 Ki); a longer line goes at once. */
const LINES_WRITE_CHARS = 64 * 1024;

/** Requests of one connection handled at once; the connection is not read while this many are. */
export const MAX_IN_FLIGHT_REQUESTS = 64;

/** Unsent bytes (replies, events) above which a connection is not read until they drain: 1 MiB. */
export const REPLY_BACKLOG_HIGH_WATER = 1024 * 1024;

/** Unsent bytes at which a subscribed connection is dropped (it does not read its events): 8 MiB. */
export const MAX_EVENT_BACKLOG = 8 * 1024 * 1024;

/**
 * Unsent bytes at which a connection is dropped for not reading its replies: 8 MiB. Reading stops at
 * REPLY_BACKLOG_HIGH_WATER, but the requests already in flight then (up to MAX_IN_FLIGHT_REQUESTS) still
 * answer; this bounds what they can add.
 */
export const MAX_REPLY_BACKLOG = 8 * 1024 * 1024;

/**
 * Control connections open at once. Each may hold a request line (up to MAX_CONTROL_LINE) and unsent
 * replies, a few MiB at worst (what uncapped connections cost: docs/design/hot-path-costs.md). A CLI
 * command uses one, the desktop app two or three, so 64 leaves room for scripts running many at once.
 * Counted in total only: every client of a Unix socket is this user, there is no source to tell apart.
 * The control socket has its own cap, separate from the web UI's, so a flood there never stops the CLI.
 */
export const MAX_CONTROL_CONNECTIONS = 64;

/** The line a connection over MAX_CONTROL_CONNECTIONS gets before it is closed. */
export const TOO_MANY_CONTROL_CONNECTIONS =
  `the agent already has ${MAX_CONTROL_CONNECTIONS} control connections open; ` +
  'close some of its clients (scripts, windows) and retry';

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/**
 * The control socket bound before the agent is ready: it is the home's lock (one agent per home), and
 * clients that connect meanwhile wait, unread, until `serve` hands them to the API.
 */
export interface ClaimedControlSocket extends ControlServer {
  serve(handler: ServedApi, upgrades?: StreamUpgradeHandlers): ControlServer;
}

/**
 * Binds the control socket at `path`, which only one agent can hold: a socket another agent listens
 * on is refused (AGENT_RUNNING), a stale one (left by a crash: nothing answers) is replaced under a
 * lock (stale-socket.ts). Binding first, and replacing only what is provably stale and only while
 * holding that lock, is what keeps two agents started at once on one home from both running.
 */
export async function claimControlSocket(
  path: string,
  home = path,
  proof = pipeProofNeeded(path, process.platform),
): Promise<ClaimedControlSocket> {
  const sockets = new Set<Socket>();
  let waiting: Socket[] | undefined = [];
  let served: ((socket: Socket) => void) | undefined;
  // A Windows named pipe cannot be made private to this user; a client proves it holds the home's
  // pipe.key before it is read (pipe-proof.ts, docs/security.md §Another user on the same machine).
  const key = proof ? ensurePipeKey(home) : undefined;
  const admit = (socket: Socket) => {
    if (served) {
      served(socket);
      if (key) socket.resume(); // the proof left it paused; a fresh socket flows on its own
    } else {
      socket.pause();
      waiting?.push(socket);
    }
  };
  const server: Server = createServer((socket) => {
    if (sockets.size >= MAX_CONTROL_CONNECTIONS) return refuseConnection(socket);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (!key) return admit(socket);
    acceptPipeProof(socket, key).then(
      (ok) => {
        if (ok && !socket.destroyed) admit(socket);
      },
      () => socket.destroy(),
    );
  });
  // Outside the home the socket lives in a directory of ours (mode 0700), made here; one that another
  // user made first, or that others can enter, is refused (home-dir.ts).
  const privateDir = socketPrivateDir(path);
  if (privateDir !== undefined) ensurePrivateDir(privateDir);
  const running = () =>
    new ClawError(
      'AGENT_RUNNING',
      ...commandArgs(
        `an agent is already running for ${home}; stop it first with `,
        hereHint(['stop', '--home', home]),
        ', or use another --home',
      ),
    );
  try {
    await listen(server, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw fileProblem(path, err, 'write');
    if (process.platform === 'win32') throw running();
    await replaceStaleSocket(path, {
      answers: () => answers(path),
      listen: () => listen(server, path),
      running,
    });
  }
  // Owner-only: the socket drives a node that can open shells elsewhere.
  const { mode } = controlSocketAccess(process.platform);
  if (mode !== null) await chmod(path, mode);
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (process.platform !== 'win32') await unlink(path).catch(() => undefined);
  };
  return {
    path,
    close,
    serve(handler, upgrades) {
      served = (socket) => serve(socket, handler, sockets, upgrades);
      for (const socket of waiting ?? []) {
        if (socket.destroyed) continue;
        served(socket);
        socket.resume();
      }
      waiting = undefined;
      return { path, close };
    },
  };
}

/**
 * @param upgrades the domains' streaming methods (the terminal's terminal.open…), which take the socket
 *   over; their schemas are `handler.contract`'s. See stream-upgrade.ts.
 */
export async function startControlServer(
  path: string,
  handler: ServedApi,
  upgrades?: StreamUpgradeHandlers,
): Promise<ControlServer> {
  return (await claimControlSocket(path)).serve(handler, upgrades);
}

/** One error line saying why, then closed: destroyed as soon as the line is written, read or not. */
function refuseConnection(socket: Socket): void {
  socket.on('error', () => socket.destroy());
  const error = { code: 'NO_AGENT', message: TOO_MANY_CONTROL_CONNECTIONS };
  socket.end(JSON.stringify({ id: null, ok: false, error }) + '\n', () => socket.destroy());
}

/**
 * Who may use the control socket, per platform. POSIX: the socket file is made 0600 (and lives in a
 * 0700 directory), so only this user connects. Windows: a named pipe, which has no file mode. Node
 * (libuv) creates it with the default security descriptor: full control for this user, SYSTEM and
 * Administrators, and *read* access for Everyone and Anonymous. Node can only widen that
 * (`readableAll` / `writableAll` add Everyone to the DACL) and has no way to narrow it without a
 * native module, so the one rule here is never to widen it: another user can then open the pipe for
 * reading only, which lets them send no request (docs/security.md §Local access, for the rest). Pure,
 * so a test checks it for every platform on any machine.
 */
export function controlSocketAccess(platform: NodeJS.Platform): {
  listen: { readableAll: false; writableAll: false };
  /** File mode to set once listening; null where the socket has none (a named pipe). */
  mode: number | null;
} {
  return { listen: { readableAll: false, writableAll: false }, mode: platform === 'win32' ? null : 0o600 };
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path, ...controlSocketAccess(process.platform).listen }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** True when something accepts connections on the Unix socket at `path` (an agent runs there). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false);
      else
        reject(
          new ClawError('CONFIG_INVALID', `cannot check the control socket ${path}: ${errorMessage(err)}`),
        );
    });
  });
}

function serve(
  socket: Socket,
  handler: ServedApi,
  sockets: Set<Socket>,
  upgrades?: StreamUpgradeHandlers,
): void {
  sockets.add(socket);
  // A client may send its last request and close its side at once (`printf … | nc -U`): the reply
  // must still go out, so this side ends only once every request is answered (finishIfEnded).
  socket.allowHalfOpen = true;
  let ended = false;
  let buffered = '';
  let disposeEvents: (() => void) | undefined;
  /** The options this connection's subscription has, once subscribed (`"subscribe"`: the defaults). */
  let subscribed: Record<string, string> | undefined;
  // After a stream upgrade the socket carries frames: no late reply or event may be written into them.
  let upgraded = false;
  // Requests being handled, and whether reading is paused until replies are out (backpressure).
  let inFlight = 0;
  let paused = false;
  // Lines (replies and events) of one tick leave in one write, up to LINES_WRITE_CHARS: a burst of
  // message receipts or answers is one syscall, not one per line. Written out before an
  // upgrade or the end.
  let lines: string[] = [];
  let linesLength = 0;
  const unsent = () => socket.writableLength + linesLength;
  const writeLines = () => {
    if (lines.length === 0) return;
    const text = lines.length === 1 ? lines[0]! : lines.join('');
    lines = [];
    linesLength = 0;
    if (socket.destroyed || upgraded) return;
    socket.write(text);
  };
  const send = (msg: unknown) => {
    if (socket.destroyed || upgraded) return;
    const line = encodeLine(msg) + '\n';
    if (lines.length === 0) process.nextTick(writeLines);
    lines.push(line);
    linesLength += line.length;
    if (linesLength >= LINES_WRITE_CHARS) writeLines();
    if (unsent() > MAX_REPLY_BACKLOG) socket.destroy();
  };
  const sendEvent = (event: string, data: unknown) => {
    send({ event, data });
    if (unsent() > MAX_EVENT_BACKLOG) socket.destroy();
  };
  const blocked = () => inFlight >= MAX_IN_FLIGHT_REQUESTS || unsent() > REPLY_BACKLOG_HIGH_WATER;
  // Decoded here rather than with setEncoding, so an upgraded socket can go on reading raw bytes.
  const decoder = new StringDecoder('utf8');
  /**
   * Whether `buffered` may hold a newline (a chunk with one came since it was last searched): a long
   * request line (a `messages.sendMany`) arriving in many chunks is not searched, and so copied flat,
   * once per chunk, whose cost grew with the square of its length.
   */
  let mayHoldLine = false;
  /**
   * Handles the complete lines in `buffered`, in order, while the connection is not blocked; reads on
   * once they are all handed out, pauses reading otherwise. Called on data, on each reply and on drain.
   */
  const pump = () => {
    while (mayHoldLine && !upgraded && !socket.destroyed && !blocked()) {
      const nl = buffered.indexOf('\n');
      if (nl < 0) {
        mayHoldLine = false;
        break;
      }
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() === '') continue;
      if (line.trim() === '"subscribe"') {
        disposeEvents ??= handler.onEvent(sendEvent);
        continue;
      }
      // Subscribing with options (ADR 0059): the connection's, answered here. A connection already
      // subscribed keeps the form it has, and the reply says which.
      const sub = subscribeRequestOf(line, handler.contract.eventOptions);
      if (sub?.kind === 'bad') {
        send({ id: sub.id, ok: false, error: { code: 'BAD_ARGUMENT', message: sub.message } });
        continue;
      }
      if (sub) {
        if (!disposeEvents) {
          subscribed = optionsInEffect(sub.options, handler.contract.eventOptions);
          disposeEvents = handler.onEvent(sendEvent, sub.options);
        }
        send({
          id: sub.id,
          ok: true,
          result: subscribed ?? optionsInEffect({}, handler.contract.eventOptions),
        });
        continue;
      }
      // What this connection was sent so far goes before anything an upgrade writes.
      if (upgrades) writeLines();
      if (upgrades && acceptStreamUpgrade(socket, line, buffered, handler.contract, upgrades)) {
        upgraded = true;
        socket.allowHalfOpen = false; // a stream ends both ways, as it always did
        socket.off('data', onData);
        socket.off('drain', pump);
        disposeEvents?.();
        return;
      }
      inFlight++;
      // handleLine answers every failure itself; should it throw anyway, the client sees the socket end.
      handleLine(line, handler).then(
        (reply) => {
          inFlight--;
          send(reply);
          pump();
        },
        (err: unknown) => socket.destroy(err instanceof Error ? err : undefined),
      );
    }
    if (upgraded || socket.destroyed) return;
    if (ended && inFlight === 0 && !buffered.includes('\n')) {
      writeLines();
      socket.end();
      return;
    }
    if (blocked()) {
      if (!paused) socket.pause();
      paused = true;
      return;
    }
    // Every complete line is handed out: what is left is the start of one line.
    if (buffered.length > MAX_CONTROL_LINE) {
      send({ id: null, ok: false, error: { code: 'BAD_ARGUMENT', message: 'request line too long' } });
      writeLines();
      socket.destroy();
      return;
    }
    if (paused) socket.resume();
    paused = false;
  };
  const onData = (data: Buffer) => {
    const text = decoder.write(data);
    if (text.includes('\n')) mayHoldLine = true;
    buffered += text;
    pump();
  };
  socket.on('data', onData);
  socket.on('drain', pump);
  socket.on('end', () => {
    ended = true;
    // A last line without its newline is still a request.
    buffered += decoder.end();
    if (buffered.trim() !== '' && !buffered.endsWith('\n')) buffered += '\n';
    mayHoldLine = true;
    pump();
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    sockets.delete(socket);
    disposeEvents?.();
  });
}

/**
 * One reply or event as a JSON line. What cannot be encoded (it should not happen: replies are the
 * agent's own objects) becomes an INTERNAL error line rather than a throw that would end the agent.
 */
function encodeLine(msg: unknown): string {
  try {
    return JSON.stringify(msg);
  } catch (err) {
    const id = requestIdOf(msg);
    return JSON.stringify({
      id,
      ok: false,
      error: { code: 'INTERNAL', message: `the reply could not be encoded: ${errorMessage(err)}` },
    });
  }
}

async function handleLine(line: string, handler: ServedApi): Promise<unknown> {
  let id: number | null = null;
  try {
    const raw: unknown = JSON.parse(line);
    id = requestIdOf(raw);
    const req = validateRequest(raw, handler.contract);
    const result = await handler.call(req.method, req.params);
    return { id: req.id, ok: true, result };
  } catch (err) {
    return { id, ok: false, error: apiErrorBody(err) };
  }
}
