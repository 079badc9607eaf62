/**
 * A relay in its own process (bench/child.ts), so the relay rows use a third process as a real
 * deployment would, and so its RSS counts only the relay. `start` with kind `clawbridge` runs our
 * startRelayServer over ws:// (the E2E channel already encrypts; the bare relay is ws:// too), with the
 * per-IP limits raised because every bench connection comes from 127.0.0.1; kind `bare` runs the
 * baseline relay. `rss` answers the settled RSS in bytes, `stats` our relay's counters.
 */
import { startRelayServer, type RelayServer } from '../src-main/relay/server.js';
import { startBareRelay, type BareRelay } from './bare-relay.js';
import { serveParent, settledRss } from './child.js';

/**
 * Per-IP limits for the bench: all connections come from 127.0.0.1, so the defaults (32 connections,
 * 60 attempts a minute) would refuse the memory measurement. Everything else stays at its default.
 */
export const BENCH_RELAY_LIMITS = { connectionsPerIp: 100_000, authAttemptsPerMinute: 1_000_000 } as const;

let ours: RelayServer | undefined;
let bare: BareRelay | undefined;

serveParent(async (req) => {
  switch (req.op) {
    case 'start':
      if (req.kind === 'bare') {
        bare = await startBareRelay('127.0.0.1');
        return { url: bare.url, port: bare.port };
      }
      ours = await startRelayServer({ host: '127.0.0.1', port: 0, limits: BENCH_RELAY_LIMITS });
      return { url: ours.url, port: ours.port };
    case 'rss':
      return settledRss();
    case 'stats':
      return ours?.stats() ?? null;
    default:
      throw new Error(`unknown op ${req.op}`);
  }
});
