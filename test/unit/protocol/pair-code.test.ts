/**
 * Pairing codes and invites: format, forgiving input, typos passed through to the PAKE, and every
 * refusal's message.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isClawError } from '../../../src-main/core/errors.js';
import {
  codeNamed,
  encodeInvite,
  generatePairCode,
  PAIR_CODE_ALPHABET,
  parseCodeOrInvite,
  parseInvite,
  parsePairCode,
} from '../../../src-main/protocol/pair-code.js';

const badCode = (pattern: RegExp) => (e: unknown) =>
  isClawError(e, 'BAD_PAIR_CODE') && pattern.test(e.message);
const badInvite = (pattern: RegExp) => (e: unknown) =>
  isClawError(e, 'BAD_INVITE') && pattern.test(e.message);
const example = parsePairCode('K7QX-M2RT-9WZA');
/** One code character; the 12-character shape of a whole code, shown 4-4-4. */
const CHAR = '[0-9A-HJKMNP-TV-Z]';
const SHAPE = new RegExp(`^${CHAR}{4}-${CHAR}{4}-${CHAR}{4}$`);

/** `text` with its character at index `i` replaced by `c`. */
const withChar = (text: string, i: number, c: string) => text.slice(0, i) + c + text.slice(i + 1);

describe('pair codes', () => {
  it('splits into a 4-character tag, an 8-character secret and shows 4-4-4', () => {
    assert.deepEqual(example, { tag: 'K7QX', secret: 'M2RT9WZA', text: 'K7QX-M2RT-9WZA' });
  });

  it('generates distinct random codes that use the whole alphabet and parse back to themselves', () => {
    const seen = new Set<string>();
    const used = new Set<string>();
    for (let n = 0; n < 200; n++) {
      const code = generatePairCode();
      assert.match(code.text, SHAPE);
      assert.deepEqual(parsePairCode(code.text), code);
      seen.add(code.text);
      for (const c of code.tag + code.secret) used.add(c);
    }
    assert.equal(seen.size, 200);
    // 2,400 uniform characters miss one of 32 with probability below 32·(31/32)^2400 ≈ 10^-31.
    assert.equal(used.size, PAIR_CODE_ALPHABET.length);
  });

  it('is forgiving: case, spaces, dashes, I/L as 1 and O as 0', () => {
    const code = parsePairCode('10K7-QXM2-RT9W');
    assert.deepEqual(code, { tag: '10K7', secret: 'QXM2RT9W', text: '10K7-QXM2-RT9W' });
    assert.equal(
      parsePairCode(` ${code.text.toLowerCase().replace(/1/g, 'l').replace(/0/g, 'o')} `).text,
      code.text,
    );
    assert.equal(parsePairCode(code.text.replace(/-/g, '').replace('1', 'I')).text, code.text);
    assert.equal(parsePairCode(code.text.replace(/-/g, ' ')).text, code.text);
    assert.equal(parsePairCode(code.text.replace(/-/g, '\u2013')).text, code.text); // en dash from a chat app
  });

  it('names a malformed code as its holder knows it when read for a file or a share; other errors pass', () => {
    assert.throws(
      () => codeNamed('the file code', () => parsePairCode('K7QX-M2RT')),
      badCode(/^the file code must be 12 characters \(like K7QX-M2RT-9WZA\), got 8$/),
    );
    assert.throws(
      () => codeNamed('the share code', () => parseCodeOrInvite('K7QX-M2RT-9WZU')),
      badCode(/^the share code contains 'U', which is not a code character/),
    );
    assert.equal(codeNamed('the file code', () => parsePairCode('K7QX-M2RT-9WZA')).text, 'K7QX-M2RT-9WZA');
    assert.throws(
      () => codeNamed('the file code', () => parseInvite('clawbridge://join?relay=x')),
      badInvite(/./),
      'an invite that is wrong stays an invite error',
    );
  });

  it('says how many characters it expected', () => {
    assert.throws(
      () => parsePairCode('K7QX-M2RT'),
      badCode(/^pair code must be 12 characters \(like K7QX-M2RT-9WZA\), got 8$/),
    );
    assert.throws(() => parsePairCode(''), badCode(/must be 12 characters .*, got 0$/));
    assert.throws(() => parsePairCode('K7QX-M2RT-9WZ'), badCode(/must be 12 characters .*, got 11$/));
    // A code in the old 13-character form (with a check character) is refused, not truncated.
    assert.throws(() => parsePairCode('K7QX-M2RT-9WZA-5'), badCode(/must be 12 characters .*, got 13$/));
    assert.throws(() => parsePairCode('K'.repeat(65)), badCode(/too long \(65 characters\)/));
  });

  it('names an invalid character', () => {
    assert.throws(
      () => parsePairCode('K7QX-M2RT-9WZU'),
      badCode(/contains 'U', which is not a code character/),
    );
    assert.throws(() => parsePairCode('K7QX-M2RT-9WZ*'), badCode(/contains '\*'/));
    assert.throws(() => parsePairCode('K7QX-M2RT-9WZß'), badCode(/contains U\+DF/));
  });

  it('passes every single wrong character and every swap through, so the PAKE sees the typo', () => {
    // No check character: a mistyped secret must reach the issuer's PAKE, fail on both sides and burn
    // the code, instead of being caught on the joiner's side only.
    const text = example.tag + example.secret;
    for (let i = 0; i < text.length; i++) {
      for (const c of PAIR_CODE_ALPHABET) {
        if (c === text[i]) continue;
        const typo = parsePairCode(withChar(text, i, c));
        assert.equal(typo.tag + typo.secret, withChar(text, i, c));
        // The typo lands in the tag or the secret, and nowhere else.
        if (i < 4) assert.equal(typo.secret, example.secret);
        else assert.equal(typo.tag, example.tag);
      }
    }
    for (let i = 0; i < text.length; i++) {
      for (let j = i + 1; j < text.length; j++) {
        if (text[i] === text[j]) continue;
        const chars = [...text];
        [chars[i], chars[j]] = [chars[j]!, chars[i]!];
        const swapped = parsePairCode(chars.join(''));
        assert.notDeepEqual(swapped, example);
        assert.equal(swapped.tag + swapped.secret, chars.join(''));
      }
    }
  });
});

