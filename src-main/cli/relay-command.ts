/**
 * `clawbridge relay`: loads or creates the relay's TLS certificate, starts the server, prints the one
 * line scripts wait for, and logs to stderr.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { pino } from 'pino';
import { startupOver, SUSTAINED_BUSY_CPU_MS } from '../runtime/compiler-tiers.js';
import { ClawError, errorMessage } from '../core/errors.js';
import { parseHostPort } from '../core/host-port.js';
import { generateIdentity, loadIdentity } from '../crypto/identity.js';
import { fingerprintOfCert } from '../crypto/signature.js';
import { ensureHomeDir, resolveHome } from '../home/home-dir.js';
import { nodeKeyFileSystem, protectKey, warnOnStderr, writeFileDurably } from '../home/identity-store.js';
import { removeStaleTempFiles } from '../home/stale-temp-files.js';
import { MAX_TOKEN_BYTES } from '../protocol/relay-frames.js';
import { loadRelayPage } from '../relay/page.js';
import { isRelayToken, startRelayServer } from '../relay/server.js';
import { exitAfterStop, stopOnSignals } from './stop-signals.js';
import { argvSecretWarning, readSecretFile } from './secret-file.js';

export interface RelayCliOptions {
  listen: string;
  home?: string;
  /** The access token on the command line, where other local users read it (`ps`): still taken, with a warning. */
  token?: string;
  /** `--token-file FILE`: the token is the file's content (one trailing line break dropped). */
  tokenFile?: string;
  /** `--metrics-token-required`: GET /metrics asks for `Authorization: Bearer <--token>`. */
  metricsTokenRequired?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tls?: boolean;
  /** `--tagged-listen-only`: LISTEN by raw alias (older nodes) is refused (RelayServerOptions.untaggedListen). */
  taggedListenOnly?: boolean;
  /** `--max-nodes N`: RelayLimits.maxNodes (relay/capacity.ts). */
  maxNodes?: string;
  /** `--max-memory MiB`: the RSS budget past which new nodes are refused. */
  maxMemory?: string;
  /** `--connections-per-ip N`: RelayLimits.connectionsPerIp. */
  connectionsPerIp?: string;
  /** `--no-page`: no browser-node page at `/` (ADR 0094). */
  page?: boolean;
  /** `--allow-origin`: browser pages besides the relay's own (RelayServerOptions.allowedOrigins). */
  allowOrigin?: string[];
  /** `--public-name`: names the page is served at (RelayServerOptions.publicNames, ADR 0098). */
  publicName?: string[];
}

/** A whole number ≥ 1 given to `flag`. */
function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new ClawError('BAD_ARGUMENT', `${flag} takes a whole number from 1 up, got '${value}'`);
  }
  return n;
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
    return readTlsFiles(opts.tlsCert, opts.tlsKey);
  }
  return loadOrCreateRelayTls(resolveHome(opts.home));
}

/** Files of the relay's own self-signed TLS identity in its home: clients pin its fingerprint. */
export const RELAY_CERT_FILE = 'relay-tls.crt';
export const RELAY_KEY_FILE = 'relay-tls.key';

const octal = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

async function readNamed(flag: string, path: string): Promise<string> {
  return readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ClawError(
      'BAD_ARGUMENT',
      `cannot read ${flag} ${path} (${err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message)}); check the path`,
    );
  });
}

/**
 * The operator's own certificate and key, checked here so that a wrong file is named in one line
 * rather than surfacing as a bare OpenSSL error (`key values mismatch`) from the HTTPS server.
 */
export async function readTlsFiles(
  certPath: string,
  keyPath: string,
): Promise<{ certPem: string; keyPem: string }> {
  const certPem = await readNamed('--tls-cert', certPath);
  const keyPem = await readNamed('--tls-key', keyPath);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new ClawError(
      'BAD_ARGUMENT',
      `--tls-cert ${certPath} is not a PEM certificate; pass the certificate file (BEGIN CERTIFICATE)`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new ClawError(
      'BAD_ARGUMENT',
      `--tls-key ${keyPath} is not an unencrypted PEM private key; pass the key file (BEGIN PRIVATE KEY)`,
    );
  }
  // checkPrivateKey, not a TLS context: OpenSSL takes a key of another algorithm than the
  // certificate's (an RSA key for an EC certificate) and then fails every handshake.
  let belongs = false;
  try {
    belongs = cert.checkPrivateKey(key);
    // No CA list: only the pair is checked here, and Node would otherwise parse its bundled roots too.
    createSecureContext({ cert: certPem, key: keyPem, ca: [] });
  } catch {
    belongs = false;
  }
  if (!belongs) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `--tls-key ${keyPath} does not belong to --tls-cert ${certPath}; pass the key the certificate was issued for`,
    );
  }
  return { certPem, keyPem };
}

/** Where the relay's one-line warnings go; stderr by default. */
export type WarnLine = (line: string) => void;

/**
 * The relay's home as the node's (home-dir.ts ensureHomeDir: created 0700, ours, group/other access
 * removed), saying so when it was open; a file or a directory we may not use is one line naming it.
 */
