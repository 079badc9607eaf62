/**
 * `clawbridge relay`: loads or creates the relay's TLS certificate, starts the server, prints the one
 * line scripts wait for, and logs to stderr.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { ClawError } from '../core/errors.js';
import { parseHostPort } from '../core/host-port.js';
import { generateIdentity } from '../crypto/identity.js';
import { fingerprintOfCert } from '../crypto/signature.js';
import { resolveHome } from '../agent/home-dir.js';
import { startRelayServer } from '../relay/server.js';
import { X509Certificate } from 'node:crypto';

export interface RelayCliOptions {
  listen: string;
  home?: string;
  token?: string;
  /** `--metrics-token-required`: GET /metrics asks for `Authorization: Bearer <--token>`. */
  metricsTokenRequired?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tls?: boolean;
}

async function relayTls(opts: RelayCliOptions): Promise<{ certPem: string; keyPem: string } | undefined> {
  if (opts.tls === false) {
    if (opts.tlsCert || opts.tlsKey)
      throw new ClawError('BAD_ARGUMENT', '--no-tls cannot be combined with --tls-cert/--tls-key');
    return undefined;
  }
  if (opts.tlsCert || opts.tlsKey) {
    if (!opts.tlsCert || !opts.tlsKey)
      throw new ClawError('BAD_ARGUMENT', '--tls-cert and --tls-key go together');
    const [certPem, keyPem] = await Promise.all([
      readFile(opts.tlsCert, 'utf8'),
      readFile(opts.tlsKey, 'utf8'),
    ]).catch((err: Error) => {
      throw new ClawError('BAD_ARGUMENT', `cannot read TLS files: ${err.message}`);
    });
    return { certPem, keyPem };
  }
  const home = resolveHome(opts.home);
  await mkdir(home, { recursive: true, mode: 0o700 });
  const certPath = join(home, 'relay-tls.crt');
  const keyPath = join(home, 'relay-tls.key');
  const existing = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]).catch(
    () => undefined,
  );
  if (existing) return { certPem: existing[0], keyPem: existing[1] };
  const id = await generateIdentity('clawbridge relay');
  await writeFile(`${keyPath}.tmp`, id.keyPem, { mode: 0o600 });
  await rename(`${keyPath}.tmp`, keyPath);
  await writeFile(certPath, id.certPem, { mode: 0o644 });
  return { certPem: id.certPem, keyPem: id.keyPem };
}

export async function startRelayFromCli(opts: RelayCliOptions): Promise<void> {
  const { host, port } = parseHostPort(opts.listen);
  if (opts.metricsTokenRequired && !opts.token) {
    throw new ClawError(
      'BAD_ARGUMENT',
      '--metrics-token-required needs --token: /metrics then asks for that token (Authorization: Bearer)',
    );
  }
  const tls = await relayTls(opts);
  const logger = pino({ level: process.env.CLAWBRIDGE_LOG ?? 'info' }, pino.destination(2));
  const server = await startRelayServer({
    host,
    port,
    ...(tls ? { tls } : {}),
    ...(opts.token ? { token: opts.token } : {}),
    ...(opts.metricsTokenRequired ? { metricsTokenRequired: true } : {}),
    logger,
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE')
      throw new ClawError('BAD_ARGUMENT', `${opts.listen} is already in use; pick another --listen`);
    throw err;
  });
  const fingerprint = tls ? fingerprintOfCert(new X509Certificate(tls.certPem).raw) : undefined;
  const hostShown = host.includes(':') ? `[${host}]` : host;
  console.log(
    `relay listening on ${tls ? 'wss' : 'ws'}://${hostShown}:${server.port}${fingerprint ? ` fingerprint ${fingerprint}` : ''}`,
  );
  const stop = () => void server.close().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
