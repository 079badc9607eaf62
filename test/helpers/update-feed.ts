/**
 * A real update feed on loopback for the updater's tests (docs/adr/0077-desktop-updates.md): a folder
 * with `latest-linux.yml` and an AppImage-like file (a shell script that records it ran), served over
 * HTTP on 127.0.0.1, counting every request; and electron-updater's own AppImageUpdater, given an app
 * adapter instead of Electron's `app`, and its own ElectronHttpExecutor over a fake `electron.net`
 * (Node's http.request, which has the same request and response events), so its real code reads the
 * feed, downloads, checks the SHA-512 and installs. The 'electron' module is faked in require's cache:
 * `net` and `session` for the requests, `autoUpdater` for the signal it sends before quitting.
 * The feed signs its `latest-linux.yml` as the release workflow does (`latest-linux.yml.sig`,
 * docs/adr/0084-signed-update-metadata.md) with a key pair made for the test, unless told otherwise.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type RequestOptions, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import type { AppAdapter } from 'electron-updater/out/AppAdapter.js';
import type * as ElectronUpdater from 'electron-updater';
import type { AppImageUpdater as AppImageUpdaterType } from 'electron-updater';
import { ed25519 } from '@noble/curves/ed25519.js';
import { signUpdateMetadata, updatePublicKey } from '../../src-main/crypto/update-metadata-signature.js';

const require = createRequire(import.meta.url);

/** The fake 'electron' module: what electron-updater's requests and its quit for an update use. */
export const fakeElectronModule = {
  autoUpdater: new EventEmitter(),
  session: { fromPartition: () => ({}) },
  net: {
    // Electron's net.request takes a session and a redirect mode Node's does not; the rest is the same.
    request: ({
      session: _s,
      redirect: _r,
      ...options
    }: RequestOptions & { session?: unknown; redirect?: unknown }) => {
      // Tests never leave this machine, even when the code under test would send a request elsewhere.
      if (!/^(127\.0\.0\.1|localhost|\[?::1\]?)$/.test(options.hostname ?? ''))
        throw new Error(`test guard: ${String(options.hostname)} is not loopback; nothing was sent`);
      return httpRequest(options);
    },
  },
};
const electronPath = require.resolve('electron', { paths: [require.resolve('electron-updater')] });
require.cache[electronPath] = {
  id: electronPath,
  filename: electronPath,
  loaded: true,
  exports: fakeElectronModule,
} as unknown as NodeJS.Module;

const { AppImageUpdater } = require('electron-updater') as typeof ElectronUpdater;
const { ElectronHttpExecutor } = require('electron-updater/out/electronHttpExecutor.js') as {
  ElectronHttpExecutor: new () => unknown;
};

/** A signing key made for one test: `seed` signs, `publicKey` (base64) is what the app is given. */
export interface TestSigningKey {
  seed: Uint8Array;
  publicKey: string;
}

export function testSigningKey(): TestSigningKey {
  const seed = ed25519.utils.randomSecretKey();
  return { seed, publicKey: updatePublicKey(seed) };
}

/**
 * How `offer` signs latest-linux.yml: with the feed's key (default), another key, not at all (no .sig
 * file), or by a callback that writes the .sig text itself (over other bytes, a broken file…).
 */
export type OfferSigning =
  'feed-key' | 'none' | { key: TestSigningKey } | { sig: (yml: Buffer, key: TestSigningKey) => string };

export interface Feed {
  url: string;
  /** The key the feed signs with; give its publicKey to the app under test. */
  key: TestSigningKey;
  /** Every request path, in order. */
  requests: string[];
  /** Requests for files other than the feed's yml (the downloads). */
  downloads(): string[];
  /**
   * Writes latest-linux.yml offering `file` as `version`, with `sha512` (default: the file's own), and
   * its signature as `signing` says (default: the feed's key).
   */
  offer(
    version: string,
    file: Buffer,
    options?: { sha512?: string; notes?: string; name?: string; signing?: OfferSigning },
  ): void;
  close(): Promise<void>;
}

