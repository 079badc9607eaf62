/**
 * The peer's side of reverse forwards (ADR 0018; docs/mux-protocol.md §Reverse forwards): a peer with
 * permission `listen` (checked by the service registry before this runs) asks this node to listen on
 * HOST:PORT. The address must pass the peer's `listenOn` limits, one other machines can reach needs
 * the owner's consent (`allowRemoteReverseListen`), and a peer holds at most
 * MAX_REVERSE_LISTENERS_PER_PEER listeners. Each connection accepted there goes back to the peer as a
 * `reverse-connect` stream. The listener lives exactly as long as its `reverse-listen` stream: the
 * forward removed or switched off, the link lost, the permission or consent taken away — it closes,
 * so nothing stays bound here.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { NodeStateReader } from '../agent/node-state.js';
import type { PeerDirectory, PeerStreams } from '../agent/ports.js';
import type { ServiceRegistry, ServiceRequest } from '../agent/services.js';
import type { PeerRecord, Settings } from '../agent/settings.js';
import { describeZodError } from '../api/validate.js';
import { errorMessage } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import type { MuxStream } from '../mux/stream.js';
import { allowedAddresses } from './destination-policy.js';
import { isLoopbackHost, listenTcp, type TcpListener } from './listener.js';
import {
  encodeReverseAnswer,
  MAX_REVERSE_LISTENERS_PER_PEER,
  REVERSE_CONNECT_SERVICE,
  REVERSE_LISTEN_SERVICE,
  reverseListenArgsSchema,
  type ReverseListenArgs,
} from './reverse-protocol.js';
import { splice } from './splice.js';

export interface ReverseListenHost {
  readonly name: string;
  readonly log: Logger;
  readonly state: Pick<NodeStateReader, 'get' | 'peer' | 'subscribe'>;
  readonly services: Pick<ServiceRegistry, 'register'>;
  readonly links: Pick<PeerDirectory, 'peerEntries'> & Pick<PeerStreams, 'openStream'>;
}

/** A refusal as it crosses the wire: a code for programs, one plain line for people. */
export interface ListenRefusal {
  code: RefusalCode;
  reason: string;
}

/**
 * Why this node will not listen on `args` for `peer` (undefined: it may). Pure: the settings decide.
 * Reasons name what the owner of this node can do, in plain words (they cross the wire as text).
 */
export function listenRefusal(
  self: string,
  settings: Pick<Settings, 'allowRemoteReverseListen'>,
  peer: Pick<PeerRecord, 'name' | 'allow' | 'listenOn'>,
  args: Pick<ReverseListenArgs, 'host' | 'port'>,
  held: number,
): ListenRefusal | undefined {
  const at = formatHostPort(args.host, args.port);
  if (!peer.allow.includes('listen')) {
    return {
      code: 'PERMISSION_DENIED',
      reason: `${self} does not allow listening for ${peer.name}; its owner can allow it (peers allow ${peer.name} listen)`,
    };
  }
  if (!isLoopbackHost(args.host) && !settings.allowRemoteReverseListen) {
    return {
      code: 'PERMISSION_DENIED',
      reason: `${self} lets peers listen on its loopback addresses only, not ${at}; its owner can allow others (agent --allow-remote-reverse-listen)`,
    };
  }
  if (peer.listenOn && allowedAddresses(peer.listenOn, args.host, args.port, [args.host]).length === 0) {
    return {
      code: 'PERMISSION_DENIED',
      reason: `${self} does not allow ${peer.name} to listen on ${at}; its owner can widen the limits (peers limit ${peer.name} --listen PATTERN)`,
    };
  }
  if (held >= MAX_REVERSE_LISTENERS_PER_PEER) {
    return {
      code: 'TOO_MANY_STREAMS',
      reason: `${self} already listens on ${MAX_REVERSE_LISTENERS_PER_PEER} addresses for ${peer.name}, the most one peer may have; remove one of its reverse forwards first`,
    };
  }
  return undefined;
}

/** One listener held for a peer. */
interface Held {
  peer: string;
  id: string;
  args: ReverseListenArgs;
  listener: TcpListener;
  stream: MuxStream;
}

