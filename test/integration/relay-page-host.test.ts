/**
 * The relay's page and browser upgrades against DNS rebinding (ADR 0098), on real `clawbridge relay`
 * processes: a page on evil.example whose name now points at the relay sends `Host: evil.example:P`
 * and `Origin: http://evil.example:P`, which an Origin check alone took as the relay's own page. The
 * relay answers it 421, and still serves its page and socket at its real names: loopback, the names
 * given with --public-name (any port: a TLS proxy in front) and the names in its TLS certificate.
 * Nodes (no Origin) and health checks are not browser pages and reach it by any name.
 */
import 'reflect-metadata';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { startProcess, stopAll, tempHome } from '../helpers/processes.js';

after(stopAll);

interface Answer {
  status: number;
  body: string;
}

/**
 * A request to the relay on 127.0.0.1:`port` that names `headers.host` (a browser's, wherever the name
 * points): its status, or 101 for an upgrade taken.
 */
function ask(
  port: number,
  path: string,
  headers: Record<string, string>,
  opts: { tls?: boolean; upgrade?: boolean } = {},
): Promise<Answer> {
  const upgrade = opts.upgrade
    ? {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      }
    : {};
  return new Promise<Answer>((resolve, reject) => {
    const send = opts.tls ? httpsRequest : httpRequest;
    const req = send({
      host: '127.0.0.1',
      port,
      path,
      headers: { ...headers, ...upgrade },
      rejectUnauthorized: false,
      timeout: 10_000,
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, body: '' });
    });
    req.on('response', (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from the relay for ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

/** A browser's page load at `host` and its WebSocket from that page (Origin = the page's own). */
async function asBrowser(
  port: number,
  host: string,
  scheme: 'http' | 'https',
): Promise<{ page: number; socket: number }> {
  const tls = scheme === 'https';
  const page = await ask(port, '/', { host }, { tls });
  const socket = await ask(port, '/', { host, origin: `${scheme}://${host}` }, { tls, upgrade: true });
  return { page: page.status, socket: socket.status };
}

async function startRelayProcess(args: string[]): Promise<number> {
  const proc = startProcess(['relay', '--listen', '127.0.0.1:0', '--home', tempHome('relay-host'), ...args]);
  const m = await proc.waitForLine(/^relay listening on wss?:\/\/127\.0\.0\.1:(\d+)/m);
  await proc.waitForLine(/^relay page at /m);
  return Number(m[1]);
}

test('a rebinding Host is refused (421) for the page and the socket; loopback and --public-name are served', async () => {
  const port = await startRelayProcess(['--no-tls', '--public-name', 'Relay.Test']);
  const evil = `evil.example:${port}`;
  const rebound = await asBrowser(port, evil, 'http');
  assert.deepEqual(rebound, { page: 421, socket: 421 }, 'a DNS-rebinding page gets neither page nor socket');
  const refusal = await ask(port, '/', { host: evil });
  assert.match(refusal.body, /--public-name/, 'the refusal says how an operator adds a name');

  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'relay.test', `relay.test:${port}`]) {
    assert.deepEqual(await asBrowser(port, host, 'http'), { page: 200, socket: 101 }, host);
  }
  const node = await ask(port, '/', { host: evil }, { upgrade: true });
  assert.equal(node.status, 101, 'a node (no Origin) connects by any name it was given');
  assert.equal((await ask(port, '/healthz', { host: evil })).status, 200, 'a health check by any name');
  const metrics = await ask(port, '/metrics', { host: `127.0.0.1:${port}` });
  assert.match(metrics.body, /auth_failures_total\{reason="host_refused"\} 1/, 'the refusal is counted');
});

/** A self-signed certificate and key for the names given (DNS names and IP addresses). */
async function certFor(dns: string[], ips: string[]): Promise<{ certFile: string; keyFile: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${dns[0]}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        ...dns.map((value) => ({ type: 'dns' as const, value })),
        ...ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
    ],
  });
  const dir = tempHome('relay-host-cert');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  writeFileSync(certFile, cert.toString('pem'));
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  writeFileSync(keyFile, x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), { mode: 0o600 });
  return { certFile, keyFile };
}

test('a relay with its own certificate serves its page at the certificate’s names, and refuses others', async () => {
  const { certFile, keyFile } = await certFor(['relay.example', '*.relays.example'], ['192.0.2.9']);
  const port = await startRelayProcess(['--tls-cert', certFile, '--tls-key', keyFile]);
  for (const host of ['relay.example', `relay.example:${port}`, 'eu.relays.example', '192.0.2.9']) {
    assert.deepEqual(await asBrowser(port, host, 'https'), { page: 200, socket: 101 }, host);
  }
  for (const host of [`evil.example:${port}`, 'a.b.relays.example', 'relay.example.evil']) {
    assert.deepEqual(await asBrowser(port, host, 'https'), { page: 421, socket: 421 }, host);
  }
});
