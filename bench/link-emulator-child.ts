/**
 * The link emulator in its own process (bench/child.ts protocol): `start` {spec, targetPort, netns?}
 * listens on 127.0.0.1 and answers {port}; every connection to it goes to 127.0.0.1:targetPort, inside
 * the network namespace `netns` when given (through bench/netns-door.ts). With `reverse` it is the
 * other way round: it listens inside `netns` (the port answered is there) and connects to targetPort
 * on the host's loopback, so agent b in the namespace reaches a relay only across the emulated link. `stats` answers the
 * emulator's counters and timing error, `reset` clears the timing samples, `probe` says whether the
 * serving side accepts a connection yet.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, serveParent } from './child.js';
import { LinkEmulator, type Connector } from './link-emulator.js';
import { validLinkSpec } from './link-shape.js';
import { logFailure } from '../src-main/core/background.js';

/** How long the door may take to connect, in ms. */
const DOOR_TIMEOUT_MS = 10_000;

let emulator: LinkEmulator | undefined;
let connector: Connector | undefined;
let door: ChildProcess | undefined;

function plainConnector(port: number): Connector {
  return () =>
    new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
}

interface Door {
  connector: Connector;
  /** Listens inside the namespace; every connection accepted there is given to `onSocket`. */
  listen(onSocket: (s: Socket) => void): Promise<number>;
}

/** A door process started inside `netns`, towards 127.0.0.1:`port` there. */
function openDoor(netns: string, port: number): Door {
  const script = fileURLToPath(new URL('./netns-door.ts', import.meta.url));
  const proc = spawn('ip', ['netns', 'exec', netns, process.execPath, '--import', 'tsx', script], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  door = proc;
  const waiting = new Map<number, { resolve: (s: Socket) => void; reject: (e: Error) => void }>();
  let next = 1;
  let onAccepted: ((s: Socket) => void) | undefined;
  let listening: ((port: number) => void) | undefined;
  proc.on(
    'message',
    (
      msg: { id: number; ok: boolean; error?: string; port?: number; accepted?: boolean },
      handle: unknown,
    ) => {
      if (msg.accepted && handle instanceof Socket) return onAccepted?.(handle);
      if (msg.id === 0 && typeof msg.port === 'number') return listening?.(msg.port);
      const w = waiting.get(msg.id);
      if (!w) return;
      waiting.delete(msg.id);
      if (msg.ok && handle instanceof Socket) w.resolve(handle);
      else w.reject(new Error(msg.error ?? 'the door sent no socket'));
    },
  );
  proc.once('exit', () => {
    for (const w of waiting.values()) w.reject(new Error('the netns door exited'));
    waiting.clear();
  });
  const connector: Connector = () =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the netns door did not answer'));
      }, DOOR_TIMEOUT_MS);
      waiting.set(id, {
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      proc.send({ id, port });
    });
  return {
    connector,
    listen: (onSocket) =>
      new Promise((resolve) => {
        onAccepted = onSocket;
        listening = resolve;
        proc.send({ id: 0, op: 'listen', port: 1 });
      }),
  };
}

process.on('exit', () => {
  if (door?.pid !== undefined && door.exitCode === null) process.kill(door.pid, 'SIGKILL');
});

// The emulator stands in for the network, so it keeps V8's own collector: with clawbridge's tuning
// (no incremental marking, ADR 0007) each of its major collections stopped every segment on the link
// for 20–30 ms at once, and keys typed under load read those pauses as echo time (`broadband` echo
// under load at p99: RTT + 47 and + 52 ms in two runs so; RTT + 24 and + 24 in two without).
serveParent(
  async (req) => {
    switch (req.op) {
      case 'start': {
        if (emulator) throw new Error('the emulator is already running');
        const spec = validLinkSpec(req.spec);
        const port = req.targetPort;
        if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
          throw new Error('targetPort must be a TCP port');
        const netns = req.netns;
        if (netns !== undefined && (typeof netns !== 'string' || !/^[a-z0-9]+$/.test(netns)))
          throw new Error('netns must be a namespace name');
        if (req.reverse === true) {
          // Clients inside the namespace, the serving side (a relay) on the host's loopback.
          if (!netns) throw new Error('reverse needs a netns');
          connector = plainConnector(port);
          const em = new LinkEmulator(spec, connector);
          emulator = em;
          return {
            port: await openDoor(netns, 1).listen((s) => {
              em.accept(s).catch(logFailure(console, 'an emulated link'));
            }),
          };
        }
        connector = netns ? openDoor(netns, port).connector : plainConnector(port);
        emulator = new LinkEmulator(spec, connector);
        return { port: await emulator.listen() };
      }
      case 'probe': {
        if (!connector) throw new Error('not started');
        try {
          (await connector()).destroy();
          return true;
        } catch {
          return false;
        }
      }
      case 'stats':
        if (!emulator) throw new Error('not started');
        return emulator.stats();
      case 'reset':
        emulator?.resetStats();
        return null;
      default:
        throw new Error(`unknown op ${req.op}`);
    }
  },
  { tuneGc: false },
);
