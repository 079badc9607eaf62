/**
 * Regenerates test/vectors/e2e-handshake.json. Run: `node --import tsx test/vectors/e2e-generate.ts`.
 * Keeps the identities already in the file (so fingerprints stay put) and makes new ones only when the
 * file is missing. Only needed when the protocol changes on purpose: then bump the version too.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { x25519 } from '@noble/curves/ed25519.js';
import { generateIdentity } from '../../src-main/crypto/identity.js';
import {
  deriveHandshakeSecrets,
  deriveTrafficSecrets,
  nextTrafficSecret,
  PROTOCOL_NAME,
  recordKey,
  Transcript,
} from '../../src-main/crypto/e2e-keys.js';
import { EPHEMERAL_HEADER_BYTES } from '../../src-main/crypto/e2e-messages.js';
import {
  hex,
  runVectorHandshake,
  unhex,
  VECTOR_PLAINTEXTS,
  type E2EVector,
  type VectorParty,
  type VectorRecord,
} from './e2e-vector-kit.js';

const file = new URL('./e2e-handshake.json', import.meta.url);
const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as E2EVector) : undefined;

async function party(role: 'initiator' | 'responder'): Promise<VectorParty> {
  const id = previous?.[role] ?? (await generateIdentity(`vector ${role}`));
  const ephemeralPrivate = createHash('sha256').update(`clawbridge e2e vector ${role} ephemeral`).digest();
  return {
    certPem: id.certPem,
    keyPem: id.keyPem,
    fingerprint: id.fingerprint,
    ephemeralPrivate: hex(ephemeralPrivate),
    ephemeralPublic: hex(x25519.getPublicKey(ephemeralPrivate)),
  };
}

const base = {
  initiator: await party('initiator'),
  responder: await party('responder'),
  prologue: hex(new TextEncoder().encode('relay wss://relay.example circuit 7')),
  session: { rekeyAfterRecords: 3 },
};
const { msg1, msg2, msg3, i, r } = runVectorHandshake(base);

const shared = x25519.getSharedSecret(
  unhex(base.initiator.ephemeralPrivate),
  unhex(base.responder.ephemeralPublic),
);
const th2 = new Transcript(unhex(base.prologue))
  .add(msg1)
  .add(msg2.subarray(0, EPHEMERAL_HEADER_BYTES))
  .hash();
const hs = deriveHandshakeSecrets(shared, th2);
const traffic = deriveTrafficSecrets(hs.handshakeSecret, i.transcriptHash);

const records: VectorRecord[] = [];
const counters = { i2r: 0, r2i: 0 };
for (const { direction, text } of VECTOR_PLAINTEXTS) {
  const plaintext = new TextEncoder().encode(text);
  const sealed = (direction === 'i2r' ? i : r).seal(plaintext);
  for (const [k, record] of sealed.entries()) {
    // seal() returns two records only when a key update is due, and the key update comes first.
    const keyUpdate = sealed.length === 2 && k === 0;
    records.push({
      direction,
      counter: counters[direction]++,
      kind: keyUpdate ? 'key-update' : 'data',
      plaintext: keyUpdate ? '' : hex(plaintext),
      record: hex(record),
    });
    if (keyUpdate) counters[direction] = 0;
  }
}

const vector: E2EVector = {
  description:
    'Clawbridge E2E handshake and records (docs/protocol.md, "End-to-end channel"). Fixed X25519 ephemerals; ' +
    'identity signatures are RFC 6979 deterministic ECDSA P-256 so every byte is reproducible. Regenerate ' +
    'with `node --import tsx test/vectors/e2e-generate.ts`.',
  protocol: PROTOCOL_NAME,
  ...base,
  msg1: hex(msg1),
  msg2: hex(msg2),
  msg3: hex(msg3),
  sharedSecret: hex(shared),
  th2: hex(th2),
  handshakeSecret: hex(hs.handshakeSecret),
  r2iHandshakeKey: hex(hs.r2iKey),
  i2rHandshakeKey: hex(hs.i2rKey),
  r2iMacKey: hex(hs.r2iMacKey),
  i2rMacKey: hex(hs.i2rMacKey),
  thFinal: hex(i.transcriptHash),
  i2rTrafficSecret: hex(traffic.i2r),
  r2iTrafficSecret: hex(traffic.r2i),
  i2rRecordKey: hex(recordKey(traffic.i2r)),
  r2iRecordKey: hex(recordKey(traffic.r2i)),
  i2rNextTrafficSecret: hex(nextTrafficSecret(traffic.i2r)),
  records,
};
writeFileSync(file, JSON.stringify(vector, null, 2) + '\n');
console.log(`wrote ${file.pathname}: ${records.length} records`);
