/**
 * Signed update metadata through electron-updater's own AppImageUpdater (docs/adr/0084-signed-update-
 * metadata.md): a feed on 127.0.0.1 (test/helpers/update-feed.ts) whose `latest-linux.yml` is
 * unsigned, altered after signing, signed by another key or offers an older build, read through the
 * app's engine and controller. Nothing is downloaded and the installed AppImage stays as it was,
 * whatever the feed serves; a feed that is not HTTPS is refused before any request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { updateController } from '../../../src-main/electron/update-controller.js';
import { updaterEngine } from '../../../src-main/electron/update-engine.js';
import {
  ERR_UPDATE_FEED_INSECURE,
  requireSignedMetadata,
  type FeedRequestOptions,
} from '../../../src-main/electron/update-metadata-check.js';
import { signUpdateMetadata } from '../../../src-main/crypto/update-metadata-signature.js';
import { tempDir } from '../../helpers/temp-dir.js';
import {
  appImageLike,
  appImageUpdater,
  installedApp,
  startFeed,
  testSigningKey,
  type Feed,
  type OfferSigning,
} from '../../helpers/update-feed.js';

const NOTHING_RUNS = { terminals: 0, served: 0, transfers: 0 };

/** The controller over the real updater for an AppImage of 1.0.0, trusting `keys` (default: the feed's). */
function appOn(feed: Feed, options: { keys?: string[]; feedUrl?: string } = {}) {
  const installed = installedApp(tempDir('cb-update-'), '1.0.0', feed.url);
  const logs: string[] = [];
  let choice = { mode: 'automatic', channel: 'stable' } as const;
  const updates = updateController({
    current: '1.0.0',
    support: { kind: 'in-place' },
    prefs: {
      updates: () => choice,
      setUpdates: (c) => void (choice = c as typeof choice),
      lastUpdateCheck: () => null,
      setLastUpdateCheck: () => {},
    },
    fleet: null,
    engine: (c) =>
      updaterEngine(
        appImageUpdater(installed.adapter),
        c.channel,
        options.feedUrl ?? feed.url,
        (l) => logs.push(l),
        options.keys ?? [feed.key.publicKey],
      ),
    running: () => Promise.resolve(NOTHING_RUNS),
    handOver: () => Promise.resolve(),
    log: (l) => logs.push(l),
  });
  const untouched = () =>
    assert.equal(readFileSync(installed.appImage, 'utf8'), appImageLike('old 1.0.0').toString());
  return { updates, logs, untouched };
}

test('a feed file that is unsigned, altered after signing, signed by another key or for another file gets nothing downloaded or installed', async () => {
  const dir = tempDir('cb-feed-');
  const feed = await startFeed(dir);
  try {
    const honest = appImageLike('new 1.1.0');
    const evil = appImageLike('evil 1.1.0');
    // What the honest release's latest-linux.yml says, signed: the attacker has this file and its .sig.
    feed.offer('1.1.0', honest);
    const signedHonest = readFileSync(join(dir, 'latest-linux.yml'));
    const cases: [string, OfferSigning][] = [
      ['no signature file', 'none'],
      ['signed by a key this app does not ship', { key: testSigningKey() }],
      // The evil file and its own SHA-512 in the metadata, beside the honest metadata's signature.
      [
        'the honest signature beside altered metadata',
        { sig: (_yml, key) => signUpdateMetadata('latest-linux.yml', signedHonest, key.seed) },
      ],
      [
        "another platform's signed metadata",
        { sig: (yml, key) => signUpdateMetadata('latest-mac.yml', yml, key.seed) },
      ],
      ['a .sig that is not a signature', { sig: () => 'hello\n' }],
    ];
    const app = appOn(feed);
    for (const [what, signing] of cases) {
      feed.offer('1.1.0', evil, { signing });
      const status = await app.updates.checkNow();
      assert.equal(status.state.phase, 'failed', what);
      assert.ok(status.state.phase === 'failed' && status.state.kind === 'signature', what);
      assert.match(
        status.state.message,
        /^the update feed's metadata is not signed by this app's release key, so it was refused and nothing was installed/,
        what,
      );
      assert.equal(app.updates.status().last?.outcome, 'failed', what);
    }
    assert.deepEqual(feed.downloads(), [], 'no installer was requested');
    assert.deepEqual(await app.updates.restart(true), { now: false, why: 'no update is ready to install' });
    app.untouched();
  } finally {
    await feed.close();
  }
});

