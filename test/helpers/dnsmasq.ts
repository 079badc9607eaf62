/**
 * dnsmasq on 127.0.0.1 answering `www.example.test` with a fixed address, and `dig` to ask it: a DNS
 * server and client nobody here wrote, for the UDP forward tests.
 */
import { after } from 'node:test';
import { execFile, spawn } from 'node:child_process';
import { freeUdpPort } from './ports.js';
import { until } from './wait.js';

/** `dig +short` for www.example.test's A record at 127.0.0.1:`port`; undefined without an answer. */
export function digA(port: number, timeS = 2): Promise<string | undefined> {
  return new Promise((resolve) =>
    execFile(
      'dig',
      ['+short', '+tries=1', `+time=${timeS}`, '-p', String(port), '@127.0.0.1', 'www.example.test', 'A'],
      (err, stdout) => resolve(err ? undefined : stdout.trim() || undefined),
    ),
  );
}

/**
 * Starts dnsmasq answering www.example.test with `address`, stopped after the test file; resolves with
 * its port once it answered `dig` directly. Tests beside this one take free ports too, so one may take
 * the port looked up before dnsmasq binds it (dnsmasq then exits): up to three ports are tried.
 */
export async function startDnsmasq(address: string): Promise<number> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeUdpPort();
    const dns = spawn(
      'dnsmasq',
      [
        '--keep-in-foreground',
        '--no-resolv',
        '--no-hosts',
        '--conf-file=/dev/null',
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        `--port=${port}`,
        `--address=/example.test/${address}`,
        '--user=root',
        '--pid-file=',
      ],
      { stdio: 'ignore' },
    );
    after(() => dns.kill());
    const answer = await until('dnsmasq to answer', () => digA(port, 1), 5_000).catch(() => undefined);
    if (answer === address) return port;
    dns.kill();
  }
  throw new Error('dnsmasq did not answer on a free port in three tries');
}
