import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ControlLineDecoder,
  decodeControlLine,
  encodeGrants,
  MAX_CONTROL_LINE_BYTES,
} from '../../../src-main/trust/grants-message.js';
import { agentVocabulary } from '../../helpers/agent-contract.js';

// The domains' permission words, as an agent hands them to its links (api/vocabulary.ts).
const words = agentVocabulary.permissions;

test('grants are one JSON line, in the permissions order, without repeats', () => {
  assert.equal(
    encodeGrants(['forward', 'terminal', 'forward'], words).toString(),
    '{"t":"grants","allow":["terminal","forward"]}\n',
  );
  assert.equal(encodeGrants([], words).toString(), '{"t":"grants","allow":[]}\n');
});

test('a grants line decodes to what it encodes', () => {
  const line = encodeGrants(['listen', 'relay'], words).toString().trimEnd();
  assert.deepEqual(decodeControlLine(line, words), {
    kind: 'grants',
    allow: ['relay', 'listen'],
    ignored: [],
  });
});

test('permission names this node does not know are ignored and named, not a reason to refuse', () => {
  assert.deepEqual(decodeControlLine('{"t":"grants","allow":["terminal","teleport","teleport"]}', words), {
    kind: 'grants',
    allow: ['terminal'],
    ignored: ['teleport'],
  });
});

test('a message type this node does not know is skipped', () => {
  assert.deepEqual(decodeControlLine('{"t":"weather","sky":"blue"}', words), {
    kind: 'unknown',
    type: 'weather',
  });
});

test('malformed lines say why and never throw', () => {
  for (const line of [
    '',
    'grants',
    '[]',
    'null',
    '{"allow":[]}',
    '{"t":7}',
    '{"t":"grants"}',
    '{"t":"grants","allow":"terminal"}',
    '{"t":"grants","allow":[1]}',
    `{"t":"grants","allow":[${'"x",'.repeat(20)}"x"]}`,
  ]) {
    const decoded = decodeControlLine(line, words);
    assert.equal(decoded.kind, 'malformed', line);
  }
});

test('the decoder joins lines split across chunks and splits lines sharing one', () => {
  const d = new ControlLineDecoder(words);
  const bytes = Buffer.concat([encodeGrants(['terminal'], words), encodeGrants(['forward'], words)]);
  assert.deepEqual(d.push(bytes.subarray(0, 10)), []);
  const out = d.push(bytes.subarray(10));
  assert.deepEqual(
    out.map((l) => (l.kind === 'grants' ? l.allow : l.kind)),
    [['terminal'], ['forward']],
  );
});

test('a line past the limit is reported once and skipped, and the next line still counts', () => {
  const d = new ControlLineDecoder(words);
  const long = Buffer.alloc(MAX_CONTROL_LINE_BYTES + 1, 0x61);
  const first = d.push(long.subarray(0, 600));
  assert.deepEqual(first, []);
  const second = d.push(long.subarray(600));
  assert.equal(second.length, 1);
  assert.equal(second[0]!.kind, 'malformed');
  assert.deepEqual(d.push(Buffer.alloc(5000, 0x61)), [], 'still skipping: reported once');
  const after = d.push(Buffer.concat([Buffer.from('\n'), encodeGrants(['relay'], words)]));
  assert.deepEqual(after, [{ kind: 'grants', allow: ['relay'], ignored: [] }]);
});

test('a line of exactly the limit is read', () => {
  const d = new ControlLineDecoder(words);
  const body = '{"t":"grants","allow":[]}';
  const line = body + ' '.repeat(MAX_CONTROL_LINE_BYTES - body.length);
  assert.deepEqual(d.push(Buffer.from(`${line}\n`)), [{ kind: 'grants', allow: [], ignored: [] }]);
});

test('an empty line is malformed, said so without parsing it', () => {
  assert.deepEqual(decodeControlLine('', words), { kind: 'malformed', problem: 'empty line' });
  assert.deepEqual(decodeControlLine('  \r', words), { kind: 'malformed', problem: 'empty line' });
});