test('an app that ships no signing key installs nothing, even from a signed feed', async () => {
  const feed = await startFeed(tempDir('cb-feed-'));
  try {
    feed.offer('1.1.0', appImageLike('new 1.1.0'));
    const app = appOn(feed, { keys: [] });
    const { state } = await app.updates.checkNow();
    assert.ok(
      state.phase === 'failed' && state.kind === 'signature',
      "state.phase === 'failed' && state.kind === 'signature'",
    );
    assert.match(state.message, /this build ships no update signing key/);
    assert.deepEqual(feed.downloads(), []);
    app.untouched();
  } finally {
    await feed.close();
  }
});

test('signed metadata for the same or an older version is not a downgrade the app takes', async () => {
  const feed = await startFeed(tempDir('cb-feed-'));
  try {
    const app = appOn(feed);
    for (const version of ['1.0.0', '0.9.0']) {
      feed.offer(version, appImageLike(`signed ${version}`), { name: 'Clawbridge-old.AppImage' });
      assert.equal((await app.updates.checkNow()).state.phase, 'up-to-date', version);
    }
    assert.deepEqual(feed.downloads(), []);
    app.untouched();
    // The same feed with a newer signed version is taken: the refusals above were the versions'.
    feed.offer('1.1.0', appImageLike('new 1.1.0'));
    assert.equal((await app.updates.checkNow()).state.phase, 'ready');
  } finally {
    await feed.close();
  }
});

test('a feed that is not HTTPS is refused before any request; loopback HTTP is allowed for tests', async () => {
  const feed = await startFeed(tempDir('cb-feed-'));
  try {
    feed.offer('1.1.0', appImageLike('new 1.1.0'));
    const app = appOn(feed, { feedUrl: 'http://updates.example.org/clawbridge/' });
    const { state } = await app.updates.checkNow();
    assert.ok(
      state.phase === 'failed' && state.kind === 'feed',
      "state.phase === 'failed' && state.kind === 'feed'",
    );
    assert.match(
      state.message,
      /the update feed http:\/\/updates\.example\.org is not HTTPS, so it is refused/,
    );
    assert.deepEqual(feed.requests, []);
  } finally {
    await feed.close();
  }

  // The feed app-update.yml names is checked at each request: the executor never sends one to plain HTTP.
  const sent: FeedRequestOptions[] = [];
  const executor = {
    request: (options: FeedRequestOptions) => {
      sent.push(options);
      return Promise.resolve('');
    },
  };
  requireSignedMetadata(executor, ['key'], () => {});
  await assert.rejects(
    executor.request({ protocol: 'http:', hostname: '192.0.2.7', path: '/latest-linux.yml' }),
    (err: { code?: string }) => err.code === ERR_UPDATE_FEED_INSECURE,
  );
  await assert.rejects(
    executor.request({ protocol: 'http:', hostname: 'releases.example.org', path: '/x.atom' }),
    (err: { code?: string }) => err.code === ERR_UPDATE_FEED_INSECURE,
  );
  assert.deepEqual(sent, []);
  // HTTPS and loopback HTTP go out (a request that is not a feed file is passed as it is).
  await executor.request({ protocol: 'https:', hostname: 'github.com', path: '/o/r/releases.atom' });
  await executor.request({ hostname: 'github.com', path: '/o/r/releases.atom' });
  await executor.request({ protocol: 'http:', hostname: '127.0.0.1', port: 8080, path: '/blob' });
  assert.equal(sent.length, 3);
});