/**
 * Registers `reverse-listen` (permission `listen`). Listeners the settings no longer allow close at
 * once. Returns a disposer that closes them all.
 */
export function registerReverseListenService(host: ReverseListenHost): () => Promise<void> {
  const held = new Set<Held>();
  const close = (h: Held, why: string): Promise<void> => {
    if (!held.delete(h)) return Promise.resolve();
    host.log.info({ peer: h.peer, listen: h.listener.address }, `reverse listener closed: ${why}`);
    h.stream.destroy();
    return h.listener.close();
  };
  host.services.register(REVERSE_LISTEN_SERVICE, {
    permission: 'listen',
    noun: 'listening',
    handle: (req) => void serve(host, req, held, close),
  });
  const off = host.state.subscribe(() => {
    for (const h of [...held]) {
      const record = host.state.peer(h.peer);
      if (!record) {
        void close(h, 'no longer a peer');
        continue;
      }
      // Held already: only what the settings say counts here, not the cap.
      const refusal = listenRefusal(host.name, host.state.get(), record, h.args, 0);
      if (refusal) void close(h, refusal.reason);
    }
  });
  return async () => {
    off();
    // The ports are free once this resolves: `clawbridge stop` waits for it.
    await Promise.all([...held].map((h) => close(h, 'agent stopping')));
  };
}

async function serve(
  host: ReverseListenHost,
  req: ServiceRequest,
  held: Set<Held>,
  close: (h: Held, why: string) => Promise<void>,
): Promise<void> {
  const parsed = reverseListenArgsSchema.safeParse(req.args);
  if (!parsed.success) {
    return req.reject('BAD_REQUEST', `bad reverse-listen arguments: ${describeZodError(parsed.error)}`);
  }
  const args = parsed.data;
  const fp = req.peer.fingerprint;
  const record = host.state.peer(fp);
  if (!record) return req.reject('REMOVED', `removed as a peer by ${host.name}`);
  // The same forward asking again (its old stream on a link that is going away): the new one wins.
  for (const h of held) if (h.peer === fp && h.id === args.id) await close(h, 'asked again');
  const count = [...held].filter((h) => h.peer === fp).length;
  const refusal = listenRefusal(host.name, host.state.get(), record, args, count);
  if (refusal) return req.reject(refusal.code, refusal.reason);
  const log = host.log.child({ service: REVERSE_LISTEN_SERVICE, peer: req.peer.name });
  let listener: TcpListener;
  try {
    listener = await listenTcp(args.host, args.port, (socket) => void bridge(host, fp, args.id, socket, log));
  } catch (err) {
    return req.reject('SERVICE_FAILED', `${host.name} cannot listen: ${errorMessage(err)}`);
  }
  let stream: MuxStream;
  try {
    stream = req.accept();
  } catch (err) {
    log.info(`reverse-listen gone before it was accepted: ${errorMessage(err)}`);
    await listener.close();
    return;
  }
  const h: Held = { peer: fp, id: args.id, args, listener, stream };
  held.add(h);
  log.info({ listen: listener.address }, 'reverse listener up');
  stream.write(encodeReverseAnswer(listener.address));
  // Nothing more comes on it; its end (or loss) is the signal to close.
  stream.on('error', () => undefined);
  stream.resume();
  stream.once('end', () => void close(h, 'the peer ended it'));
  stream.once('close', () => void close(h, 'stream closed'));
}

/** Carries one accepted connection back to the peer that asked for the listener. */
async function bridge(
  host: ReverseListenHost,
  fingerprint: string,
  id: string,
  socket: Socket,
  log: Logger,
): Promise<void> {
  socket.on('error', () => undefined);
  const entry = host.links.peerEntries().find((e) => e.fingerprint === fingerprint);
  let stream: MuxStream;
  try {
    if (!entry) throw new Error('no longer a peer');
    stream = (await host.links.openStream(entry, REVERSE_CONNECT_SERVICE, { id })).stream;
  } catch (err) {
    log.info(`reverse connection not carried: ${errorMessage(err)}`);
    socket.resetAndDestroy();
    return;
  }
  await splice(socket, stream);
}
