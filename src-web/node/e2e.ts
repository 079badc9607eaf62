/**
 * The E2E channel as a browser node runs it (docs/protocol.md §End-to-end channel; the agent's is
 * src-main/crypto/e2e-handshake.ts, e2e-keys.ts, records.ts): SIGMA-I with ephemeral X25519, each side
 * signing the transcript with its identity key, then AES-256-GCM records with a per-direction counter
 * nonce and key update. A browser only dials, so it is always the initiator, pinned to the fingerprint
 * it expects. AES-GCM is WebCrypto's, hence async: the session seals and opens strictly in order.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { BrowserNodeError, bytesEqual, concat, randomBytes, u32, utf8 } from './bytes.js';
import { publicKeyOfCert } from './certificate.js';
import type { BrowserIdentity } from './identity.js';
import {
  aesKey,
  aesOpen,
  aesSeal,
  fingerprintOf,
  hmac,
  sha256,
  signIdentity,
  verifyIdentity,
  type WebKey,
} from './primitives.js';

const PROTOCOL_NAME = 'clawbridge e2e v1';
const RESPONDER_CONTEXT = `${PROTOCOL_NAME} responder signature`;
const INITIATOR_CONTEXT = `${PROTOCOL_NAME} initiator signature`;
const VERSION = 1;
const KEY_BYTES = 32;
const SIG_BYTES = 64;
const MAC_BYTES = 32;
const TAG_BYTES = 16;
const MAX_CERT_BYTES = 8 * 1024;
const RECORD_DATA = 1;
const RECORD_KEY_UPDATE = 2;
/** The sender's key update after this age, in ms (records.ts REKEY_AFTER_MS). */
const REKEY_AFTER_MS = 60 * 60 * 1000;
/** Records per key after which the sender updates (records.ts REKEY_AFTER_RECORDS). */
const REKEY_AFTER_RECORDS = 2 ** 24;
/** Records per key the receiver takes before calling the peer broken (records.ts MAX_RECORDS_PER_KEY). */
const MAX_RECORDS_PER_KEY = 2 ** 32;

const fail = (message: string) => new BrowserNodeError('HANDSHAKE_FAILED', message);

function expandLabel(secret: Uint8Array, label: string, context: Uint8Array = new Uint8Array(0)): Uint8Array {
  const full = utf8(`${PROTOCOL_NAME} ${label}`);
  return expand(sha256, secret, concat(Uint8Array.of(full.length), full, context), KEY_BYTES);
}

class Transcript {
  private readonly running = sha256.create();
  constructor(prologue = new Uint8Array(0)) {
    this.running.update(utf8(PROTOCOL_NAME)).update(u32(prologue.length)).update(prologue);
  }
  add(item: Uint8Array): this {
    this.running.update(item);
    return this;
  }
  hash(): Uint8Array {
    return this.running.clone().digest();
  }
}

const ZERO_NONCE = new Uint8Array(12);
const certBlock = (der: Uint8Array) => concat(Uint8Array.of(der.length >>> 8, der.length & 0xff), der);

/**
 * Runs the handshake as initiator over `exchange` (send a message, await the answer) and returns the
 * session. @throws BrowserNodeError('FINGERPRINT_MISMATCH') when the responder is not `expectedPeer`,
 * ('HANDSHAKE_FAILED') for anything altered or malformed.
 */
export async function initiateE2E(
  identity: BrowserIdentity,
  expectedPeer: string,
  send: (msg: Uint8Array) => void,
  next: () => Promise<Uint8Array>,
): Promise<E2ESession> {
  const transcript = new Transcript();
  const ephemeral = randomBytes(KEY_BYTES);
  const msg1 = concat(Uint8Array.of(VERSION, 1), x25519.getPublicKey(ephemeral));
  transcript.add(msg1);
  send(msg1);

  const msg2 = await next();
  if (msg2.length < 2 + KEY_BYTES + 2 + 1 + SIG_BYTES + MAC_BYTES + TAG_BYTES)
    throw fail('handshake message 2 too short');
  if (msg2.length > 2 + KEY_BYTES + 2 + MAX_CERT_BYTES + SIG_BYTES + MAC_BYTES + TAG_BYTES)
    throw fail('handshake message 2 too long');
  if (msg2[0] !== VERSION || msg2[1] !== 2) throw fail(`expected handshake message 2 of version ${VERSION}`);
  const header2 = msg2.subarray(0, 2 + KEY_BYTES);
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(ephemeral, msg2.subarray(2, 2 + KEY_BYTES));
  } catch {
    throw fail('peer sent a low-order X25519 key — refusing the handshake');
  }
  ephemeral.fill(0);
  if (shared.every((b) => b === 0)) throw fail('peer sent a low-order X25519 key — refusing the handshake');
  const hsSecret = extract(sha256, shared, transcript.add(header2).hash());
  shared.fill(0);
  const r2iKey = await aesKey(expandLabel(hsSecret, 'r2i hs key'));
  const i2rKey = await aesKey(expandLabel(hsSecret, 'i2r hs key'));
  const r2iMac = expandLabel(hsSecret, 'r2i finished');
  const i2rMac = expandLabel(hsSecret, 'i2r finished');
  let plain: Uint8Array;
  try {
    plain = await aesOpen(r2iKey, ZERO_NONCE, msg2.subarray(2 + KEY_BYTES), header2);
  } catch {
    throw fail(
      'handshake message 2 failed to decrypt — it was altered in transit or the peer is not running this protocol',
    );
  }
  const certLength = (plain[0]! << 8) | plain[1]!;
  if (
    certLength === 0 ||
    certLength > MAX_CERT_BYTES ||
    plain.length !== 2 + certLength + SIG_BYTES + MAC_BYTES
  ) {
    throw fail('handshake body of message 2 is malformed');
  }
  const peerCert = plain.slice(2, 2 + certLength);
  const peerId = fingerprintOf(peerCert);
  if (peerId !== expectedPeer) {
    throw new BrowserNodeError(
      'FINGERPRINT_MISMATCH',
      `peer fingerprint mismatch: expected ${expectedPeer.slice(0, 16)}…, got ${peerId.slice(0, 16)}… — the device's certificate changed; pair again`,
    );
  }
  const signature = plain.subarray(2 + certLength, 2 + certLength + SIG_BYTES);
  const mac = plain.subarray(2 + certLength + SIG_BYTES);
  const peerKey = await publicKeyOfCert(peerCert);
  if (
    !(await verifyIdentity(
      peerKey,
      RESPONDER_CONTEXT,
      transcript.add(plain.subarray(0, 2 + certLength)).hash(),
      signature,
    ))
  ) {
    throw fail("peer's signature over the handshake does not verify — the handshake was tampered with");
  }
  if (!bytesEqual(hmac(sha256, r2iMac, transcript.add(signature).hash()), mac)) {
    throw fail("peer's key confirmation does not verify — the handshake was tampered with");
  }
  transcript.add(mac);

  const header3 = Uint8Array.of(VERSION, 3);
  transcript.add(header3);
  const ownBlock = certBlock(identity.certDer);
  const ownSignature = await signIdentity(
    identity.privateKey,
    INITIATOR_CONTEXT,
    transcript.add(ownBlock).hash(),
  );
  const ownMac = hmac(sha256, i2rMac, transcript.add(ownSignature).hash());
  transcript.add(ownMac);
  const sealed = await aesSeal(i2rKey, ZERO_NONCE, concat(ownBlock, ownSignature, ownMac), header3);
  const final = transcript.hash();
  const session = await E2ESession.start(
    peerId,
    expandLabel(hsSecret, 'i2r traffic', final),
    expandLabel(hsSecret, 'r2i traffic', final),
  );
  for (const secret of [hsSecret, r2iMac, i2rMac]) secret.fill(0);
  send(concat(header3, sealed));
  return session;
}

