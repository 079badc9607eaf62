/**
 * Regenerates test/vectors/group-record.json. Run: `node --import tsx test/vectors/group-record-generate.ts`,
 * then `npx prettier --write test/vectors/group-record.json`.
 * Signs with the E2E vector's initiator identity (test/vectors/e2e-handshake.json), so the signer's
 * certificate and fingerprint are ones other vectors already pin, and with RFC 6979 deterministic ECDSA
 * (e2e-vector-kit.ts) so every byte is reproducible. Only needed when the record format changes on
 * purpose: then bump GROUPS_PROTOCOL_VERSION too.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { GROUP_RECORD_CONTEXT } from '../../src-main/protocol/group-records.js';
import { groupRecordBytes, type UnsignedGroupRecord } from '../../src-main/protocol/group-records.js';
import { certDerOf, deterministicSigner, type E2EVector } from './e2e-vector-kit.js';

const e2e = JSON.parse(readFileSync(new URL('./e2e-handshake.json', import.meta.url), 'utf8')) as E2EVector;
const signer = e2e.initiator;
const byCert = Buffer.from(certDerOf(signer.certPem)).toString('base64');
const group = '00112233445566778899aabbccddeeff';
const common = { v: 1, group, by: signer.fingerprint, byCert, at: '2026-11-28T10:00:00.000Z' } as const;
const unsigned: UnsignedGroupRecord[] = [
  { ...common, kind: 'settings', subject: group, seq: 1, name: 'lab', allow: ['terminal', 'forward'] },
  {
    ...common,
    kind: 'member-device',
    subject: 'ab'.repeat(32),
    member: 'cd'.repeat(32),
    seq: 2,
    name: 'desk',
  },
  { ...common, kind: 'member-remove', subject: 'cd'.repeat(32), seq: 3 },
];
const sign = deterministicSigner(signer.keyPem);
const records = unsigned.map((r) => {
  const bytes = groupRecordBytes(r);
  return {
    bytes: Buffer.from(bytes).toString('utf8'),
    record: { ...r, sig: Buffer.from(sign(GROUP_RECORD_CONTEXT, bytes)).toString('base64') },
  };
});
const vector = {
  description:
    'Clawbridge group records (docs/protocol.md, "Groups"): each record\'s signed bytes (UTF-8) and its ' +
    'RFC 6979 deterministic ECDSA P-256 signature over the context "' +
    GROUP_RECORD_CONTEXT +
    '", a zero byte and those bytes, by the E2E vector\'s initiator identity. Regenerate with ' +
    '`node --import tsx test/vectors/group-record-generate.ts`.',
  context: GROUP_RECORD_CONTEXT,
  signer: { certPem: signer.certPem, keyPem: signer.keyPem, fingerprint: signer.fingerprint },
  records,
};
const file = new URL('./group-record.json', import.meta.url);
writeFileSync(file, JSON.stringify(vector, null, 2) + '\n');
console.log(`wrote ${file.pathname}: ${records.length} records`);
