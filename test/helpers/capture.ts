/**
 * A packet capture of one TCP port on loopback (tcpdump), for tests that show the relay carries no
 * plaintext. Undefined when it cannot run here (not root, or tcpdump missing and not installable).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempHome } from './processes.js';
import { sleep, until } from './wait.js';

export interface Capture {
  /** Ends the capture once its last packets are written. */
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

/** Starts capturing `port` on lo; undefined (and says why) when captures cannot run here. */
export async function startCapture(port: number): Promise<Capture | undefined> {
  const why = captureUnavailable();
  if (why) {
    console.log(`# relay capture skipped: ${why}`);
    return undefined;
  }
  const pcap = join(tempHome('pcap'), 'relay.pcap');
  const dump = spawn('tcpdump', ['-i', 'lo', '-U', '-s', '0', '-w', pcap, 'tcp', 'port', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  dump.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  await until('tcpdump listening', () => /listening on/.test(err), 30_000);
  return {
    stop: async () => {
      if (dump.exitCode !== null) return;
      await sleep(500, 'the capture takes in the last packets; it says nothing when');
      dump.kill('SIGINT');
      await new Promise((r) => dump.once('exit', r));
    },
    bytes: () => readFileSync(pcap),
  };
}
