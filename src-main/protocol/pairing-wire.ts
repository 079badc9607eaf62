/**
 * The first frames on a pairing circuit, before the PAKE (docs/protocol.md): the joiner's hello naming
 * the code's tag, and the issuer's refusal when it will not run the exchange. Shared by both ends, and
 * by path-dialers.ts, which tells a pairing circuit from a link handshake by its first frame.
 */
import { z } from 'zod';
import { ClawError } from '../core/errors.js';
import { commandArgs, hereHint } from '../core/hint.js';
import { dialAddressListSchema } from '../core/host-port-schema.js';

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

const ascii = (text: string) => new TextEncoder().encode(text);
/** First frame on a pairing circuit: this marker and the tag. E2E messages start with byte 1, never 'C'. */
const PAIR_HELLO_MARKER = ascii('CBPAIR1:');
/** First frame of the issuer's answer when it will not run the exchange: this marker and a JSON refusal. */
const PAIR_REFUSAL_MARKER = ascii('CBPAIRX:');
/** Whether `frame` starts with `marker`. */
const startsWith = (frame: Uint8Array, marker: Uint8Array) =>
  frame.length >= marker.length && marker.every((b, i) => frame[i] === b);
/** Made when a refusal arrives (rare), not when this module loads (ADR 0073). */
const refusalSchema = () =>
  z.discriminatedUnion('reason', [
    z.object({ reason: z.literal('code-invalid') }),
    z.object({ reason: z.literal('rate-limited'), retryAfterSeconds: z.number().int().min(1).max(3600) }),
    z.object({ reason: z.literal('code-use'), use: z.string().regex(CODE_USE) }),
  ]);
export type PairRefusal = z.infer<ReturnType<typeof refusalSchema>>;

export function encodeRefusal(refusal: PairRefusal): Uint8Array {
  return concat(PAIR_REFUSAL_MARKER, ascii(JSON.stringify(refusal)));
}

/**
 * What a code is for, as its hello names it: `pair` (pairing's own, named by no suffix: the hello of
 * every release before uses came so) or a domain's (`group`, `file`), the word of the `clawbridge USE join`
 * command that joins with it (`file receive` for `file`). A code is met only by a hello of its own use, so one typed into the
 * wrong command is refused before it is burnt.
 */
const CODE_USE = /^[a-z]{1,16}$/;
/** Pairing's own use: a hello that names none. */
export const PAIR_USE = 'pair';

/**
 * The joiner's error for an issuer's refusal frame, or undefined when `frame` is not one. `code`: the
 * code the joiner tried, which a refusal for its use names in the command that takes it.
 */
export function refusalError(frame: Uint8Array, code = 'CODE'): ClawError | undefined {
  if (frame.length > 256 || !startsWith(frame, PAIR_REFUSAL_MARKER)) return undefined;
  let parsed: PairRefusal | undefined;
  try {
    const json = new TextDecoder().decode(frame.subarray(PAIR_REFUSAL_MARKER.length));
    parsed = refusalSchema().parse(JSON.parse(json));
  } catch {
    return new ClawError('PAIRING_FAILED', 'the other node refused to pair and its answer was malformed');
  }
  switch (parsed.reason) {
    case 'rate-limited':
      return new ClawError(
        'RELAY_LIMIT',
        `too many pairing attempts, retry in ${parsed.retryAfterSeconds} s (the code is still good)`,
      );
    case 'code-use':
      return new ClawError(
        'BAD_PAIR_CODE',
        ...commandArgs(
          `${code} is not a code for this command: its node made it for `,
          hereHint(parsed.use === 'file' ? ['file', 'receive', code] : [parsed.use, 'join', code]),
          ' (the code is still good)',
        ),
      );
    case 'code-invalid':
      return new ClawError('BAD_PAIR_CODE', CODE_INVALID_LINE);
  }
}

/** Who a pairing attempt came from: shown as `address` in the pending request, limited by `limitKey`. */
export interface PairingSource {
  /** `host:port` on the LAN, or the relay URL. */
  address: string;
  /** What the per-source rate limit counts: the relay-authenticated node ID, or the LAN IP (/64). */
  limitKey: string;
  /**
   * Through a relay: the source is only a node ID, which costs nothing to make, so these attempts
   * also count toward one node-wide budget (pairing-issuer.ts PAIR_ATTEMPTS_OVER_RELAYS_PER_MINUTE).
   */
  viaRelay?: boolean;
}
/** The user-facing line for a code nobody is waiting for. */
export const CODE_INVALID_LINE = 'code invalid or expired';

/** The relay alias a code's tag is reached under (protocol/rendezvous.ts, shared with the relay). */
export { rendezvousAlias } from './rendezvous.js';

/**
 * The joiner's first frame on a pairing circuit: the marker, the code's tag and, for a code of a
 * domain's, `/` and its use (`CBPAIR1:K7QX/group`). An issuer of a release before uses finds no code
 * under `K7QX/group` and refuses it as invalid: never burnt by a command that cannot use it.
 */
export function encodePairHello(tag: string, use = PAIR_USE): Uint8Array {
  const named = use === PAIR_USE ? tag : `${tag}/${use}`;
  return concat(PAIR_HELLO_MARKER, ascii(named));
}

export function isPairHello(frame: Uint8Array): boolean {
  return frame.length > PAIR_HELLO_MARKER.length && startsWith(frame, PAIR_HELLO_MARKER);
}

/** How long each PAKE step may take, in ms (either side gives up on a silent other after it). */
export const PAIR_STEP_TIMEOUT_MS = 15_000;

/** What a LAN joiner sends when it opens the `pair` stream: its own direct addresses (made on use). */
export const lanPairArgs = () => z.object({ addresses: dialAddressListSchema() }).strict();

/** The code's tag a pairing hello names, and the use it asks for (PAIR_USE when it names none). */
export function pairHelloOf(hello: Uint8Array): { tag: string; use: string } {
  // Latin-1, one character per byte: a tag and a use are ASCII, anything else matches no code.
  let text = '';
  for (const b of hello.subarray(PAIR_HELLO_MARKER.length)) text += String.fromCharCode(b);
  const slash = text.indexOf('/');
  return slash === -1
    ? { tag: text, use: PAIR_USE }
    : { tag: text.slice(0, slash), use: text.slice(slash + 1) };
}
