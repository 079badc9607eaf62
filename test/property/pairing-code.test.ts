/**
 * Properties of pairing codes and invites: hostile text (random, or a genuine code/invite mutated) only
 * ever yields BAD_PAIR_CODE / BAD_INVITE, never another exception or a hang; and whatever is encoded
 * parses back to the same value. 10,000 runs each.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isClawError } from '../../src-main/core/errors.js';
import {
  encodeInvite,
  generatePairCode,
  PAIR_CODE_ALPHABET,
  parseCodeOrInvite,
  parseInvite,
  parsePairCode,
  type Invite,
} from '../../src-main/protocol/pair-code.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

const RUNS = fuzzRuns();
/**
 * Per-call hang detector in ms. Parsing is linear in a bounded input and takes microseconds; the bound
 * is generous so a GC pause or a busy CI machine never fails it, while a real hang still does.
 */
const CALL_BUDGET_MS = 2000;

/** Runs `f`; only the expected ClawErrors may escape, and only quickly. */
function onlyCodeErrors(f: () => unknown): boolean {
  const started = performance.now();
  try {
    f();
  } catch (err) {
    if (!isClawError(err, 'BAD_PAIR_CODE') && !isClawError(err, 'BAD_INVITE')) throw err;
  }
  assert.ok(performance.now() - started < CALL_BUDGET_MS, 'parse hung');
  return true;
}

type Edit = { at: number; remove: number; insert: string };
const edit: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  remove: fc.nat({ max: 4 }),
  insert: fc.oneof(
    fc.string({ maxLength: 4 }),
    fc.string({ unit: 'grapheme', maxLength: 3 }),
    fc.constantFrom('%', '?', '&', '=', '#', '/', '%00', '%ff', '-', ' '),
  ),
});
function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of edits) {
    const at = e.at % (out.length + 1);
    out = out.slice(0, at) + e.insert + out.slice(at + e.remove);
  }
  return out;
}

const codeChar = fc.constantFrom(...PAIR_CODE_ALPHABET);
/** Any 12 code characters are a code: there is no check character to satisfy. */
const code = fc
  .array(codeChar, { minLength: 12, maxLength: 12 })
  .map((chars) => parsePairCode(chars.join('')));
/**
 * Labels start with a letter (a host whose last label is numeric is parsed as IPv4, and refused) and are
 * not `xn--` punycode (WHATWG URL rejects invalid punycode such as `xn--a`: not a valid relay host).
 */
const hostLabel = fc.stringMatching(/^[a-z]([a-z0-9-]{0,20}[a-z0-9])?$/).filter((l) => !/^xn--/.test(l));
const relayUrl = fc
  .tuple(
    fc.constantFrom('ws', 'wss'),
    fc.array(hostLabel, { minLength: 1, maxLength: 3 }),
    fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    fc.stringMatching(/^(\/[a-zA-Z0-9._~-]{0,10}){0,3}$/),
  )
  .map(([scheme, labels, port, path]) => `${scheme}://${labels.join('.')}${port ? `:${port}` : ''}${path}`);
const token = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
  .filter((t) => !/[\p{Cc}\p{Cs}]/u.test(t) && Buffer.byteLength(t) <= 255);
const invite: fc.Arbitrary<Invite> = fc
  .record({
    code,
    relay: fc.option(
      fc.record({
        url: relayUrl,
        fp: fc.option(fc.stringMatching(/^[0-9a-f]{64}$/), { nil: undefined }),
        token: fc.option(token, { nil: undefined }),
      }),
      { nil: undefined },
    ),
  })
  .map(({ code: c, relay }) => {
    const out: Invite = { code: c };
    if (relay) {
      out.relayUrl = relay.url;
      if (relay.fp !== undefined && relay.url.startsWith('wss:')) out.relayFingerprint = relay.fp;
      if (relay.token !== undefined) out.relayToken = relay.token;
    }
    return out;
  });

describe('pair code properties', () => {
  it('random text only ever fails with BAD_PAIR_CODE', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => onlyCodeErrors(() => parsePairCode(s))),
      { numRuns: RUNS },
    );
  });

  it('mutated genuine codes only ever fail with BAD_PAIR_CODE', () => {
    fc.assert(
      fc.property(code, fc.array(edit, { minLength: 1, maxLength: 3 }), (c, edits) =>
        onlyCodeErrors(() => parsePairCode(applyEdits(c.text, edits))),
      ),
      { numRuns: RUNS },
    );
  });

  it('any 12 code characters parse to tag (first 4) and secret (last 8), shown 4-4-4', () => {
    fc.assert(
      fc.property(fc.array(codeChar, { minLength: 12, maxLength: 12 }), (chars) => {
        const s = chars.join('');
        assert.deepEqual(parsePairCode(s), {
          tag: s.slice(0, 4),
          secret: s.slice(4),
          text: `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`,
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('a code with one character mistyped still parses, to a code that differs only there', () => {
    // Nothing on the joiner's side catches the typo: the issuer's PAKE must see it and burn the code.
    fc.assert(
      fc.property(code, fc.nat({ max: 11 }), codeChar, (c, at, to) => {
        const chars = [...(c.tag + c.secret)];
        fc.pre(chars[at] !== to);
        chars[at] = to;
        const typo = parsePairCode(chars.join(''));
        assert.equal(typo.tag + typo.secret, chars.join(''));
        assert.equal(at < 4 ? typo.secret : typo.tag, at < 4 ? c.secret : c.tag);
      }),
      { numRuns: RUNS },
    );
  });

  it('a code parses back from its text in any case and spacing', () => {
    fc.assert(
      fc.property(code, fc.boolean(), fc.constantFrom('-', ' ', '', ' - '), (c, lower, sep) => {
        const shown = c.text.replace(/-/g, sep);
        assert.deepEqual(parsePairCode(lower ? shown.toLowerCase() : shown), c);
      }),
      { numRuns: RUNS },
    );
  });

  it('generated codes parse back to themselves', () => {
    fc.assert(
      fc.property(fc.constant(null), () => {
        const c = generatePairCode();
        assert.deepEqual(parsePairCode(c.text), c);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('invite properties', () => {
  it('random text only ever fails with BAD_INVITE or BAD_PAIR_CODE', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ maxLength: 120 }).map((s) => `clawbridge://pair/${s}`),
      fc.string({ maxLength: 120 }).map((s) => `clawbridge://join?${s}`),
      fc.string({ maxLength: 120 }).map((s) => `clawbridge://join?invite=${s}`),
    );
    fc.assert(
      fc.property(text, (s) => onlyCodeErrors(() => parseCodeOrInvite(s))),
      { numRuns: RUNS },
    );
  });

  it('mutated genuine invites only ever fail with BAD_INVITE or BAD_PAIR_CODE', () => {
    fc.assert(
      fc.property(invite, fc.array(edit, { minLength: 1, maxLength: 4 }), (i, edits) =>
        onlyCodeErrors(() => parseInvite(applyEdits(encodeInvite(i), edits))),
      ),
      { numRuns: RUNS },
    );
  });

  it('every valid invite encodes and parses back to itself', () => {
    fc.assert(
      fc.property(invite, (i) => {
        assert.deepEqual(parseInvite(encodeInvite(i)), i);
        assert.deepEqual(parseCodeOrInvite(` ${encodeInvite(i)}\n`), i);
      }),
      { numRuns: RUNS },
    );
  });
});
