/**
 * The updater engine: electron-updater's AppUpdater (the platform's own: NsisUpdater, MacUpdater,
 * AppImageUpdater), set up for a channel and a feed. It reads the feed (`latest*.yml`, or `beta*.yml`
 * on the beta channel), downloads differentially from the blockmaps, and checks the file's SHA-512
 * while it downloads; it checks the installer's Authenticode publisher on Windows, and Squirrel.Mac
 * the code signature on macOS (docs/adr/0077-desktop-updates.md). Before any of that, each feed file's
 * own signature is checked with the keys the app ships (update-metadata-check.ts,
 * docs/adr/0084-signed-update-metadata.md), on every platform. The controller (update-controller.ts)
 * sees only the UpdaterEngine part of it.
 */
import type { AppUpdater } from 'electron-updater';
import type { EngineCheckResult, UpdaterEngine } from './update-controller.js';
import {
  ERR_UPDATE_FEED_INSECURE,
  ERR_UPDATE_METADATA_SIGNATURE,
  requireSignedMetadata,
  updateError,
  type FeedExecutor,
} from './update-metadata-check.js';
import { feedUrlProblem, type UpdateChannel } from './update-policy.js';

/** The feed file electron-updater reads on a channel: `latest.yml` / `beta.yml` and their platform forms. */
export function channelName(channel: UpdateChannel): 'latest' | 'beta' {
  return channel === 'beta' ? 'beta' : 'latest';
}

/**
 * Points `updater` at `feedUrl` (a generic feed: a folder of `latest*.yml`, installers and blockmaps
 * served over HTTPS) when one is given, else at the release feed app-update.yml names (electron-builder
 * writes it from electron-builder.yml `publish`), on `channel`; logs through `log`. Every feed file
 * must be signed by one of `publicKeys` (update-signing-keys.ts in the app, a test's own key in tests);
 * a feed that is not HTTPS (loopback aside) is refused.
 */
export function updaterEngine(
  updater: AppUpdater,
  channel: UpdateChannel,
  feedUrl: string | null,
  log: (line: string) => void,
  publicKeys: readonly string[],
): UpdaterEngine {
  const insecure = feedUrl === null ? null : feedUrlProblem(feedUrl);
  if (insecure) throw updateError(ERR_UPDATE_FEED_INSECURE, insecure);
  // Created with Electron's app, the updater has its executor from the start; providers are made
  // later (setFeedURL below, or the first check) and take it then, so the wrap comes first.
  const executor = (updater as unknown as { httpExecutor: FeedExecutor | null }).httpExecutor;
  if (!executor)
    throw updateError(
      ERR_UPDATE_METADATA_SIGNATURE,
      'the updater has no HTTP client whose answers can be checked',
    );
  requireSignedMetadata(executor, publicKeys, log);
  if (feedUrl) updater.setFeedURL({ provider: 'generic', url: feedUrl, channel: channelName(channel) });
  // Setting a channel lets electron-updater downgrade; the controller sets allowDowngrade back to false.
  updater.channel = channelName(channel);
  updater.logger = {
    info: (m: unknown) => log(`updater: ${String(m)}`),
    warn: (m: unknown) => log(`updater: ${String(m)}`),
    error: (m: unknown) => log(`updater: ${String(m)}`),
  };
  return {
    get autoDownload() {
      return updater.autoDownload;
    },
    set autoDownload(on) {
      updater.autoDownload = on;
    },
    get autoInstallOnAppQuit() {
      return updater.autoInstallOnAppQuit;
    },
    set autoInstallOnAppQuit(on) {
      updater.autoInstallOnAppQuit = on;
    },
    get allowPrerelease() {
      return updater.allowPrerelease;
    },
    set allowPrerelease(on) {
      updater.allowPrerelease = on;
    },
    get allowDowngrade() {
      return updater.allowDowngrade;
    },
    set allowDowngrade(on) {
      updater.allowDowngrade = on;
    },
    checkForUpdates: (): Promise<EngineCheckResult | null> => updater.checkForUpdates(),
    downloadUpdate: () => updater.downloadUpdate(),
    quitAndInstall: (isSilent, isForceRunAfter) => updater.quitAndInstall(isSilent, isForceRunAfter),
    on(event: 'download-progress' | 'error', listener: (arg: never) => void) {
      if (event === 'download-progress')
        updater.on('download-progress', listener as (info: { percent: number }) => void);
      else updater.on('error', listener as (err: Error) => void);
      return this;
    },
  };
}