describe('invites', () => {
  const fp = 'ab'.repeat(32);

  it('encodes code, relay, fingerprint and token as a clawbridge://join link', () => {
    const text = encodeInvite({
      code: example,
      relayUrl: 'wss://relay.example:8443/r',
      relayFingerprint: fp.toUpperCase(),
      relayToken: 't+k n',
    });
    assert.equal(
      text,
      `clawbridge://join?invite=K7QX-M2RT-9WZA&relay=wss%3A%2F%2Frelay.example%3A8443%2Fr&fp=${fp}&token=t%2Bk+n`,
    );
    assert.deepEqual(parseInvite(text), {
      code: example,
      relayUrl: 'wss://relay.example:8443/r',
      relayFingerprint: fp,
      relayToken: 't+k n',
    });
    assert.equal(encodeInvite({ code: example }), 'clawbridge://join?invite=K7QX-M2RT-9WZA');
  });

  it('still takes the first form, clawbridge://pair/<code>?…', () => {
    assert.deepEqual(parseInvite(`clawbridge://pair/K7QX-M2RT-9WZA?relay=wss%3A%2F%2Fh&fp=${fp}&token=t`), {
      code: example,
      relayUrl: 'wss://h',
      relayFingerprint: fp,
      relayToken: 't',
    });
    assert.deepEqual(parseInvite('clawbridge://pair/k7qx-m2rt-9wza'), { code: example });
    assert.throws(
      () => parseInvite('clawbridge://pair/K7QX-M2RT-9WZA?invite=K7QX-M2RT-9WZA'),
      badInvite(/unknown parameter 'invite'/),
    );
  });

  it('parseCodeOrInvite takes either', () => {
    assert.deepEqual(parseCodeOrInvite(' k7qx m2rt 9wza '), { code: example });
    assert.deepEqual(parseCodeOrInvite('CLAWBRIDGE://pair/K7QX-M2RT-9WZA?relay=ws%3A%2F%2F10.0.0.2%3A7000'), {
      code: example,
      relayUrl: 'ws://10.0.0.2:7000',
    });
    assert.throws(() => parseCodeOrInvite('clawbridge://pair/K7QX-M2RT-9WZA-5'), badCode(/got 13$/));
    assert.throws(() => parseCodeOrInvite('K7QX-M2RT-9WZA-5'), badCode(/got 13$/));
  });

  it('refuses each malformed part with a clear line', () => {
    const base = 'clawbridge://join?invite=K7QX-M2RT-9WZA';
    const legacy = 'clawbridge://pair/K7QX-M2RT-9WZA';
    const cases: [string, RegExp][] = [
      ['https://example.com/K7QX-M2RT-9WZA', /must start with clawbridge:\/\/join — paste the whole invite/],
      ['clawbridge://join?relay=wss%3A%2F%2Fh', /invite has no code — it must carry invite=<code>/],
      [`${base}&invite=K7QX-M2RT-9WZA`, /repeats the parameter 'invite'/],
      [`${base}&relay=http%3A%2F%2Fx`, /must be a ws:\/\/ or wss:\/\/ URL, got http:\/\//],
      [`${base}&relay=not%20a%20url`, /relay is not a URL/],
      [`${base}&relay=wss%3A%2F%2Fu%3Ap%40h`, /must not contain a user name or password/],
      [`${base}&relay=wss%3A%2F%2Fh&fp=abc`, /fingerprint must be 64 hex characters, got 3 characters/],
      [`${base}&relay=wss%3A%2F%2Fh&fp=${'g'.repeat(64)}`, /fingerprint may contain only hex digits/],
      [`${base}&relay=ws%3A%2F%2Fh&fp=${fp}`, /relay is ws:\/\/, which has no certificate to pin/],
      [`${base}&fp=${fp}`, /fingerprint or token but no relay URL/],
      [`${base}&relay=wss%3A%2F%2Fh&token=`, /token must be 1 to 255 bytes, got 0/],
      [`${base}&relay=wss%3A%2F%2Fh&token=${'x'.repeat(256)}`, /token must be 1 to 255 bytes, got 256/],
      [`${base}&relay=wss%3A%2F%2Fh&token=a%07`, /token contains control characters/],
      [`${base}&relay=wss%3A%2F%2Fh&relay=wss%3A%2F%2Fh`, /repeats the parameter 'relay'/],
      [`${base}&relay=wss%3A%2F%2Fh&colour=blue`, /unknown parameter 'colour'/],
      [`${base}&relay=wss%3A%2F%2F${'h'.repeat(600)}`, /relay URL must be 1 to 512 characters, got 606/],
      [`${base}#x`, /#fragment/],
      [`${legacy}/extra`, /path must be just the code, like \/K7QX-M2RT-9WZA$/],
      [`${legacy}%zz`, /not valid percent-encoding/],
      [`${base}&token=${'a'.repeat(2100)}`, /limit is 2048/],
    ];
    for (const [text, pattern] of cases) {
      assert.throws(
        () => parseInvite(text),
        (e: unknown) =>
          (isClawError(e, 'BAD_INVITE') || isClawError(e, 'BAD_PAIR_CODE')) && pattern.test(e.message),
        text,
      );
    }
    assert.throws(
      () => parseInvite('clawbridge://join?invite=K7QX'),
      badCode(/must be 12 characters .*, got 4$/),
    );
    assert.throws(() => parseInvite('clawbridge://pair/K7QX'), badCode(/must be 12 characters .*, got 4$/));
  });

  it('refuses to encode what it would not parse', () => {
    assert.throws(
      () => encodeInvite({ code: example, relayUrl: 'http://x' }),
      badInvite(/ws:\/\/ or wss:\/\//),
    );
    assert.throws(() => encodeInvite({ code: example, relayToken: 't' }), badInvite(/no relay URL/));
    assert.throws(
      () => encodeInvite({ code: { ...example, text: 'K7QX-M2RT-9WZU' } }),
      badCode(/contains 'U'/),
    );
  });
});
