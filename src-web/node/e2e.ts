/**
 * The E2E channel as a browser node runs it (docs/protocol.md §End-to-end channel): the agent's
 * protocol, imported (ADR 0116) — its messages (crypto/e2e-messages.ts), key schedule and labels
 * (e2e-schedule.ts), record format and limits (record-format.ts) — run on @noble/hashes and WebCrypto.
 * SIGMA-I with ephemeral X25519, each side signing the transcript with its identity key, then
 * AES-256-GCM records with a per-direction counter nonce and key update. A browser only dials, so it is
 * always the initiator, pinned to the fingerprint it expects. AES-GCM is WebCrypto's, hence async: the
 * session seals and opens strictly in order.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { BrowserNodeError, concat, randomBytes } from './bytes.js';
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
  WEB_HKDF,
  type WebKey,
} from './primitives.js';
import { bytesEqual } from '../../src-main/core/hex.js';
import {
  decodeBody,
  decodeMsg2,
  encodeBody,
  encodeCertBlock,
  encodeEphemeralHeader,
  encodeHeader,
  MessageType,
  X25519_KEY_BYTES,
} from '../../src-main/crypto/e2e-messages.js';
import {
  HANDSHAKE_NONCE,
  handshakeSecretsWith,
  INITIATOR_SIGNATURE_CONTEXT,
  NONCE_BYTES,
  nextTrafficSecretWith,
  recordKeyWith,
  RESPONDER_SIGNATURE_CONTEXT,
  trafficSecretsWith,
  transcriptStart,
} from '../../src-main/crypto/e2e-schedule.js';
import {
  MAX_RECORDS_PER_KEY,
  RECORD_OVERHEAD,
  RecordType,
  REKEY_AFTER_MS,
  REKEY_AFTER_RECORDS,
  writeRecordNonce,
} from '../../src-main/crypto/record-format.js';

const fail = (message: string) => new BrowserNodeError('HANDSHAKE_FAILED', message);

/** The running transcript hash (e2e-keys.ts Transcript on node:crypto; here @noble/hashes). */
class Transcript {
  private readonly running = sha256.create();
  constructor(prologue?: Uint8Array) {
    this.running.update(transcriptStart(prologue));
  }
  add(item: Uint8Array): this {
    this.running.update(item);
    return this;
  }
  hash(): Uint8Array {
    return this.running.clone().digest();
  }
}

/**
 * Runs the handshake as initiator over `exchange` (send a message, await the answer) and returns the
 * session. @throws BrowserNodeError('FINGERPRINT_MISMATCH') when the responder is not `expectedPeer`,
 * ClawError or BrowserNodeError ('HANDSHAKE_FAILED') for anything altered or malformed.
 */
export async function initiateE2E(
  identity: BrowserIdentity,
  expectedPeer: string,
  send: (msg: Uint8Array) => void,
  next: () => Promise<Uint8Array>,
): Promise<E2ESession> {
  const transcript = new Transcript();
  const ephemeral = randomBytes(X25519_KEY_BYTES);
  const msg1 = encodeEphemeralHeader(MessageType.Msg1, x25519.getPublicKey(ephemeral));
  transcript.add(msg1);
  send(msg1);

  const msg2 = decodeMsg2(await next());
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(ephemeral, msg2.ephemeral);
  } catch {
    throw fail('peer sent a low-order X25519 key — refusing the handshake');
  }
  ephemeral.fill(0);
  if (shared.every((b) => b === 0)) throw fail('peer sent a low-order X25519 key — refusing the handshake');
  const hs = handshakeSecretsWith(WEB_HKDF, shared, transcript.add(msg2.header).hash());
  shared.fill(0);
  let plain: Uint8Array;
  try {
    plain = await aesOpen(await aesKey(hs.r2iKey), HANDSHAKE_NONCE, msg2.ciphertext, msg2.header);
  } catch {
    throw fail(
      'handshake message 2 failed to decrypt — it was altered in transit or the peer is not running this protocol',
    );
  }
  const body = decodeBody(plain);
  const peerId = fingerprintOf(body.certDer);
  if (peerId !== expectedPeer) {
    throw new BrowserNodeError(
      'FINGERPRINT_MISMATCH',
      `peer fingerprint mismatch: expected ${expectedPeer.slice(0, 16)}…, got ${peerId.slice(0, 16)}… — the device's certificate changed; pair again`,
    );
  }
  const peerKey = await publicKeyOfCert(body.certDer);
  const signed = transcript.add(body.certBlock).hash();
  if (!(await verifyIdentity(peerKey, RESPONDER_SIGNATURE_CONTEXT, signed, body.signature))) {
    throw fail("peer's signature over the handshake does not verify — the handshake was tampered with");
  }
  if (!bytesEqual(hmac(sha256, hs.r2iMacKey, transcript.add(body.signature).hash()), body.mac)) {
    throw fail("peer's key confirmation does not verify — the handshake was tampered with");
  }
  transcript.add(body.mac);

  const header3 = encodeHeader(MessageType.Msg3);
  transcript.add(header3);
  const ownBlock = encodeCertBlock(identity.certDer);
  const ownSignature = await signIdentity(
    identity.privateKey,
    INITIATOR_SIGNATURE_CONTEXT,
    transcript.add(ownBlock).hash(),
  );
  const ownMac = hmac(sha256, hs.i2rMacKey, transcript.add(ownSignature).hash());
  transcript.add(ownMac);
  const sealed = await aesSeal(
    await aesKey(hs.i2rKey),
    HANDSHAKE_NONCE,
    encodeBody(ownBlock, ownSignature, ownMac),
    header3,
  );
  const traffic = trafficSecretsWith(WEB_HKDF, hs.handshakeSecret, transcript.hash());
  const session = await E2ESession.start(peerId, traffic.i2r, traffic.r2i);
  for (const secret of [hs.handshakeSecret, hs.r2iKey, hs.i2rKey, hs.r2iMacKey, hs.i2rMacKey]) secret.fill(0);
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
    return new Direction(secret, await aesKey(recordKeyWith(WEB_HKDF, secret)), Date.now());
  }
  nonce(): Uint8Array {
    const n = new Uint8Array(NONCE_BYTES);
    writeRecordNonce(n, this.counter);
    this.counter++;
    return n;
  }
  async ratchet(): Promise<void> {
    const next = nextTrafficSecretWith(WEB_HKDF, this.secret);
    this.secret.fill(0);
    this.secret = next;
    this.key = await aesKey(recordKeyWith(WEB_HKDF, next));
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
        out.push(await aesSeal(tx.key, tx.nonce(), Uint8Array.of(RecordType.KeyUpdate)));
        await tx.ratchet();
      }
      out.push(await aesSeal(tx.key, tx.nonce(), concat(frame, Uint8Array.of(RecordType.Data))));
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
        if (record.length < RECORD_OVERHEAD)
          throw new BrowserNodeError('DECRYPT_FAILED', 'end-to-end record too short');
        if (rx.counter >= MAX_RECORDS_PER_KEY)
          throw new BrowserNodeError('PROTOCOL', 'peer sent too many records without a key update');
        const plain = await aesOpen(rx.key, rx.nonce(), record);
        const type = plain[plain.length - 1];
        if (type === RecordType.Data) return plain.subarray(0, plain.length - 1);
        if (type === RecordType.KeyUpdate && plain.length === 1) {
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
