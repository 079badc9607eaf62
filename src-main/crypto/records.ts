/**
 * AEAD records of the E2E channel (docs/protocol.md, "Records"). A record is
 * AES-256-GCM(content ‖ type) ‖ tag: 17 bytes of overhead, the type inside the encryption like TLS 1.3's
 * TLSInnerPlaintext (RFC 8446 §5.2) so the relay cannot tell key updates from data.
 *
 * The nonce is 4 zero bytes ‖ the 64-bit big-endian record counter of the direction. The counter is never
 * sent: both ends count, so a replayed, reordered, dropped or forged record fails authentication. The
 * first failure kills the session (fail closed): every later `open` or `seal` throws.
 *
 * Key update: when a direction's key has protected REKEY_AFTER_BYTES, REKEY_AFTER_RECORDS or is
 * REKEY_AFTER_MS old, `seal` first emits a key-update record under the old key, then moves to
 * next = HKDF-Expand-Label(secret, "traffic upd") and seals the data under the new key; the receiver
 * ratchets the same way when it opens the key-update record. So `seal` returns one or two records, in
 * the order they must be sent.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { ClawError } from '../core/errors.js';
import { nextTrafficSecret, NONCE_BYTES, recordKey } from './e2e-keys.js';
import { TAG_BYTES } from './e2e-messages.js';
import {
  MAX_RECORDS_PER_KEY,
  RECORD_OVERHEAD,
  RecordType,
  REKEY_AFTER_BYTES,
  REKEY_AFTER_MS,
  REKEY_AFTER_RECORDS,
  writeRecordNonce,
} from './record-format.js';

export {
  MAX_RECORDS_PER_KEY,
  RECORD_OVERHEAD,
  RecordType,
  REKEY_AFTER_BYTES,
  REKEY_AFTER_MS,
  REKEY_AFTER_RECORDS,
} from './record-format.js';

/** Tunables; the defaults are the constants above. Tests lower them to exercise key updates. */
export interface SessionOptions {
  rekeyAfterBytes?: number;
  rekeyAfterMs?: number;
  rekeyAfterRecords?: number;
  maxRecordsPerKey?: number;
  /** Monotonic clock in milliseconds; defaults to `performance.now`. */
  now?: () => number;
}

/** What the handshake hands to a session. */
export interface SessionInit {
  peerId: string;
  peerCertDer: Uint8Array;
  transcriptHash: Uint8Array;
  sendSecret: Uint8Array;
  receiveSecret: Uint8Array;
  options?: SessionOptions;
}

/** One direction's key state. */
class Direction {
  key: KeyObject;
  counter = 0;
  bytes = 0;
  /** Reused: createCipheriv copies the IV, so rewriting it for the next record is safe. */
  readonly nonce = Buffer.alloc(NONCE_BYTES);

  constructor(
    private secret: Uint8Array,
    public since: number,
  ) {
    this.key = createSecretKey(recordKey(secret));
  }

  nextNonce(): Buffer {
    writeRecordNonce(this.nonce, this.counter);
    this.counter++;
    return this.nonce;
  }

  ratchet(now: number): void {
    const next = nextTrafficSecret(this.secret);
    this.secret.fill(0);
    this.secret = next;
    this.key = createSecretKey(recordKey(next));
    this.counter = 0;
    this.bytes = 0;
    this.since = now;
  }
}

const DATA_TYPE = Uint8Array.of(RecordType.Data);
const KEY_UPDATE_TYPE = Uint8Array.of(RecordType.KeyUpdate);
const EMPTY = new Uint8Array(0);

/** An established E2E session: seals outgoing and opens incoming records for one peer. */
export class E2ESession {
  /** Fingerprint of the peer, proven by the handshake. */
  readonly peerId: string;
  readonly peerCertDer: Uint8Array;
  /** Hash of the whole handshake; equal on both ends, usable for channel binding. */
  readonly transcriptHash: Uint8Array;
  private readonly tx: Direction;
  private readonly rx: Direction;
  private readonly limits: Required<Omit<SessionOptions, 'now'>>;
  private readonly now: () => number;
  private failure: ClawError | undefined;

  constructor(init: SessionInit) {
    const o = init.options ?? {};
    this.peerId = init.peerId;
    this.peerCertDer = init.peerCertDer;
    this.transcriptHash = init.transcriptHash;
    this.now = o.now ?? (() => performance.now());
    this.limits = {
      rekeyAfterBytes: o.rekeyAfterBytes ?? REKEY_AFTER_BYTES,
      rekeyAfterMs: o.rekeyAfterMs ?? REKEY_AFTER_MS,
      rekeyAfterRecords: Math.min(o.rekeyAfterRecords ?? REKEY_AFTER_RECORDS, REKEY_AFTER_RECORDS),
      maxRecordsPerKey: o.maxRecordsPerKey ?? MAX_RECORDS_PER_KEY,
    };
    const now = this.now();
    this.tx = new Direction(init.sendSecret.slice(), now);
    this.rx = new Direction(init.receiveSecret.slice(), now);
  }

