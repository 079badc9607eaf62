/**
 * `clawbridge relay`: loads or creates the relay's TLS certificate, starts the server, prints the one
 * line scripts wait for, and logs to stderr.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { ClawError, errorMessage } from '../core/errors.js';
import { parseHostPort } from '../core/host-port.js';
import { generateIdentity, loadIdentity } from '../crypto/identity.js';
import { fingerprintOfCert } from '../crypto/signature.js';
import { resolveHome } from '../agent/home-dir.js';
import { nodeKeyFileSystem, writeFileDurably } from '../agent/identity-store.js';
import { removeStaleTempFiles } from '../agent/stale-temp-files.js';
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
  return loadOrCreateRelayTls(resolveHome(opts.home));
}

/** Files of the relay's own self-signed TLS identity in its home: clients pin its fingerprint. */
export const RELAY_CERT_FILE = 'relay-tls.crt';
export const RELAY_KEY_FILE = 'relay-tls.key';

/**
 * The relay's self-signed certificate and key from `home`, created on first start. Clients pin its
 * fingerprint, so a damaged or half-present pair is an error naming the files, never silently replaced
 * by a new identity; a new pair is written key first, each file whole or not at all (a crash in
 * between leaves a key without a certificate, which the next start replaces: nobody pinned it yet).
 */
export async function loadOrCreateRelayTls(home: string): Promise<{ certPem: string; keyPem: string }> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  removeStaleTempFiles(home, [RELAY_CERT_FILE, RELAY_KEY_FILE]);
  const fs = nodeKeyFileSystem;
  const certPath = join(home, RELAY_CERT_FILE);
  const keyPath = join(home, RELAY_KEY_FILE);
  const [cert, key] = await Promise.all([fs.read(certPath), fs.read(keyPath)]);
  if (cert !== undefined && key !== undefined) {
    const [certPem, keyPem] = [cert.toString('utf8'), key.toString('utf8')];
    try {
      loadIdentity(certPem, keyPem);
    } catch (err) {
      throw new ClawError(
        'CONFIG_INVALID',
        `relay TLS identity in ${home} is damaged (${errorMessage(err)}); restore ${RELAY_CERT_FILE} and ${RELAY_KEY_FILE} from a backup, or move both away to create a new one (clients pinned the old fingerprint and will need the new one)`,
      );
    }
    return { certPem, keyPem };
  }
  if (cert !== undefined) {
    throw new ClawError(
      'CONFIG_INVALID',
      `relay TLS identity in ${home} is incomplete: found only ${RELAY_CERT_FILE}; restore ${RELAY_KEY_FILE}, or move ${RELAY_CERT_FILE} away to create a new identity`,
    );
  }
  const id = await generateIdentity('clawbridge relay');
  await writeFileDurably(fs, keyPath, id.keyPem, 0o600);
  await writeFileDurably(fs, certPath, id.certPem, 0o644);
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
