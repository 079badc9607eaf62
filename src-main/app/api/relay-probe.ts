/**
 * `relay.probe`: dials a relay once, before the user adds it, and reports its TLS certificate's
 * fingerprint and whether a certificate authority this machine trusts vouches for it — what the
 * Settings view's "trust this relay?" prompt shows. It opens the WebSocket and waits for the relay's
 * CHALLENGE, so a port that accepts connections but is no Clawbridge relay (a web server, the direct
 * listener, wss:// spoken as ws://) is reported as such. Nothing is signed and no token is sent.
 */
import type { TLSSocket } from 'node:tls';
import { WebSocket } from 'ws';
import type { RelayProbeResult } from '../../api/contract.js';
import { errorMessage } from '../../core/errors.js';
import { decodeRelayFrame } from '../../protocol/relay-frames.js';
import { peerCertFingerprint } from '../../transport/relay-tls.js';

/** Default wait for the relay to answer, in ms (5 s): a person is waiting on a prompt. */
export const RELAY_PROBE_TIMEOUT_MS = 5_000;

/** Never rejects: an unreachable relay, or something else at that address, is reported in `error`. */
export function probeRelay(url: string, timeoutMs = RELAY_PROBE_TIMEOUT_MS): Promise<RelayProbeResult> {
  let ws: WebSocket;
  try {
    // Verification runs and is reported (authorized / authorizationError, host name included) but not
    // enforced, so a self-signed relay still shows its fingerprint.
    ws = new WebSocket(url, {
      rejectUnauthorized: false,
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
    });
  } catch (err) {
    return Promise.resolve({ url, fingerprint: null, caTrusted: false, error: errorMessage(err) });
  }
  return new Promise((resolve) => {
    let tls: { fingerprint: string | null; caTrusted: boolean; why: string | undefined } | undefined;
    // Something that is no relay has no certificate worth trusting: only the error is reported.
    const done = (error?: string, relay = true) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      const fingerprint = relay ? (tls?.fingerprint ?? null) : null;
      const caTrusted = relay && (tls?.caTrusted ?? false);
      const untrusted =
        fingerprint !== null && !caTrusted && tls?.why ? `not vouched for by a CA: ${tls.why}` : undefined;
      const problem =
        error ??
        (url.startsWith('wss:') && fingerprint === null ? `${url} presented no TLS certificate` : untrusted);
      resolve({ url, fingerprint, caTrusted, ...(problem ? { error: problem } : {}) });
    };
    const notRelay = (what: string) =>
      done(
        `${url} answers, but not as a Clawbridge relay (${what}); check the address${url.startsWith('ws:') ? ' (a relay with TLS needs wss://)' : ''}`,
        false,
      );
    const timer = setTimeout(() => done(`${url} did not answer within ${timeoutMs / 1000} s`), timeoutMs);
    ws.once('upgrade', (res) => {
      const socket = res.socket as Partial<TLSSocket>;
      if (typeof socket.getPeerCertificate !== 'function') return;
      tls = {
        fingerprint: peerCertFingerprint(socket as TLSSocket) ?? null,
        caTrusted: socket.authorized === true,
        why: socket.authorizationError ? String(socket.authorizationError) : undefined,
      };
    });
    ws.once('message', (data: Buffer) => {
      try {
        if (decodeRelayFrame(data).type === 'challenge') return done();
      } catch {
        // not a relay frame
      }
      notRelay('its first message is no relay challenge');
    });
    ws.once('unexpected-response', (_req, res) =>
      notRelay(`HTTP ${res.statusCode ?? '?'} to a WebSocket request`),
    );
    ws.once('error', (err) => {
      const message = errorMessage(err);
      // A TLS server spoken to in plain ws://, or anything else that does not speak HTTP back.
      if (/parse error|Invalid (status|response)|Expected HTTP|socket hang up/i.test(message))
        return notRelay(message);
      done(`cannot reach ${url}: ${message}`);
    });
    ws.once('close', () => notRelay('it closed the connection'));
  });
}
