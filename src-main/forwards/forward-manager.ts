/**
 * The node's local listeners — TCP forwards, SOCKS5 and HTTP proxies (DESIGN §9): saved in settings as
 * `forwards`, started with the agent (a saved one whose port is taken shows state `error` and a notice
 * instead of stopping the agent), stopped with it, and removed with their port freed at once. Each counts
 * connections and bytes.
 */
import type { Socket } from 'node:net';
import type { Agent } from '../agent/agent.js';
import type { ForwardRecord } from '../agent/settings.js';
import type { ForwardInfo, ForwardState, ProxyInfo } from '../api/contract.js';
import { ClawError, errorMessage } from '../core/errors.js';
import { parseHostPort } from '../core/host-port.js';
import type { Dialer } from './dialer.js';
import type { FrontEndContext } from './front-end.js';
import { handleHttpProxyConnection } from './http-proxy.js';
import { listenTcp, type TcpListener } from './listener.js';
import { handleSocksConnection } from './socks-server.js';
import { handleTcpForwardConnection } from './tcp-forward.js';

interface Counters {
  connections: number;
  bytesIn: number;
  bytesOut: number;
}

interface Running {
  record: ForwardRecord;
  listener: TcpListener | undefined;
  state: ForwardState;
  error: string | undefined;
  counters: Counters;
}

export class ForwardManager {
  private readonly running = new Map<string, Running>();
  private stopped = false;

  constructor(
    private readonly agent: Agent,
    private readonly dialer: Dialer,
  ) {}

  /** Starts every saved listener; one that cannot bind is kept in state `error` with a notice. */
  async restore(): Promise<void> {
    for (const record of this.agent.settings.get().forwards) {
      const run = this.track(record);
      try {
        await this.listen(run);
      } catch (err) {
        run.state = 'error';
        run.error = errorMessage(err);
        const line = `${record.kind === 'tcp' ? 'forward' : 'proxy'} ${record.name}: ${run.error}`;
        this.agent.log.warn({ forward: record.name }, line);
        this.agent.events.emit('notice', line);
      }
    }
  }

  /**
   * Starts a new listener and saves it.
   * @throws ClawError('BAD_ARGUMENT') when the name is taken, ClawError('ADDRESS_IN_USE') when the port is.
   */
  async add(record: ForwardRecord): Promise<void> {
    if (this.stopped) throw new ClawError('NO_AGENT', 'the agent is stopping; start it again first');
    if (this.running.has(record.name)) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `a forward or proxy named '${record.name}' already exists; pick another --name or remove it first`,
      );
    }
    const run: Running = { record, listener: undefined, state: 'error', error: undefined, counters: zero() };
    await this.listen(run);
    if (this.running.has(record.name)) {
      // Another add with the same name won the race while we were binding.
      await run.listener?.close();
      throw new ClawError('BAD_ARGUMENT', `a forward or proxy named '${record.name}' already exists`);
    }
    this.running.set(record.name, run);
    this.agent.settings.update((s) => ({
      ...s,
      forwards: [...s.forwards.filter((f) => f.name !== record.name), record],
    }));
    this.agent.changed();
  }

  /**
   * Stops a listener (resetting its connections), frees its port and forgets it.
   * @throws ClawError('BAD_ARGUMENT') when there is none of that kind by that name.
   */
  async remove(name: string, kinds: readonly ForwardRecord['kind'][]): Promise<void> {
    const run = this.running.get(name);
    if (!run || !kinds.includes(run.record.kind)) {
      const what = kinds.includes('tcp') ? 'forward' : 'proxy';
      throw new ClawError(
        'BAD_ARGUMENT',
        `no ${what} named '${name}'; \`clawbridge ${what} list\` shows them`,
      );
    }
    this.running.delete(name);
    this.agent.settings.update((s) => ({ ...s, forwards: s.forwards.filter((f) => f.name !== name) }));
    await run.listener?.close();
    this.agent.changed();
  }

  /** Names already in use (forwards and proxies share one namespace, so `rm NAME` is never ambiguous). */
  names(): Set<string> {
    return new Set(this.running.keys());
  }

  forwards(): ForwardInfo[] {
    return [...this.running.values()]
      .filter((r) => r.record.kind === 'tcp')
      .map((r) => ({
        name: r.record.name,
        local: r.listener?.address ?? r.record.listen,
        via: r.record.via ?? '',
        remote: r.record.remote ?? '',
        ...status(r),
      }));
  }

  proxies(): ProxyInfo[] {
    return [...this.running.values()]
      .filter((r) => r.record.kind !== 'tcp')
      .map((r) => ({
        name: r.record.name,
        kind: r.record.kind as 'socks' | 'http',
        local: r.listener?.address ?? r.record.listen,
        via: r.record.via ?? null,
        ...status(r),
      }));
  }

  /** Closes every listener and its connections; the saved list stays for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.running.values()].map((r) => r.listener?.close() ?? Promise.resolve()));
    this.running.clear();
  }

  private track(record: ForwardRecord): Running {
    const run: Running = { record, listener: undefined, state: 'error', error: undefined, counters: zero() };
    this.running.set(record.name, run);
    return run;
  }

  private async listen(run: Running): Promise<void> {
    const { host, port } = parseHostPort(run.record.listen, '127.0.0.1');
    run.listener = await listenTcp(host, port, (socket) => this.accept(run, socket));
    run.state = 'listening';
    run.error = undefined;
    this.agent.log.info(
      { forward: run.record.name, local: run.listener.address },
      `${run.record.kind} listener up`,
    );
  }

  private accept(run: Running, socket: Socket): void {
    run.counters.connections++;
    const { record } = run;
    const ctx: FrontEndContext = {
      name: record.name,
      dialer: this.dialer,
      log: this.agent.log,
      counters: {
        bytesIn: (n) => (run.counters.bytesIn += n),
        bytesOut: (n) => (run.counters.bytesOut += n),
      },
      notice: (line) => this.agent.events.emit('notice', line),
    };
    if (record.kind === 'socks') void handleSocksConnection(socket, { ...ctx, via: record.via });
    else if (record.kind === 'http')
      void handleHttpProxyConnection(socket, { ...ctx, via: record.via ?? '' });
    else {
      const remote = parseHostPort(record.remote ?? '');
      void handleTcpForwardConnection(socket, { ...ctx, via: record.via ?? '', ...remote });
    }
  }
}

function zero(): Counters {
  return { connections: 0, bytesIn: 0, bytesOut: 0 };
}

function status(r: Running): { state: ForwardState; error?: string } & Counters {
  return { state: r.state, ...r.counters, ...(r.state === 'error' && r.error ? { error: r.error } : {}) };
}
