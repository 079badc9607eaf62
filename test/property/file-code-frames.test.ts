/**
 * Properties of a file offer's sealed frames on its code's rendezvous (ADR 0124,
 * protocol/file-code-frames.ts, files/code-channel.ts): every frame the schema takes seals and opens
 * back to itself; hostile bytes, a frame with any byte changed, one replayed, one read out of order or
 * under the other direction's key only ever fail as PAIRING_FAILED; arbitrary JSON reads as a frame of
 * the schema or as none; the offer's link and the pairing invite it carries go both ways.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isClawError } from '../../src-main/core/errors.js';
import { FileCodeChannel } from '../../src-main/files/code-channel.js';
import {
  FILE_CODE_ADDRESSES_MAX,
  FILE_CODE_LINK_PREFIX,
  FILE_CODE_NAME_CHARS,
  FILE_CODE_NAMES_MAX,
  fileCodeInvite,
  fileCodeLink,
  readFileCodeFrame,
  type FileCodeFrame,
} from '../../src-main/protocol/file-code-frames.js';
import { encodeInvite, generatePairCode, INVITE_PREFIX } from '../../src-main/protocol/pair-code.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

const RUNS = Math.min(fuzzRuns(), 500);

/** A direct address as a sender's listener names it: an IPv4 or IPv6 literal and a port. */
const address: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `${h}:${p}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `[${h}]:${p}`),
);

const frame: fc.Arbitrary<FileCodeFrame> = fc.oneof(
  fc.record(
    {
      t: fc.constant('ready' as const),
      names: fc.array(fc.string({ minLength: 1, maxLength: FILE_CODE_NAME_CHARS }), {
        maxLength: FILE_CODE_NAMES_MAX,
      }),
      files: fc.nat(),
      bytes: fc.maxSafeNat(),
      addresses: fc.array(address, { maxLength: FILE_CODE_ADDRESSES_MAX }),
    },
    { requiredKeys: ['t', 'names', 'files', 'bytes'] },
  ),
  fc.record({ t: fc.constant('refused' as const), reason: fc.string({ maxLength: 300 }) }),
);

/** Runs `f`; only PAIRING_FAILED may escape. */
function onlyRefused(f: () => unknown): boolean {
  try {
    f();
  } catch (err) {
    if (!isClawError(err, 'PAIRING_FAILED')) throw err;
  }
  return true;
}

const pair = () => {
  const key = new Uint8Array(randomBytes(32));
  return { sender: new FileCodeChannel(key, 'sender'), receiver: new FileCodeChannel(key, 'receiver') };
};

describe('file offer frames', () => {
  it('seal and open back to the same frame, in order', () => {
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 4 }), (frames) => {
        const { sender, receiver } = pair();
        // fast-check's records have no prototype; a frame read from JSON has Object's.
        for (const f of frames)
          assert.deepEqual(receiver.open(sender.seal(f), 'a frame'), JSON.parse(JSON.stringify(f)));
      }),
      { numRuns: RUNS },
    );
  });

  it("a ready frame's addresses are dial addresses, at most FILE_CODE_ADDRESSES_MAX of them", () => {
    const ready = { t: 'ready', names: ['a'], files: 1, bytes: 1 };
    assert.deepEqual(readFileCodeFrame({ ...ready, addresses: ['10.0.0.2:7475', '[::1]:7475'] })?.t, 'ready');
    const many = Array.from({ length: FILE_CODE_ADDRESSES_MAX + 1 }, (_, i) => `10.0.0.${i + 1}:7475`);
    assert.equal(readFileCodeFrame({ ...ready, addresses: many }), undefined, 'too many');
    for (const bad of ['10.0.0.2', '10.0.0.2:0', ' 10.0.0.2:1', 'x:1\u001b[2J', ''])
      assert.equal(
        readFileCodeFrame({ ...ready, addresses: [bad] }),
        undefined,
        `no address: ${JSON.stringify(bad)}`,
      );
  });

  it('hostile bytes only fail as PAIRING_FAILED', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 9000 }), (bytes) =>
        onlyRefused(() => pair().receiver.open(bytes, 'x')),
      ),
      { numRuns: RUNS },
    );
  });

  it('a frame with any byte changed does not open', () => {
    fc.assert(
      fc.property(frame, fc.nat(), fc.integer({ min: 1, max: 255 }), (f, at, flip) => {
        const { sender, receiver } = pair();
        const sealed = sender.seal(f);
        const i = at % sealed.length;
        sealed[i] = sealed[i]! ^ flip;
        assert.throws(
          () => receiver.open(sealed, 'the offer'),
          (err) => isClawError(err, 'PAIRING_FAILED'),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('a frame replayed, reordered or sent back to its sender does not open', () => {
    fc.assert(
      fc.property(frame, frame, (a, b) => {
        const { sender, receiver } = pair();
        const first = sender.seal(a);
        const second = sender.seal(b);
        const refused = (err: unknown) => isClawError(err, 'PAIRING_FAILED');
        assert.throws(() => receiver.open(second, 'out of order'), refused);
        assert.throws(() => sender.open(first, 'its own frame'), refused);
        receiver.open(first, 'the first');
        assert.throws(() => receiver.open(first, 'replayed'), refused);
      }),
      { numRuns: Math.min(RUNS, 500) },
    );
  });

  it('any JSON reads as a frame of the schema or as none', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const f = readFileCodeFrame(json);
        if (f !== undefined) assert.deepEqual(readFileCodeFrame(JSON.parse(JSON.stringify(f))), f);
        return true;
      }),
      { numRuns: RUNS },
    );
    assert.equal(
      readFileCodeFrame({ t: 'ready', names: [], files: -1, bytes: 0 }),
      undefined,
      'a negative count',
    );
    assert.equal(
      readFileCodeFrame({ t: 'ready', names: [''], files: 0, bytes: 0 }),
      undefined,
      'an empty name',
    );
  });

  it('the offer link carries the pairing invite, both ways', () => {
    fc.assert(
      fc.property(fc.constantFrom('ws://127.0.0.1:9000', 'wss://relay.example:443'), (relayUrl) => {
        const invite = encodeInvite({ code: generatePairCode(), relayUrl });
        const link = fileCodeLink(invite);
        assert.ok(link.startsWith(FILE_CODE_LINK_PREFIX), `a file link: ${link}`);
        assert.equal(fileCodeInvite(link), invite, 'the invite again');
        assert.equal(
          fileCodeInvite(
            ` ${link.toUpperCase().slice(0, FILE_CODE_LINK_PREFIX.length)}${link.slice(FILE_CODE_LINK_PREFIX.length)}`,
          ),
          invite,
          'any case, spaces',
        );
        assert.ok(invite.startsWith(INVITE_PREFIX), 'a pairing invite');
      }),
      { numRuns: 50 },
    );
  });
});
