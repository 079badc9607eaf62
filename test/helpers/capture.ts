/**
 * A packet capture of TCP ports on loopback (tcpdump), for tests that show the wire carries no
 * plaintext. Undefined when it cannot run here (not root, or tcpdump missing and not installable).
 *
 * tcpdump says nothing when it has written a packet, so `stop` sends a marker of its own: a UDP datagram
 * with a random payload to a port the capture also watches, sent after the test's traffic. Loopback hands
 * packets to the capture in the order they were sent, so once the marker is in the file every packet
 * before it is too, and the capture can end without a guessed wait.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempHome } from './processes.js';
import { until } from './wait.js';

export interface Capture {
  /** Ends the capture once every packet sent before the call is written. */
  stop(): Promise<void>;
  /** What was captured (after stop). */
  bytes(): Buffer;
}

/** Why a capture cannot run here, or undefined when it can (installs tcpdump with apt as root). */
export function captureUnavailable(): string | undefined {
  const has = () => spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0;
  if (process.getuid?.() !== 0) return 'capturing packets needs root';
  if (has()) return undefined;
  spawnSync('apt-get', ['install', '-y', '-q', 'tcpdump'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return has() ? undefined : 'tcpdump could not be installed with apt-get';
}

/**
 * Starts capturing TCP `ports` (one or several) on lo; undefined (and says why, naming `what`) when
 * captures cannot run here.
 */
export async function startCapture(ports: number | number[], what = 'relay'): Promise<Capture | undefined> {
  const why = captureUnavailable();
  if (why) {
    console.log(`# ${what} capture skipped: ${why}`);
    return undefined;
  }
  // The marker's own socket: bound, so its port is one no other test sends to while this one runs.
  const marker = createSocket('udp4');
  await new Promise<void>((r) => marker.bind(0, '127.0.0.1', r));
  const markerPort = marker.address().port;
  const tcp = [ports].flat().flatMap((p, i) => [...(i ? ['or'] : []), 'port', String(p)]);
  const filter = [
    '(',
    'tcp',
    'and',
    '(',
    ...tcp,
    ')',
    ')',
    'or',
    '(',
    'udp',
    'port',
    String(markerPort),
    ')',
  ];
  const pcap = join(tempHome('pcap'), 'capture.pcap');
  const dump = spawn('tcpdump', ['-i', 'lo', '-U', '-s', '0', '-w', pcap, ...filter], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  dump.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  await until('tcpdump listening', () => /listening on/.test(err), 30_000);
  return {
    stop: async () => {
      if (dump.exitCode !== null) {
        marker.close();
        return;
      }
      const payload = Buffer.from(`CAPTURE-END-${randomBytes(12).toString('hex')}`);
      try {
        // Sent again at each check: a datagram is the one packet loopback may drop under load.
        await until(
          `the capture's end marker in ${pcap} (tcpdump: ${err.trim()})`,
          async () => {
            await new Promise((r) => marker.send(payload, markerPort, '127.0.0.1', r));
            return readFileSync(pcap).includes(payload);
          },
          { timeoutMs: 30_000, everyMs: 50 },
        );
      } finally {
        // Ended either way: a capture left running would outlive the test.
        if (dump.exitCode === null) {
          dump.kill('SIGINT');
          await new Promise((r) => dump.once('exit', r));
        }
        marker.close();
      }
    },
    bytes: () => readFileSync(pcap),
  };
}
