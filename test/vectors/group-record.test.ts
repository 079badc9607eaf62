/**
 * Known-answer test for group records (test/vectors/group-record.json): the implementation gives the
 * vector's signed bytes for each record and accepts its RFC 6979 signatures; the signatures are checked
 * again with node:crypto from docs/protocol.md §Groups alone (context, a zero byte, the bytes); and a
 * signature over the same bytes for another use — a membership record's context — is refused.
 */
import { strict as assert } from 'node:assert';
import { createHash, verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { groupSignatureProblem } from '../../src-main/crypto/group-signature.js';
import { GROUP_RECORD_CONTEXT } from '../../src-main/protocol/group-records.js';
import {
  decodeGroupLine,
  groupRecordBytes,
  type GroupRecord,
} from '../../src-main/protocol/group-records.js';
import { deterministicSigner } from './e2e-vector-kit.js';

interface GroupVector {
  context: string;
  signer: { certPem: string; keyPem: string; fingerprint: string };
  records: { bytes: string; record: GroupRecord }[];
}

const v = JSON.parse(readFileSync(new URL('./group-record.json', import.meta.url), 'utf8')) as GroupVector;
const cert = new X509Certificate(v.signer.certPem);

describe('group record vector', () => {
  it('names the context the implementation signs under, and a signer whose certificate is its fingerprint', () => {
    assert.equal(v.context, GROUP_RECORD_CONTEXT);
    assert.equal(createHash('sha256').update(cert.raw).digest('hex'), v.signer.fingerprint);
    assert.deepEqual(
      v.records.map((r) => r.record.kind),
      ['settings', 'member-device', 'member-remove'],
    );
  });

  it('each record decodes and gives the vector bytes; its signature holds', () => {
    for (const { bytes, record } of v.records) {
      const decoded = decodeGroupLine(JSON.stringify(record));
      assert.ok('record' in decoded, `'record' in decoded (${record.kind})`);
      const { sig: _sig, ...unsigned } = decoded.record;
      assert.equal(Buffer.from(groupRecordBytes(unsigned)).toString('utf8'), bytes);
      assert.equal(groupSignatureProblem(decoded.record), undefined);
    }
  });

  it('the signatures verify from the document alone: ECDSA P-256, SHA-256, r‖s over context ‖ 0x00 ‖ bytes', () => {
    for (const { bytes, record } of v.records) {
      const message = Buffer.from(`clawbridge group record v1\0${bytes}`, 'utf8');
      const ok = verify(
        'sha256',
        message,
        { key: cert.publicKey, dsaEncoding: 'ieee-p1363' },
        Buffer.from(record.sig, 'base64'),
      );
      assert.equal(ok, true, record.kind);
    }
  });

  it('RFC 6979 reproduces every signature byte for byte', () => {
    const sign = deterministicSigner(v.signer.keyPem);
    for (const { bytes, record } of v.records) {
      const sig = Buffer.from(sign(GROUP_RECORD_CONTEXT, Buffer.from(bytes, 'utf8'))).toString('base64');
      assert.equal(sig, record.sig);
    }
  });

  it('a signature over the same bytes for a membership record, or with one byte changed, is refused', () => {
    const sign = deterministicSigner(v.signer.keyPem);
    for (const { bytes, record } of v.records) {
      const asMember = Buffer.from(sign('clawbridge member record v1', Buffer.from(bytes, 'utf8'))).toString(
        'base64',
      );
      assert.match(groupSignatureProblem({ ...record, sig: asMember }) ?? '', /altered or forged/);
      assert.match(groupSignatureProblem({ ...record, seq: record.seq + 1 }) ?? '', /altered or forged/);
    }
  });
});
