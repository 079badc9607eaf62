/**
 * A peer that sends hostile text (issue 52 F3): a trusted identity that dials a real agent's direct
 * listener and says and answers what a modified node could: a hello whose addresses carry escape
 * sequences, a reverse-listen answer whose `bound` writes the clipboard (OSC 52), refusals whose
 * reasons forge lines, a terminal whose command is an escape sequence. In the test's process: what
 * is under test is what the agent and the CLI print, not this side's speed.
 */
import type { Identity } from '../../src-main/crypto/identity.js';
import { ownHello } from '../../src-main/links/control-service.js';
import { Mux, type MuxStream } from '../../src-main/mux/mux.js';
import { dialDirect } from '../../src-main/transport/direct.js';
import { REVERSE_LISTEN_SERVICE } from '../../src-main/forwards/reverse-protocol.js';
import { TCP_CONNECT_SERVICE } from '../../src-main/forwards/tcp-connect-protocol.js';
import { TERMINAL_PROTOCOL_VERSION, TERMINAL_SERVICE } from '../../src-main/protocol/terminal-frames.js';

/** ESC sequences: a window title, an erased line and a forged one in red (issue 52's example). */
export const ESCAPES = '\x1b]0;TITLE\x1b\\\x1b[2K\x1b[31mFAKE-LINE\x1b[0m';
/** OSC 52: sets the clipboard of the terminal it is printed on to `echo pwned`. */
export const OSC52 = '\x1b]52;c;ZWNobyBwd25lZA==\x07';
/** C1 CSI (a one-byte ESC [ on many terminals), DEL, a right-to-left override, a newline. */
export const C1_DEL_BIDI = '\x9b2K\x7f\u202eevil\u202c\r\nFAKE-LINE';

/**
 * What no CLI output may carry: C0 controls but the newline, DEL, C1, the separators and the bidi
 * controls.
 */
export const TERMINAL_CONTROL =
  // eslint-disable-next-line no-control-regex -- the controls are what this looks for
  /[\0-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

export interface HostilePeer {
  mux: Mux;
  /** Opens a control stream with a hello naming `addresses` (A refuses it when they are not HOST:PORT). */
  hello(addresses: string[]): Promise<MuxStream | Error>;
  /** Opens a terminal on the agent running `command` (the agent must allow `terminal`). */
  terminal(command: string[]): Promise<MuxStream>;
  close(): void;
}

export async function hostilePeer(
  identity: Identity,
  address: string,
  agentFingerprint: string,
): Promise<HostilePeer> {
  const link = await dialDirect({ identity, address, expectedPeer: agentFingerprint });
  const mux = new Mux(link, {
    onStream: (req) => {
      if (req.service === 'control') {
        const s = req.accept();
        s.on('error', () => undefined);
        s.resume();
        return;
      }
      if (req.service === REVERSE_LISTEN_SERVICE) {
        const s = req.accept();
        s.on('error', () => undefined);
        s.resume();
        s.write(`${JSON.stringify({ ok: true, bound: `127.0.0.1:9000${OSC52}` })}\n`);
        return;
      }
      if (req.service === TCP_CONNECT_SERVICE) {
        return req.reject('SERVICE_FAILED', `cannot connect ${ESCAPES} ${C1_DEL_BIDI}`);
      }
      req.reject('UNKNOWN_SERVICE', `no ${OSC52}`);
    },
  });
  const streams: MuxStream[] = [];
  return {
    mux,
    hello: async (addresses) => {
      try {
        const s = await mux.open('control', { ...ownHello(`h`, [], undefined), addresses });
        s.on('error', () => undefined);
        s.resume();
        streams.push(s);
        return s;
      } catch (err) {
        return err as Error;
      }
    },
    terminal: async (command) => {
      const s = await mux.open(TERMINAL_SERVICE, {
        v: TERMINAL_PROTOCOL_VERSION,
        command,
        cols: 80,
        rows: 24,
      });
      s.on('error', () => undefined);
      s.resume();
      streams.push(s);
      return s;
    },
    close: () => mux.close('hostile peer done'),
  };
}
