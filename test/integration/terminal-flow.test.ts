/**
 * End-to-end flow control of `clawbridge term`: 200 MB of base64 from a remote PTY arrive complete
 * while both agents' memory stays bounded (the PTY is paused whenever the viewer falls behind), and a
 * second session on the same peer still answers meanwhile. Over a direct link and over the relay.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { stopAll } from '../helpers/processes.js';
import { rssBytes, startPair, term, termCounting } from './terminal-setup.js';

after(stopAll);

/** Generous bound on an agent's resident memory during the transfer, in bytes (400 MB). */
const RSS_BOUND = 400 * 1024 * 1024;
/** How long the viewer stops reading midway, in ms: the remote PTY must wait, not the agents' memory. */
const STALL_MS = 2_000;
/** How often RSS is sampled, in ms. */
const SAMPLE_MS = 200;

const skip = process.platform !== 'linux' ? 'samples /proc; POSIX shell commands' : false;

async function bulk(t: TestContext, relayOnly: boolean): Promise<void> {
  const pair = await startPair({ relayOnly });
  const peak = { a: 0, b: 0 };
  const sampler = setInterval(() => {
    peak.a = Math.max(peak.a, rssBytes(pair.a.child.pid!));
    peak.b = Math.max(peak.b, rssBytes(pair.b.child.pid!));
  }, SAMPLE_MS);
  try {
    let flowing!: () => void;
    const started = new Promise<void>((resolve) => (flowing = resolve));
    const started_at = Date.now();
    const big = termCounting(
      pair,
      ['sh', '-c', 'head -c 150000000 /dev/zero | base64'],
      240_000,
      (n) => n > 5_000_000 && flowing(),
      { afterBytes: 50_000_000, ms: STALL_MS },
    );
    await Promise.race([started, big]);
    // Another session on the same peer, while the first one streams.
    const echo = await term(pair, ['echo', 'still-here'], 60_000);
    assert.equal(echo.code, 0, echo.stderr);
    assert.equal(echo.stdout, 'still-here\n');
    const r = await big;
    assert.equal(r.code, 0, r.stderr);
    // base64 of 150,000,000 bytes is 200,000,000 characters (line ends not counted).
    assert.equal(r.chars, 200_000_000);
    assert.equal(r.stderr, '');
    t.diagnostic(
      `${relayOnly ? 'relay' : 'direct'}: ${((Date.now() - started_at) / 1000).toFixed(1)} s, ` +
        `peak RSS a ${(peak.a / 2 ** 20).toFixed(0)} MiB, b ${(peak.b / 2 ** 20).toFixed(0)} MiB`,
    );
    assert.ok(peak.a > 0 && peak.a < RSS_BOUND, `agent a peaked at ${peak.a} bytes`);
    assert.ok(peak.b > 0 && peak.b < RSS_BOUND, `agent b peaked at ${peak.b} bytes`);
  } finally {
    clearInterval(sampler);
    await Promise.all([pair.a.stop(), pair.b.stop(), pair.relay.proc.stop()]);
  }
}

test(
  '200 MB through term over a direct link: complete, memory bounded, another session answers',
  { skip },
  (t) => bulk(t, false),
);

test('200 MB through term over the relay: complete, memory bounded, another session answers', { skip }, (t) =>
  bulk(t, true),
);
