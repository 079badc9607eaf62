/**
 * The HTTP proxy request-head decoder under fast-check: generated requests decode to what was written,
 * fed whole or in any chunking; random and mutated bytes never throw and never make it wait past
 * MAX_HEAD_BYTES; the origin-form head it builds never carries hop-by-hop headers or raw line breaks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeRequestHead,
  findHeadEnd,
  MAX_HEAD_BYTES,
  originFormHead,
  type HeadResult,
} from '../../src-main/protocol/http-proxy-request.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

/** Decoders get at least this many runs (preamble rule). */
const RUNS = fuzzRuns();

const chars = (s: string) => fc.constantFrom(...s);
const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const token = fc.string({ unit: chars(`${alnum}!#$%&'*+-.^_\`|~`), minLength: 1, maxLength: 12 });
const hostName = fc.string({ unit: chars(`${alnum}.-_`), minLength: 1, maxLength: 40 });
const ipv6 = fc.ipV6().filter((h) => /^[0-9a-fA-F:.]+$/.test(h));
const port = fc.integer({ min: 1, max: 65535 });
const pathText = fc.string({ unit: chars(`${alnum}/?=&%._~-+,;:@!$'()*`), maxLength: 40 });
const headerValue = fc
  .string({ unit: chars(`${alnum} \t!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`), maxLength: 30 })
  .map((v) => v.trim());
const HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'host',
];
const headerName = fc.oneof(
  token,
  fc.constantFrom('Connection', 'Proxy-Connection', 'Host', 'TE', 'Upgrade', 'X-A'),
);

interface Generated {
  method: string;
  host: string;
  port: number;
  explicitPort: boolean;
  path: string;
  headers: [string, string][];
  lf: boolean;
}

const request: fc.Arbitrary<Generated> = fc
  .record({
    method: fc.oneof(token, fc.constant('CONNECT')),
    host: fc.oneof(hostName, ipv6),
    port,
    explicitPort: fc.boolean(),
    path: pathText,
    headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 12 }),
    lf: fc.boolean(),
  })
  .map((r) => ({
    ...r,
    // Framing headers are generated separately below; drop any the token generator made up.
    headers: r.headers.filter(([n]) => !/^(content-length|transfer-encoding)$/i.test(n)),
  }));

function serialize(r: Generated): string {
  const authority = `${r.host.includes(':') ? `[${r.host}]` : r.host}`;
  const connect = r.method.toUpperCase() === 'CONNECT';
  const target = connect
    ? `${authority}:${r.port}`
    : `http://${authority}${r.explicitPort ? `:${r.port}` : ''}/${r.path}`;
  const eol = r.lf ? '\n' : '\r\n';
  return [`${r.method} ${target} HTTP/1.1`, ...r.headers.map(([n, v]) => `${n}: ${v}`), '', ''].join(eol);
}

function decodeChunked(bytes: Buffer, cuts: number[]): HeadResult {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let previous = 0;
  for (const p of [...points, bytes.length]) {
    const r = decodeRequestHead(bytes.subarray(0, p), previous);
    if (r.status !== 'more') return r;
    previous = p;
  }
  return { status: 'more' };
}

test('property: generated requests decode to what was written, whole or in chunks', () => {
  fc.assert(
    fc.property(
      request,
      fc.array(fc.nat(), { maxLength: 6 }),
      fc.uint8Array({ maxLength: 10 }),
      (r, cuts, body) => {
        const head = Buffer.from(serialize(r), 'latin1');
        const connect = r.method.toUpperCase() === 'CONNECT';
        const whole = decodeRequestHead(Buffer.concat([head, body]));
        assert.equal(whole.status, 'done', whole.status === 'invalid' ? whole.reason : '');
        if (whole.status !== 'done') return;
        assert.equal(whole.used, head.length);
        assert.equal(whole.request.method, r.method);
        assert.equal(whole.request.host, r.host);
        assert.equal(whole.request.port, connect || r.explicitPort ? r.port : 80);
        assert.equal(whole.request.path, connect ? '' : `/${r.path}`);
        assert.deepEqual(whole.request.headers, r.headers);
        assert.deepEqual(decodeChunked(Buffer.concat([head, body]), cuts), whole);
        for (let i = 0; i < head.length; i += 7)
          assert.equal(decodeRequestHead(head.subarray(0, i)).status, 'more');
      },
    ),
    { numRuns: RUNS },
  );
});

test('property: the origin-form head keeps end-to-end headers in order and drops hop-by-hop ones', () => {
  fc.assert(
    fc.property(request, (r) => {
      if (r.method.toUpperCase() === 'CONNECT') return;
      const d = decodeRequestHead(Buffer.from(serialize(r), 'latin1'));
      if (d.status !== 'done') return assert.fail(d.status === 'invalid' ? d.reason : 'more');
      const out = originFormHead(d.request);
      assert.ok(
        out.endsWith('\r\nConnection: close\r\n\r\n'),
        "out.endsWith('\\r\\nConnection: close\\r\\n\\r\\n')",
      );
      const lines = out.slice(0, -4).split('\r\n');
      assert.equal(lines[0], `${r.method} /${r.path} HTTP/1.1`);
      assert.ok(
        lines.every((l) => !l.includes('\n') && !l.includes('\r')),
        "lines.every((l) => !l.includes('\\n') && !l.includes('\\r'))",
      );
      const names = lines.slice(1).map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
      assert.equal(names.filter((n) => n === 'host').length, 1);
      assert.equal(names.filter((n) => n === 'connection').length, 1);
      const listed = new Set(
        r.headers
          .filter(([n]) => n.toLowerCase() === 'connection')
          .flatMap(([, v]) => v.split(',').map((t) => t.trim().toLowerCase())),
      );
      const expected = r.headers
        .filter(([n]) => !HOP.includes(n.toLowerCase()) && !listed.has(n.toLowerCase()))
        .map(([n, v]) => `${n}: ${v}`);
      assert.deepEqual(lines.slice(2, -1), expected);
    }),
    { numRuns: RUNS },
  );
});

test('property: random and mutated bytes never throw, and it waits for more only below the limit', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc.tuple(request, fc.nat(), fc.nat(255)).map(([r, at, v]) => {
          const b = Buffer.from(serialize(r), 'latin1');
          b[at % b.length] = v;
          return new Uint8Array(b);
        }),
      ),
      (bytes) => {
        const d = decodeRequestHead(bytes);
        if (d.status === 'done') {
          assert.ok(d.used <= bytes.length, 'd.used <= bytes.length');
          assert.equal(d.used, findHeadEnd(bytes));
          for (const [, v] of d.request.headers) assert.doesNotMatch(v, /[\r\n\0]/);
        }
        if (d.status === 'more') assert.equal(findHeadEnd(bytes), -1);
      },
    ),
    { numRuns: RUNS },
  );
});

test('heads over the limit are refused, whether or not they ever end', () => {
  const long = Buffer.from(`GET http://x/ HTTP/1.1\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}`);
  assert.deepEqual(decodeRequestHead(long), {
    status: 'invalid',
    reason: `request head over ${MAX_HEAD_BYTES} bytes`,
  });
  const ended = Buffer.concat([long, Buffer.from('\r\n\r\n')]);
  assert.equal(decodeRequestHead(ended).status, 'invalid');
  const many = `GET http://x/ HTTP/1.1\r\n${'A: b\r\n'.repeat(101)}\r\n`;
  assert.deepEqual(decodeRequestHead(Buffer.from(many)), {
    status: 'invalid',
    reason: 'more than 100 headers',
  });
});