  /** The error that killed the session, if any. */
  get failed(): ClawError | undefined {
    return this.failure;
  }

  /**
   * Seals one frame. Returns the records to send, in order: usually one, two when a key update is due
   * (the key-update record first). The caller must send all of them or close the channel.
   *
   * With `headroom` > 0 every returned buffer starts with that many uninitialized bytes and the record
   * follows them, so a transport can write its own header there and send the buffer as is instead of
   * copying the record into a new one (the hot path of a relay circuit: one copy less per frame).
   * `plaintext` may be given in parts (a frame's header and payload); they are sealed as their
   * concatenation, without joining them first, and read before `seal` returns.
   */
  seal(plaintext: Uint8Array | readonly Uint8Array[], headroom = 0): Uint8Array[] {
    this.assertAlive();
    const tx = this.tx;
    const now = this.now();
    if (
      tx.counter >= this.limits.rekeyAfterRecords - 1 ||
      tx.bytes >= this.limits.rekeyAfterBytes ||
      now - tx.since >= this.limits.rekeyAfterMs
    ) {
      const update = this.sealOne(EMPTY, KEY_UPDATE_TYPE, headroom);
      tx.ratchet(now);
      return [update, this.sealOne(plaintext, DATA_TYPE, headroom)];
    }
    return [this.sealOne(plaintext, DATA_TYPE, headroom)];
  }

  private sealOne(
    plaintext: Uint8Array | readonly Uint8Array[],
    type: Uint8Array,
    headroom: number,
  ): Uint8Array {
    const parts = plaintext instanceof Uint8Array ? [plaintext] : plaintext;
    let length = 0;
    for (const part of parts) length += part.length;
    const tx = this.tx;
    const cipher = createCipheriv('aes-256-gcm', tx.key, tx.nextNonce(), { authTagLength: TAG_BYTES });
    // allocUnsafe: every byte after the headroom is written below; the headroom is the caller's.
    const out = Buffer.allocUnsafe(headroom + length + RECORD_OVERHEAD);
    // GCM is a stream mode: update() returns exactly as many bytes as it is given, so offsets are known.
    // node:crypto has no update-into, so each part's ciphertext is copied once into place.
    let at = headroom;
    for (const part of parts) {
      if (part.length === 0) continue;
      out.set(cipher.update(part), at);
      at += part.length;
    }
    out.set(cipher.update(type), at);
    cipher.final();
    out.set(cipher.getAuthTag(), at + 1);
    tx.bytes += length;
    return out;
  }

  /**
   * Opens the next incoming record. Returns its data, or null for a key-update record (nothing to
   * deliver). Data is a view of a fresh buffer owned by the caller.
   * @throws ClawError(`DECRYPT_FAILED`) for a record that fails authentication (tampered, replayed,
   *   reordered, dropped before it, or truncated), ClawError(`PROTOCOL`) for an authentic record that
   *   breaks the protocol; either kills the session.
   */
  open(record: Uint8Array): Uint8Array | null {
    this.assertAlive();
    const rx = this.rx;
    const n = record.length;
    if (n < RECORD_OVERHEAD) {
      this.fail(
        'DECRYPT_FAILED',
        `end-to-end record too short: ${n} bytes, need at least ${RECORD_OVERHEAD}`,
      );
    }
    if (rx.counter >= this.limits.maxRecordsPerKey) {
      this.fail(
        'PROTOCOL',
        `peer sent more than ${this.limits.maxRecordsPerKey} records without a key update`,
      );
    }
    const index = rx.counter;
    const decipher = createDecipheriv('aes-256-gcm', rx.key, rx.nextNonce(), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(record.subarray(n - TAG_BYTES));
    const plain = decipher.update(record.subarray(0, n - TAG_BYTES));
    try {
      decipher.final();
    } catch {
      this.fail(
        'DECRYPT_FAILED',
        `end-to-end record ${index} failed authentication — it was tampered with, replayed, reordered or a record was dropped; closing the channel`,
      );
    }
    const type = plain[plain.length - 1];
    if (type === RecordType.Data) return plain.subarray(0, plain.length - 1);
    if (type === RecordType.KeyUpdate && plain.length === 1) {
      rx.ratchet(this.now());
      return null;
    }
    this.fail('PROTOCOL', `peer sent an invalid end-to-end record (type ${type}, ${plain.length - 1} bytes)`);
  }

  private assertAlive(): void {
    if (this.failure) {
      throw new ClawError(this.failure.code, `end-to-end channel already failed: ${this.failure.message}`);
    }
  }

  private fail(code: 'DECRYPT_FAILED' | 'PROTOCOL', message: string): never {
    this.failure = new ClawError(code, message);
    throw this.failure;
  }
}
