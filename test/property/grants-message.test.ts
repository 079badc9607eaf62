/**
 * The control-line decoder under fast-check: however a stream of grants lines is chunked, the same
 * messages come out; and arbitrary bytes from a peer never throw nor yield a permission this node
 * does not know.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PERMISSIONS, agentVocabulary } from '../helpers/agent-contract.js';
import { ControlLineDecoder, encodeGrants } from '../../src-main/trust/grants-message.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

const grantsList = fc.subarray([...PERMISSIONS]);
/** The domains' permission words, as an agent hands them to its links (api/vocabulary.ts). */
const words = agentVocabulary.permissions;

/** `bytes` cut at the given offsets. */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    out.push(bytes.subarray(from, to));
    from = to;
  }
  return out;
}

test('any chunking of grants lines decodes to the same messages', () => {
  fc.assert(
    fc.property(
      fc.array(grantsList, { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (lists, cuts) => {
        const bytes = Buffer.concat(lists.map((l) => encodeGrants(l, words)));
        const d = new ControlLineDecoder(words);
        const out = chunked(bytes, cuts).flatMap((c) => d.push(c));
        assert.deepEqual(
          out,
          lists.map((l) => ({
            kind: 'grants',
            allow: PERMISSIONS.filter((p) => l.includes(p)),
            ignored: [],
          })),
        );
      },
    ),
    { numRuns: fuzzRuns() },
  );
});

test('arbitrary bytes never throw and never yield an unknown permission', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 6 }), (chunks) => {
      const d = new ControlLineDecoder(words);
      for (const chunk of chunks) {
        for (const line of d.push(chunk)) {
          if (line.kind === 'grants')
            for (const p of line.allow) assert.ok(PERMISSIONS.includes(p), 'PERMISSIONS.includes(p)');
        }
      }
    }),
    { numRuns: fuzzRuns() },
  );
});