/** One direction's key, counter and age. */
class Direction {
  counter = 0;
  private constructor(
    private secret: Uint8Array,
    public key: WebKey,
    public since: number,
  ) {}
  static async of(secret: Uint8Array): Promise<Direction> {
    return new Direction(secret, await aesKey(expandLabel(secret, 'key')), Date.now());
  }
  nonce(): Uint8Array {
    const n = new Uint8Array(12);
    const v = new DataView(n.buffer);
    v.setUint32(4, Math.floor(this.counter / 2 ** 32));
    v.setUint32(8, this.counter >>> 0);
    this.counter++;
    return n;
  }
  async ratchet(): Promise<void> {
    const next = expandLabel(this.secret, 'traffic upd');
    this.secret.fill(0);
    this.secret = next;
    this.key = await aesKey(expandLabel(next, 'key'));
    this.counter = 0;
    this.since = Date.now();
  }
}

/**
 * An established session: seal() and open() each run one at a time, in call order (their AES-GCM is
 * asynchronous), so records leave and are read in counter order. The first failure kills it.
 */
export class E2ESession {
  private txChain: Promise<unknown> = Promise.resolve();
  private rxChain: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;

  private constructor(
    readonly peerId: string,
    private readonly tx: Direction,
    private readonly rx: Direction,
  ) {}

  static async start(peerId: string, send: Uint8Array, receive: Uint8Array): Promise<E2ESession> {
    return new E2ESession(peerId, await Direction.of(send), await Direction.of(receive));
  }

  /** The records to send for one frame, in order (a key update first when one is due). */
  seal(frame: Uint8Array): Promise<Uint8Array[]> {
    const run = this.txChain.then(async () => {
      if (this.failure) throw this.failure;
      const tx = this.tx;
      const out: Uint8Array[] = [];
      if (tx.counter >= REKEY_AFTER_RECORDS - 1 || Date.now() - tx.since >= REKEY_AFTER_MS) {
        out.push(await aesSeal(tx.key, tx.nonce(), Uint8Array.of(RECORD_KEY_UPDATE)));
        await tx.ratchet();
      }
      out.push(await aesSeal(tx.key, tx.nonce(), concat(frame, Uint8Array.of(RECORD_DATA))));
      return out;
    });
    this.txChain = run.catch(() => undefined);
    return run;
  }

  /** The frame in a record, or null for a key update. @throws BrowserNodeError('DECRYPT_FAILED'). */
  open(record: Uint8Array): Promise<Uint8Array | null> {
    const run = this.rxChain.then(async () => {
      if (this.failure) throw this.failure;
      const rx = this.rx;
      try {
        if (record.length < 1 + TAG_BYTES)
          throw new BrowserNodeError('DECRYPT_FAILED', 'end-to-end record too short');
        if (rx.counter >= MAX_RECORDS_PER_KEY)
          throw new BrowserNodeError('PROTOCOL', 'peer sent too many records without a key update');
        const plain = await aesOpen(rx.key, rx.nonce(), record);
        const type = plain[plain.length - 1];
        if (type === RECORD_DATA) return plain.subarray(0, plain.length - 1);
        if (type === RECORD_KEY_UPDATE && plain.length === 1) {
          await rx.ratchet();
          return null;
        }
        throw new BrowserNodeError('PROTOCOL', `peer sent an invalid end-to-end record (type ${type})`);
      } catch (err) {
        this.failure = err as Error;
        throw err;
      }
    });
    this.rxChain = run.catch(() => undefined);
    return run;
  }
}
