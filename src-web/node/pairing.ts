/**
 * Pairing by code from the browser: the joiner's side of docs/protocol.md §Pairing by code (the agent's
 * is src-main/crypto/pairing.ts, cpace.ts, pairing-decision.ts). CPACE-X25519-SHA512 keyed by the code's
 * secret, both certificates and names bound into the transcript, then the issuer's owner's sealed
 * decision on the same circuit. The relay sees the tag, the two certificates and names; not the secret,
 * not the decision.
 */
import { _map_to_curve_elligator2_curve25519, x25519 } from '@noble/curves/ed25519.js';
import { invertCt } from '@noble/curves/abstract/modular.js';
import { BrowserNodeError, bytesEqual, concat, fromUtf8, randomBytes, toHex, utf8 } from './bytes.js';
import { publicKeyOfCert } from './certificate.js';
import { aesKey, aesOpen, fingerprintOf, hkdf, hmac, sha256, sha512 } from './primitives.js';

const PROTOCOL = 'clawbridge pair v1';
const VERSION = 1;
const MSG1 = 1;
const MSG2 = 2;
const MSG3 = 3;
const DECISION = 4;
const ABORT = 5;
const SID_BYTES = 16;
const MAC_BYTES = 64;
const POINT_BYTES = 32;
const MAX_MESSAGE_BYTES = 4608;
const MAX_CERT_BYTES = 4096;
const P = 2n ** 255n - 19n;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The line every wrong code or interference ends with, as the agent words it. */
export const PAIRING_FAILED_LINE =
  'pairing failed: the code was wrong or someone interfered — ask for a new code';
const ABORT_LINES: Record<number, string> = {
  1: PAIRING_FAILED_LINE,
  2: PAIRING_FAILED_LINE,
  3: 'pairing failed: the other node runs an incompatible pairing protocol — update both nodes',
  4: 'pairing cancelled on the other node — ask for a new code',
};

const failed = (message = PAIRING_FAILED_LINE) => new BrowserNodeError('PAIRING_FAILED', message);

export interface PairCode {
  tag: string;
  secret: string;
}

/**
 * Reads a code as typed: case-insensitive, I and L as 1, O as 0, spaces and dashes ignored; or an
 * invite link whose `invite` parameter is the code. @throws BrowserNodeError('BAD_PAIR_CODE').
 */