async function ensureRelayHome(home: string, warn: WarnLine): Promise<void> {
  const before = await stat(home).catch(() => undefined);
  try {
    ensureHomeDir(home);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      const why =
        code === 'EEXIST' ? 'is a file, not a directory' : 'cannot be created: part of its path is a file';
      throw new ClawError('CONFIG_INVALID', `relay home ${home} ${why}; pick another with --home`);
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new ClawError(
        'CONFIG_INVALID',
        `cannot create or use relay home ${home} (${code}); pick a directory you can write with --home`,
      );
    }
    throw err;
  }
  if (process.platform !== 'win32' && before?.isDirectory() && (before.mode & 0o077) !== 0) {
    warn(`relay home ${home} was open to other users (mode ${octal(before.mode)}); changed to 0700`);
  }
}

/**
 * The relay's self-signed certificate and key from `home`, created on first start. Clients pin its
 * fingerprint, so a damaged or half-present pair is an error naming the files, never silently replaced
 * by a new identity; a new pair is written key first, each file whole or not at all (a crash in
 * between leaves a key without a certificate, which the next start replaces: nobody pinned it yet).
 */
export async function loadOrCreateRelayTls(
  home: string,
  warn: WarnLine = warnOnStderr,
): Promise<{ certPem: string; keyPem: string }> {
  await ensureRelayHome(home, warn);
  return loadOrCreateIn(home, warn).catch((err: NodeJS.ErrnoException) => {
    if (err instanceof ClawError || err.code === undefined) throw err;
    throw new ClawError(
      'CONFIG_INVALID',
      `cannot read or write the relay TLS identity in ${home} (${err.code}${err.path ? ` on ${err.path}` : ''}); ${err.code === 'ENOSPC' ? 'free some disk space' : 'fix its permissions or pick another --home'}`,
    );
  });
}

async function loadOrCreateIn(home: string, warn: WarnLine): Promise<{ certPem: string; keyPem: string }> {
  removeStaleTempFiles(home, [RELAY_CERT_FILE, RELAY_KEY_FILE]);
  const fs = nodeKeyFileSystem;
  const certPath = join(home, RELAY_CERT_FILE);
  const keyPath = join(home, RELAY_KEY_FILE);
  const [cert, key] = await Promise.all([fs.read(certPath), fs.read(keyPath)]);
  if (key !== undefined)
    await protectKey(
      keyPath,
      warn,
      'relay TLS key',
      `move ${RELAY_CERT_FILE} and ${RELAY_KEY_FILE} away to create a new identity (clients will need its new fingerprint)`,
    );
  if (cert !== undefined && key !== undefined) {
    const [certPem, keyPem] = [cert.toString('utf8'), key.toString('utf8')];
    try {
      loadIdentity(certPem, keyPem);
    } catch (err) {
      // The loader's own advice is for a node's identity; what to do with the relay's is said here.
      throw new ClawError(
        'CONFIG_INVALID',
        `relay TLS identity in ${home} is damaged (${errorMessage(err).split(' \u2014 ')[0]}); restore ${RELAY_CERT_FILE} and ${RELAY_KEY_FILE} from a backup, or move both away to create a new one (clients pinned the old fingerprint and will need the new one)`,
      );
    }
    return { certPem, keyPem };
  }
  // Half a pair is never completed with a new half: clients pinned the fingerprint of the old pair.
  if (cert !== undefined || key !== undefined) {
    const [found, missing] =
      cert !== undefined ? [RELAY_CERT_FILE, RELAY_KEY_FILE] : [RELAY_KEY_FILE, RELAY_CERT_FILE];
    throw new ClawError(
      'CONFIG_INVALID',
      `relay TLS identity in ${home} is incomplete: found only ${found}; restore ${missing}, or move ${found} away to create a new identity (clients pinned the old fingerprint and will need the new one)`,
    );
  }
  const id = await generateIdentity('clawbridge relay');
  await writeFileDurably(fs, keyPath, id.keyPem, 0o600);
  try {
    await writeFileDurably(fs, certPath, id.certPem, 0o644);
  } catch (err) {
    // Nobody pinned the new key yet: take it back, or every later start would call the pair incomplete.
    await fs.remove(keyPath).catch(() => undefined);
    throw err;
  }
  return { certPem: id.certPem, keyPem: id.keyPem };
}

/**
 * The environment variable that gives `clawbridge relay` its access token. A process's environment is
 * readable by its own user only (`/proc/PID/environ` is 0400), its command line by every user (`ps`).
 */
export const RELAY_TOKEN_ENV = 'CLAWBRIDGE_RELAY_TOKEN';

/**
 * The relay's access token: `--token-file`, else `--token` (warned about), else the environment
 * variable; undefined for an open relay. Checked before the home is touched, in the terms of where it
 * came from (the server checks the same rule). An empty --token used to be dropped, running an open relay.
 * @throws ClawError('BAD_ARGUMENT') for both flags at once, or a token that is empty or too long
 */
