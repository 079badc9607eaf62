/**
 * The connections a local forward's or proxy's listener accepts (forward-manager.ts runs the
 * listeners): each goes to its front end (a TCP forward, SOCKS5 or HTTP proxy) with the run's counters,
 * its problems said as notices, and a dialer that reaches the run's exit peer by fingerprint.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Notifier } from '../state/notices.js';
import type { PeerDirectory } from '../links/ports.js';
import type { ConnectionsOpened } from '../services/opened-connections.js';
import type { SavedForwards } from './saved-forwards.js';
import type { ForwardRecord } from './saved-forward-schema.js';
import { errorMessage } from '../core/errors.js';
import { parseHostPort } from '../core/host-port.js';
import { background } from '../core/background.js';
import { boundPeer } from './bound-peer.js';
import { ConnectError, type Dialer } from './dialer.js';
import type { FrontEndContext } from './front-end.js';
import type { Run } from './forward-run.js';
import { handleHttpProxyConnection } from './http-proxy.js';
import { handleSocksConnection } from './socks-server.js';
import { handleTcpForwardConnection } from './tcp-forward.js';
import { trackerFor } from './track-peer.js';

/** A forward's record as it is added or saved (`enabled` may be left to its default). */
export type ServedRecord = Omit<ForwardRecord, 'enabled'> & { enabled?: boolean };

/** What serving a run's connections uses. */
export interface RunServingDeps {
  readonly log: Logger;
  readonly notices: Notifier;
  readonly saved: Pick<SavedForwards, 'forward'>;
  readonly links: Pick<PeerDirectory, 'peerEntries'>;
  /** Where each open connection is listed; absent: not listed. */
  readonly connections?: ConnectionsOpened | undefined;
  /** The dialer every forward's connections go through (before binding to its exit peer). */
  readonly dialer: Dialer;
  /** A connection opened or closed, or a problem came or went: counters moved. */
  moved(): void;
}

export class RunServing {
  constructor(private readonly deps: RunServingDeps) {}

  /** One connection accepted on `run`'s TCP listener. */
  accept(run: Run, socket: Socket): void {
    const deps = this.deps;
    run.counters.connections++;
    run.counters.open++;
    deps.moved();
    socket.once('close', () => {
      run.counters.open--;
      deps.moved();
    });
    // The record as saved now: a SOCKS proxy whose exit peer was renamed dials it by its new name.
    const record = deps.saved.forward(run.name);
    if (!record) return void socket.destroy();
    const ctx = this.frontEndContext(run, record);
    const { secret } = record;
    // Each handler says its failures itself; a throw past that (a bug) ends this connection only.
    const served = (handling: Promise<void>) =>
      background(handling, (err) => {
        deps.log.warn({ forward: run.name }, `connection failed: ${errorMessage(err)}`);
        socket.destroy();
      });
    if (record.kind === 'socks') served(handleSocksConnection(socket, { ...ctx, via: record.via, secret }));
    else if (record.kind === 'http')
      served(handleHttpProxyConnection(socket, { ...ctx, via: record.via ?? '', secret }));
    else {
      const remote = parseHostPort(record.remote ?? '');
      served(handleTcpForwardConnection(socket, { ...ctx, via: record.via ?? '', ...remote }));
    }
  }

  /** What a front end reports to: the run's counters and problem, the agent's notices. */
  frontEndContext(run: Run, record: ServedRecord): FrontEndContext {
    const deps = this.deps;
    return {
      name: record.name,
      noun: forwardNoun(record),
      dialer: this.dialerFor(record),
      log: deps.log,
      counters: {
        bytesIn: (n) => (run.counters.bytesIn += n),
        bytesOut: (n) => (run.counters.bytesOut += n),
      },
      problem: (message, fields, quiet) => {
        run.problem = { message, at: Date.now() };
        if (!quiet)
          deps.notices.notice(
            { kind: forwardNoun(record), message: `${forwardNoun(record)} ${record.name}: ${message}` },
            fields,
          );
        deps.moved();
      },
      opened: () => {
        if (run.problem === undefined) return;
        run.problem = undefined;
        deps.moved();
      },
      track: trackerFor(deps.connections, deps.links),
    };
  }

  /**
   * The dialer for `record`'s connections: its own exit peer is reached by fingerprint, under the name
   * that peer has now, and a peer that is gone is refused with why (a SOCKS client that names another
   * peer as its user name gets that peer, as it asked).
   */
  dialerFor(record: ServedRecord): Dialer {
    const { via, viaFingerprint } = record;
    const dialer = this.deps.dialer;
    if (via === undefined || viaFingerprint === undefined) return dialer;
    /** The name to dial `peer` by now, or why the bound peer cannot be dialed. */
    const peerNow = (peer: string): string => {
      if (peer !== via) return peer;
      const entry = boundPeer(this.deps.links, record);
      if (entry) return entry.record.name;
      const what = record.kind === 'tcp' ? 'forward' : 'proxy';
      throw new ConnectError(
        'unknown-peer',
        `${via} (${viaFingerprint.slice(0, 8)}…), the peer this ${what} goes through, is no longer a peer here: pair it again, or remove the ${what} and add it via another peer`,
      );
    };
    return {
      connect: async (peer, host, port, opts) => dialer.connect(peerNow(peer), host, port, opts),
      ...(dialer.connectUdp
        ? {
            connectUdp: async (peer: string, host: string, port: number, idleMs: number) =>
              dialer.connectUdp!(peerNow(peer), host, port, idleMs),
          }
        : {}),
    };
  }
}

/** What the user calls a record in messages: a TCP one is a forward, SOCKS and HTTP are proxies. */
export function forwardNoun(record: Pick<ForwardRecord, 'kind'>): 'forward' | 'proxy' {
  return record.kind === 'tcp' ? 'forward' : 'proxy';
}