export function parsePairCode(input: string): PairCode {
  if (input.length > 2048) throw new BrowserNodeError('BAD_PAIR_CODE', 'pair code is too long');
  const invite = /[?&]invite=([^&#]+)/.exec(input);
  const raw = invite ? decodeURIComponent(invite[1]!) : input;
  if (raw.length > 64) throw new BrowserNodeError('BAD_PAIR_CODE', 'pair code is too long');
  const chars = raw
    .toUpperCase()
    .replace(/[\s\-\u2010-\u2015\u2212]/g, '')
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
  if (chars.length !== 12 || [...chars].some((c) => !ALPHABET.includes(c))) {
    throw new BrowserNodeError('BAD_PAIR_CODE', 'pair code must be 12 characters like K7QX-M2RT-9WZA');
  }
  return { tag: chars.slice(0, 4), secret: chars.slice(4) };
}

/** The relay alias a code's tag is reached under (protocol/rendezvous.ts). */
export const rendezvousAlias = (tag: string): string =>
  toHex(sha256(utf8(`clawbridge rendezvous v1\0${tag}`)));
/**
 * The first frame of a pairing circuit: `CBPAIR1:` ‖ tag, and `/` ‖ use for a code of a domain's
 * (`CBPAIR1:K7QX/group`): an issuer meets a code only with a hello of its own use, and refuses any
 * other before it burns the code (protocol/pairing-wire.ts encodePairHello).
 */
export const pairHello = (tag: string, use?: 'group'): Uint8Array =>
  utf8(`CBPAIR1:${use === undefined ? tag : `${tag}/${use}`}`);
const REFUSAL_MARKER = 'CBPAIRX:';

function leb128(n: number): Uint8Array {
  const out: number[] = [];
  do {
    const low = n % 128;
    n = Math.floor(n / 128);
    out.push(n > 0 ? low | 0x80 : low);
  } while (n > 0);
  return Uint8Array.from(out);
}
const prefixFreeCat = (...parts: Uint8Array[]) => concat(...parts.flatMap((p) => [leb128(p.length), p]));

/** Parses exactly `count` prefix-free fields filling `bytes` (minimal LEB128 of at most 3 bytes). */
function parsePrefixFree(bytes: Uint8Array, count: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    let length = 0;
    let shift = 1;
    for (let n = 0; ; n++) {
      if (n === 3 || at >= bytes.length)
        throw failed('pairing failed: a malformed message from the other node');
      const byte = bytes[at++]!;
      length += (byte & 0x7f) * shift;
      shift *= 128;
      if ((byte & 0x80) === 0) {
        if (byte === 0 && n > 0) throw failed('pairing failed: a malformed message from the other node');
        break;
      }
    }
    if (length > bytes.length - at) throw failed('pairing failed: a malformed message from the other node');
    parts.push(bytes.slice(at, at + length));
    at += length;
  }
  if (at !== bytes.length) throw failed('pairing failed: a malformed message from the other node');
  return parts;
}

function generator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const dsi = utf8('CPace255');
  const zpad = Math.max(0, 128 - 1 - (leb128(prs.length).length + prs.length) - (1 + dsi.length));
  const hash = sha512(prefixFreeCat(dsi, prs, new Uint8Array(zpad), ci, sid)).subarray(0, POINT_BYTES);
  let u = 0n;
  for (let i = POINT_BYTES - 1; i >= 0; i--) u = (u << 8n) | BigInt(hash[i]!);
  u = (u & ((1n << 255n) - 1n)) % P;
  const { xMn, xMd } = _map_to_curve_elligator2_curve25519(u);
  let rest = (xMn * invertCt(xMd, P)) % P;
  const out = new Uint8Array(POINT_BYTES);
  for (let i = 0; i < POINT_BYTES; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/** X25519 that answers G.I (zeros) for every low-order input, as the draft's scalar_mult_vfy. */
function scalarMultVfy(y: Uint8Array, X: Uint8Array): Uint8Array {
  try {
    return x25519.scalarMult(y, X);
  } catch {
    return new Uint8Array(POINT_BYTES);
  }
}

export interface JoinResult {
  peerCertDer: Uint8Array;
  peerFingerprint: string;
  peerName: string;
  sessionKey: Uint8Array;
}

/**
 * The joiner's CPace. `start()` gives msg1; `receive(msg2)` checks the issuer's proof and gives msg3
 * with the result. @throws BrowserNodeError('PAIRING_FAILED') for a wrong code, interference, an
 * abort from the issuer or anything malformed.
 */
export class PairingJoiner {
  private readonly sid = randomBytes(SID_BYTES);
  private readonly y = randomBytes(POINT_BYTES);
  private msgA: Uint8Array | undefined;

  constructor(
    private readonly code: PairCode,
    private readonly certDer: Uint8Array,
    private readonly name: string,
  ) {}

  start(): Uint8Array {
    const g = generator(utf8(this.code.secret), prefixFreeCat(utf8(PROTOCOL), utf8(this.code.tag)), this.sid);
    const Y = scalarMultVfy(this.y, g);
    this.msgA = prefixFreeCat(Y, prefixFreeCat(this.certDer, utf8(this.name)));
    return concat(Uint8Array.of(VERSION, MSG1), this.sid, this.msgA);
  }

  async receive(msg2: Uint8Array): Promise<{ message: Uint8Array; result: JoinResult }> {
    checkMessage(msg2, MSG2);
    if (msg2.length < 2 + MAC_BYTES + 1)
      throw failed('pairing failed: a malformed message from the other node');
    const msgB = msg2.subarray(2, msg2.length - MAC_BYTES);
    const mac = msg2.subarray(msg2.length - MAC_BYTES);
    const [Yb, ad] = parsePrefixFree(msgB, 2) as [Uint8Array, Uint8Array];
    const [cert, nameBytes] = parsePrefixFree(ad, 2) as [Uint8Array, Uint8Array];
    if (Yb.length !== POINT_BYTES || cert.length === 0 || cert.length > MAX_CERT_BYTES) {
      throw failed('pairing failed: a malformed message from the other node');
    }
    const peerName = fromUtf8(nameBytes);
    const K = scalarMultVfy(this.y, Yb);
    this.y.fill(0);
    if (K.every((b) => b === 0))
      throw failed(
        'pairing failed: the other side sent an invalid key (a low-order point) — someone interfered; ask for a new code',
      );
    const isk = sha512(concat(prefixFreeCat(utf8('CPace255_ISK'), this.sid, K), this.msgA!, msgB));
    const derive = (label: string, n: number) =>
      hkdf(sha512, isk, utf8(PROTOCOL), utf8(`${PROTOCOL} ${label}`), n);
    const transcript = prefixFreeCat(utf8(`${PROTOCOL} transcript`), this.sid, this.msgA!, msgB);
    if (!bytesEqual(hmac(sha512, derive('issuer confirm', MAC_BYTES), transcript), mac)) throw failed();
    // The issuer's certificate must be one links can use: an X.509 certificate with a P-256 key.
    await publicKeyOfCert(cert).catch(() => {
      throw failed(
        'pairing failed: the other node sent a certificate that is not an ECDSA P-256 X.509 certificate',
      );
    });
    const message = concat(
      Uint8Array.of(VERSION, MSG3),
      hmac(sha512, derive('joiner confirm', MAC_BYTES), transcript),
    );
    const result = {
      peerCertDer: cert,
      peerFingerprint: fingerprintOf(cert),
      peerName,
      sessionKey: derive('session key', 32),
    };
    isk.fill(0);
    return { message, result };
  }
}

function checkMessage(bytes: Uint8Array, type: number): void {
  if (bytes.length < 2 || bytes.length > MAX_MESSAGE_BYTES)
    throw failed('pairing failed: a malformed message from the other node');
  if (bytes[0] !== VERSION) throw failed(ABORT_LINES[3]);
  if (bytes[1] === ABORT && bytes.length === 3) throw failed(ABORT_LINES[bytes[2]!] ?? PAIRING_FAILED_LINE);
  if (bytes[1] !== type) throw failed('pairing failed: a malformed message from the other node');
}

/**
 * The issuer's refusal before any exchange, as the error the agent's joiner gives for it
 * (protocol/pairing-wire.ts refusalError): RELAY_LIMIT for too many attempts (the code is still good),
 * BAD_PAIR_CODE otherwise (invalid, expired or used: no use again); undefined if it is not one.
 */
export function refusalError(frame: Uint8Array): BrowserNodeError | undefined {
  const line = refusalLine(frame);
  if (line === undefined) return undefined;
  return new BrowserNodeError(line === CODE_INVALID_LINE ? 'BAD_PAIR_CODE' : 'RELAY_LIMIT', line);
}

/** What a refused code is said to be (the agent's CODE_INVALID_LINE). */
const CODE_INVALID_LINE = 'code invalid or expired';

/** The issuer's refusal before any exchange (`CBPAIRX:` ‖ JSON), as one line; undefined if it is not one. */
function refusalLine(frame: Uint8Array): string | undefined {
  if (frame.length > 256 || frame.length < REFUSAL_MARKER.length) return undefined;
  let text: string;
  try {
    text = fromUtf8(frame);
  } catch {
    return undefined;
  }
  if (!text.startsWith(REFUSAL_MARKER)) return undefined;
  try {
    const r = JSON.parse(text.slice(REFUSAL_MARKER.length)) as {
      reason?: unknown;
      retryAfterSeconds?: unknown;
    };
    if (r.reason === 'rate-limited') {
      return `too many pairing attempts, retry in ${Number(r.retryAfterSeconds) || 60} s (the code is still good)`;
    }
  } catch {
    // Unreadable refusal: the code is as good as invalid from here.
  }
  return CODE_INVALID_LINE;
}

export interface PairDecision {
  approved: boolean;
  name?: string;
  reason?: string;
}

/** Opens the issuer's sealed decision (docs/protocol.md §Decision record). */
export async function openDecision(sessionKey: Uint8Array, bytes: Uint8Array): Promise<PairDecision> {
  checkMessage(bytes, DECISION);
  if (bytes.length <= 2 + 16 || bytes.length > 2 + 1024 + 16)
    throw failed('pairing failed: a malformed decision');
  const key = await aesKey(hkdf(sha512, sessionKey, undefined, utf8(`${PROTOCOL} decision key`), 32));
  const nonce = new Uint8Array(12);
  nonce[11] = 1; // sealed by the issuer
  let plain: Uint8Array;
  try {
    plain = await aesOpen(key, nonce, bytes.subarray(2), bytes.subarray(0, 2));
  } catch {
    throw failed('pairing decision failed authentication — someone interfered; ask for a new code');
  }
  const json = JSON.parse(fromUtf8(plain)) as Record<string, unknown>;
  if (typeof json.approved !== 'boolean') throw failed('pairing decision is not a valid decision');
  return {
    approved: json.approved,
    ...(typeof json.name === 'string' ? { name: json.name } : {}),
    ...(typeof json.reason === 'string' ? { reason: json.reason } : {}),
  };
}