export function relayTokenFrom(
  opts: Pick<RelayCliOptions, 'token' | 'tokenFile'>,
  env: NodeJS.ProcessEnv = process.env,
  warn: WarnLine = warnOnStderr,
): string | undefined {
  if (opts.token !== undefined && opts.tokenFile !== undefined) {
    throw new ClawError('BAD_ARGUMENT', '--token and --token-file both give the token; keep --token-file');
  }
  let token: string | undefined;
  let from: string;
  if (opts.tokenFile !== undefined) {
    token = readSecretFile('--token-file', opts.tokenFile, warn);
    from = `--token-file ${opts.tokenFile}`;
  } else if (opts.token !== undefined) {
    warn(argvSecretWarning('--token', `--token-file FILE or the ${RELAY_TOKEN_ENV} environment variable`));
    token = opts.token;
    from = '--token';
  } else {
    token = env[RELAY_TOKEN_ENV];
    from = RELAY_TOKEN_ENV;
  }
  if (token !== undefined && !isRelayToken(token)) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `${from}: the token must be 1 to ${MAX_TOKEN_BYTES} bytes (give none to run an open relay)`,
    );
  }
  return token;
}

export async function startRelayFromCli(opts: RelayCliOptions): Promise<void> {
  const { host, port } = parseHostPort(opts.listen);
  const token = relayTokenFrom(opts);
  if (opts.metricsTokenRequired && token === undefined) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `--metrics-token-required needs a token (--token-file or ${RELAY_TOKEN_ENV}): /metrics then asks for it (Authorization: Bearer)`,
    );
  }
  const maxNodes = opts.maxNodes === undefined ? undefined : positiveInt('--max-nodes', opts.maxNodes);
  const maxMemoryMiB = opts.maxMemory === undefined ? undefined : positiveInt('--max-memory', opts.maxMemory);
  const perIp =
    opts.connectionsPerIp === undefined
      ? undefined
      : positiveInt('--connections-per-ip', opts.connectionsPerIp);
  const limits = {
    ...(maxNodes !== undefined ? { maxNodes } : {}),
    ...(perIp !== undefined ? { connectionsPerIp: perIp } : {}),
  };
  // Armed before the slow part of the start (a certificate made, the port bound): a signal meanwhile
  // stops the relay once it listens.
  const signals = stopOnSignals();
  const tls = await relayTls(opts).catch((err: unknown) => {
    signals.cancel();
    throw err;
  });
  // Warnings and errors, as the agent logs (README); CLAWBRIDGE_LOG=info adds nodes coming and going.
  const logger = pino({ level: process.env.CLAWBRIDGE_LOG ?? 'warn' }, pino.destination(2));
  const page = opts.page === false ? undefined : loadRelayPage();
  const server = await startRelayServer({
    ...(page ? { page } : {}),
    ...(opts.allowOrigin?.length ? { allowedOrigins: opts.allowOrigin } : {}),
    ...(opts.publicName?.length ? { publicNames: opts.publicName } : {}),
    host,
    port,
    ...(tls ? { tls } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(opts.metricsTokenRequired ? { metricsTokenRequired: true } : {}),
    ...(opts.taggedListenOnly ? { untaggedListen: false } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(maxMemoryMiB !== undefined ? { capacity: { memoryBudgetBytes: maxMemoryMiB * 2 ** 20 } } : {}),
    logger,
  }).catch((err: NodeJS.ErrnoException) => {
    signals.cancel();
    if (err.code === 'EADDRINUSE')
      throw new ClawError('BAD_ARGUMENT', `${opts.listen} is already in use; pick another --listen`);
    throw err;
  });
  let stopping = false;
  signals.started((signal) => {
    stopping = true;
    server.close().then(
      () => exitAfterStop(signal, 0),
      (err: unknown) => {
        console.error(`clawbridge: the relay did not stop cleanly: ${errorMessage(err)}`);
        exitAfterStop(signal, 1);
      },
    );
  });
  if (stopping) return;
  const fingerprint = tls ? fingerprintOfCert(new X509Certificate(tls.certPem).raw) : undefined;
  const hostShown = host.includes(':') ? `[${host}]` : host;
  console.log(
    `relay listening on ${tls ? 'wss' : 'ws'}://${hostShown}:${server.port}${fingerprint ? ` fingerprint ${fingerprint}` : ''}`,
  );
  // The page's hash on a line of its own, after the line scripts wait for: compare it with the release's.
  if (page)
    console.log(`relay page at ${tls ? 'https' : 'http'}://${hostShown}:${server.port}/ sha256 ${page.hash}`);
  else if (opts.page !== false)
    logger.warn('relay serves no browser page: dist/web-node/ is not built (npm run build)');
  for (const path of page?.stale ?? [])
    logger.warn(
      `relay page: ${path} is not the file beside it, so that file is sent uncompressed (npm run build)`,
    );
  // Started: Sparkplug comes on (ADR 0062); TurboFan once the relay is busy with work that lasts (a
  // burst of registrations is not), for an idle relay would keep what its first compile made for good
  // (ADR 0075, with ADR 0076's sustained check; docs/design/loading-on-demand.md).
  startupOver({ optimizeWhenBusy: true, busyForCpuMs: SUSTAINED_BUSY_CPU_MS });
}