export const sha512 = (data: Buffer) => createHash('sha512').update(data).digest('base64');

/** An AppImage-like file: a script that writes `text` to the file $UPDATE_MARKER names when run. */
export function appImageLike(text: string): Buffer {
  return Buffer.from(`#!/bin/sh\nprintf '%s' '${text}' > "$UPDATE_MARKER"\n`);
}

export async function startFeed(dir: string): Promise<Feed> {
  mkdirSync(dir, { recursive: true });
  const key = testSigningKey();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    let body: Buffer;
    try {
      body = readFileSync(join(dir, basename(path)));
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    key,
    requests,
    downloads: () => requests.filter((p) => !p.endsWith('.yml') && !p.endsWith('.yml.sig')),
    offer(version, file, options = {}) {
      const name = options.name ?? `Clawbridge-${version}.AppImage`;
      writeFileSync(join(dir, name), file);
      const sum = options.sha512 ?? sha512(file);
      const yml = Buffer.from(
        [
          `version: ${version}`,
          'files:',
          `  - url: ${name}`,
          `    sha512: ${sum}`,
          `    size: ${file.length}`,
          `path: ${name}`,
          `sha512: ${sum}`,
          `releaseDate: '2026-01-01T00:00:00.000Z'`,
          `releaseNotes: ${JSON.stringify(options.notes ?? 'Faster file transfers.')}`,
          '',
        ].join('\n'),
      );
      writeFileSync(join(dir, 'latest-linux.yml'), yml);
      const signing = options.signing ?? 'feed-key';
      const sigFile = join(dir, 'latest-linux.yml.sig');
      rmSync(sigFile, { force: true });
      if (signing === 'none') return;
      const sig =
        signing === 'feed-key'
          ? signUpdateMetadata('latest-linux.yml', yml, key.seed)
          : 'key' in signing
            ? signUpdateMetadata('latest-linux.yml', yml, signing.key.seed)
            : signing.sig(yml, key);
      writeFileSync(sigFile, sig);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface InstalledApp {
  /** The running "AppImage" ($APPIMAGE): what an install replaces. */
  appImage: string;
  /** Where the started update writes (UPDATE_MARKER). */
  marker: string;
  adapter: AppAdapter & { quits: number };
}

/**
 * An installed AppImage of `version` in `dir`: its file (old content), app-update.yml pointing at
 * `feedUrl`, and the environment the AppImage runtime sets (APPIMAGE). Sets process.env for the test.
 */
export function installedApp(dir: string, version: string, feedUrl: string): InstalledApp {
  mkdirSync(join(dir, 'userData'), { recursive: true });
  const appImage = join(dir, 'Clawbridge.AppImage');
  writeFileSync(appImage, appImageLike(`old ${version}`));
  chmodSync(appImage, 0o755);
  const config = join(dir, 'app-update.yml');
  writeFileSync(config, `provider: generic\nurl: ${feedUrl}\nupdaterCacheDirName: clawbridge-updater\n`);
  const marker = join(dir, 'started');
  process.env.APPIMAGE = appImage;
  process.env.UPDATE_MARKER = marker;
  const adapter = {
    quits: 0,
    version,
    name: 'Clawbridge',
    isPackaged: true,
    appUpdateConfigPath: config,
    userDataPath: join(dir, 'userData'),
    baseCachePath: join(dir, 'cache'),
    whenReady: () => Promise.resolve(),
    relaunch() {},
    quit() {
      adapter.quits += 1;
    },
    onQuit() {},
  };
  return { appImage, marker, adapter };
}

/** electron-updater's AppImageUpdater for `app`, with the HTTP executor it uses in the app. */
export function appImageUpdater(app: AppAdapter): AppImageUpdaterType {
  const updater = new AppImageUpdater(null, app);
  // Given an app adapter, electron-updater leaves the executor to the caller; the app's is this one.
  (updater as unknown as { httpExecutor: unknown }).httpExecutor = new ElectronHttpExecutor();
  updater.logger = null;
  return updater;
}
