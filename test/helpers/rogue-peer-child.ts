/**
 * A peer that misbehaves, run as its own process so the test that watches the agent is not slowed by
 * it (the two share no event loop): it dials the agent's direct listener with an identity the agent
 * trusts, says hello on a control stream as any peer does, and then either opens COUNT streams to a
 * service that does not exist (`streams`) or writes COUNT newlines on its control stream (`newlines`).
 *
 * Run: node --import tsx rogue-peer-child.ts CONFIG_JSON, where CONFIG_JSON is a RoguePeerConfig.
 * Prints one JSON line per second of progress and a last line `{"done":true,...}`.
 */
import { loadIdentity } from '../../src-main/crypto/identity.js';
import { ownHello } from '../../src-main/links/control-service.js';
import { Mux } from '../../src-main/mux/mux.js';
import { dialDirect } from '../../src-main/transport/direct.js';
import { until } from './wait.js';

export interface RoguePeerConfig {
  certPem: string;
  keyPem: string;
  /** The agent's direct listener, `127.0.0.1:PORT`. */
  address: string;
  /** The agent's fingerprint. */
  expectedPeer: string;
  mode: 'streams' | 'newlines';
  /** Streams to open, or newlines to write. */
  count: number;
}

export interface RoguePeerReport {
  done: boolean;
  /** Streams answered (accepted or refused), or newline bytes written. */
  sent: number;
  refused: number;
  /** The control stream was closed by the agent (newlines mode). */
  controlClosed: boolean;
  ms: number;
  error?: string;
}

/** Streams waiting for their answer at once: under the agent's MAX_INBOUND_STREAMS per link. */
const IN_FLIGHT = 256;
/** Newlines per write. */
const CHUNK = 16 * 1024;
/** The longest wait, in ms, for the agent to close the control stream after the last newline. */
const CLOSE_WAIT_MS = 30_000;

const config = JSON.parse(process.argv[2] ?? '{}') as RoguePeerConfig;
const report: RoguePeerReport = { done: false, sent: 0, refused: 0, controlClosed: false, ms: 0 };
const t0 = Date.now();
const say = () => process.stdout.write(`${JSON.stringify({ ...report, ms: Date.now() - t0 })}\n`);
const progress = setInterval(say, 1000);

async function main(): Promise<void> {
  const identity = loadIdentity(config.certPem, config.keyPem);
  const link = await dialDirect({ identity, address: config.address, expectedPeer: config.expectedPeer });
  const mux = new Mux(link, {
    onStream: (req) => {
      // The agent's own control stream: taken and drained, as a peer does.
      if (req.service !== 'control') return req.reject('UNKNOWN_SERVICE', 'no');
      const s = req.accept();
      s.on('error', () => undefined);
      s.resume();
    },
  });
  const control = await mux.open('control', ownHello('rogue', [], undefined));
  control.on('error', () => undefined);
  control.on('close', () => (report.controlClosed = true));
  control.resume();
  if (config.mode === 'streams') {
    let next = 0;
    const worker = async () => {
      while (next < config.count && !mux.closed) {
        next++;
        try {
          const s = await mux.open('no-such-service', {});
          s.destroy();
        } catch {
          report.refused++;
        }
        report.sent++;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  } else {
    const chunk = Buffer.alloc(CHUNK, 0x0a);
    while (report.sent < config.count && !report.controlClosed) {
      const n = Math.min(CHUNK, config.count - report.sent);
      const ok = control.write(n === CHUNK ? chunk : chunk.subarray(0, n));
      report.sent += n;
      if (!ok) {
        await new Promise<void>((resolve) => {
          const done = () => {
            control.off('drain', done);
            control.off('close', done);
            resolve();
          };
          control.once('drain', done);
          control.once('close', done);
        });
      }
    }
    // The agent reads what arrived and answers it by closing the control stream: that close, or the
    // bound (then the report says the stream stayed open, and the test fails on that, not here).
    await until('the agent to close the control stream', () => report.controlClosed, CLOSE_WAIT_MS).catch(
      () => undefined,
    );
  }
  mux.close('rogue done');
}

main()
  .catch((err: unknown) => (report.error = err instanceof Error ? err.message : String(err)))
  .finally(() => {
    clearInterval(progress);
    report.done = true;
    say();
    process.exit(0);
  });
