/**
 * `pair join`'s running commentary (stderr): a second control connection subscribes to the agent's
 * events (a `"subscribe"` line, then `{event, data}` lines; api/control-server.ts) and turns the
 * joiner's `pairing` steps into lines a person can follow, above all the two fingerprints to compare.
 */
import type { Socket } from 'node:net';
import type { PairingEvent } from '../api/contract-types.js';
import { controlSocketPath, resolveHome } from '../home/home-dir.js';
import { connectControlSocket } from '../api/control-client.js';
import { groupFingerprint } from '../core/fingerprint.js';
import { escapeControlChars } from '../core/terminal-text.js';

/** The line for one joiner step, or undefined for steps the final line reports. */
export function joinStepLine(e: PairingEvent): string | undefined {
  switch (e.step) {
    case 'checking':
      return `found the other device (${e.via === 'lan' ? 'on the LAN' : e.via ? `via ${escapeControlChars(e.via)}` : 'via a relay'})`;
    case 'waiting': {
      // A name the other node chose, in a line of several: its controls escaped here.
      const name = e.peerName === undefined ? 'the other device' : escapeControlChars(e.peerName);
      const lines = [`code accepted by ${name}`];
      if (e.fingerprint && e.ownFingerprint)
        lines.push(
          `compare with the other screen: ${groupFingerprint(e.ownFingerprint)} (this device) and ${groupFingerprint(e.fingerprint)} (${name})`,
        );
      lines.push('waiting for approval...');
      return lines.join('\n');
    }
    default:
      return undefined;
  }
}

/**
 * Follows the joiner's pairing steps until `stop()`; writes each line with `write`. A failure to
 * subscribe only loses the commentary, never the pairing.
 */
export async function followJoin(
  home: string | undefined,
  write: (line: string) => void,
): Promise<{ stop: () => void }> {
  const dir = resolveHome(home);
  let socket: Socket;
  try {
    socket = await connectControlSocket(controlSocketPath(dir), dir);
  } catch {
    return { stop: () => undefined };
  }
  socket.setEncoding('utf8');
  let buffered = '';
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let msg: { event?: string; data?: PairingEvent };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        continue;
      }
      if (msg.event !== 'pairing' || msg.data?.role !== 'join') continue;
      const out = joinStepLine(msg.data);
      if (out) write(out);
    }
  });
  socket.write('"subscribe"\n');
  return { stop: () => socket.destroy() };
}
