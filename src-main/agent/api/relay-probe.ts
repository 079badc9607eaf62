/**
 * `relay.probe`: dials a relay once, before the user adds it, and reports its TLS certificate's
 * fingerprint and whether a certificate authority this machine trusts vouches for it — what the
 * Settings view's "trust this relay?" prompt shows. Nothing is signed and no token is sent.
 */
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { RelayProbeResult } from '../../api/contract.js';
import { errorMessage } from '../../core/errors.js';
import { peerCertFingerprint } from '../../transport/relay-tls.js';

/** Default wait for the relay to answer, in ms (5 s): a person is waiting on a prompt. */
export const RELAY_PROBE_TIMEOUT_MS = 5_000;

function target(url: string): { tls: boolean; host: string; port: number } {
  const u = new URL(url);
  const tls = u.protocol === 'wss:';
  // URL keeps the brackets of an IPv6 literal; sockets want the bare address.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { tls, host, port: u.port ? Number(u.port) : tls ? 443 : 80 };
}

/** Never rejects: an unreachable relay is reported in `error`. */
export function probeRelay(url: string, timeoutMs = RELAY_PROBE_TIMEOUT_MS): Promise<RelayProbeResult> {
  let t: ReturnType<typeof target>;
  try {
    t = target(url);
  } catch (err) {
    return Promise.resolve({ url, fingerprint: null, caTrusted: false, error: errorMessage(err) });
  }
  return new Promise((resolve) => {
    const isIp = /^[\d.]+$|:/.test(t.host);
    // Verification runs and is reported (authorized / authorizationError, host name included) but not
    // enforced, so a self-signed relay still shows its fingerprint.
    const socket = t.tls
      ? tlsConnect({
          host: t.host,
          port: t.port,
          rejectUnauthorized: false,
          ...(isIp ? {} : { servername: t.host }),
        })
      : netConnect({ host: t.host, port: t.port });
    const done = (result: Omit<RelayProbeResult, 'url'>) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ url, ...result });
    };
    const timer = setTimeout(
      () =>
        done({
          fingerprint: null,
          caTrusted: false,
          error: `${url} did not answer within ${timeoutMs / 1000} s`,
        }),
      timeoutMs,
    );
    socket.once('error', (err) =>
      done({ fingerprint: null, caTrusted: false, error: `cannot reach ${url}: ${errorMessage(err)}` }),
    );
    if (!t.tls) {
      socket.once('connect', () => done({ fingerprint: null, caTrusted: false }));
      return;
    }
    socket.once('secureConnect', () => {
      const tls = socket as TLSSocket;
      const fingerprint = peerCertFingerprint(tls) ?? null;
      const caTrusted = tls.authorized;
      const why = tls.authorizationError ? String(tls.authorizationError) : undefined;
      done({
        fingerprint,
        caTrusted,
        ...(fingerprint === null ? { error: `${url} presented no TLS certificate` } : {}),
        ...(fingerprint !== null && !caTrusted && why ? { error: `not vouched for by a CA: ${why}` } : {}),
      });
    });
  });
}
