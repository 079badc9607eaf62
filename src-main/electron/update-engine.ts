/**
 * The updater engine: electron-updater's AppUpdater (the platform's own: NsisUpdater, MacUpdater,
 * AppImageUpdater), set up for a channel and a feed. It reads the feed (`latest*.yml`, or `beta*.yml`
 * on the beta channel), downloads differentially from the blockmaps, and checks the file's SHA-512
 * while it downloads; it checks the installer's Authenticode publisher on Windows, and Squirrel.Mac
 * the code signature on macOS (docs/adr/0077-desktop-updates.md). The controller
 * (update-controller.ts) sees only the UpdaterEngine part of it.
 */
import type { AppUpdater } from 'electron-updater';
import type { EngineCheckResult, UpdaterEngine } from './update-controller.js';
import type { UpdateChannel } from './update-policy.js';

/** The feed file electron-updater reads on a channel: `latest.yml` / `beta.yml` and their platform forms. */
export function channelName(channel: UpdateChannel): 'latest' | 'beta' {
  return channel === 'beta' ? 'beta' : 'latest';
}

/**
 * Points `updater` at `feedUrl` (a generic feed: a folder of `latest*.yml`, installers and blockmaps
 * served over HTTPS) when one is given, else at the release feed app-update.yml names (electron-builder
 * writes it from electron-builder.yml `publish`), on `channel`; logs through `log`.
 */
export function updaterEngine(
  updater: AppUpdater,
  channel: UpdateChannel,
  feedUrl: string | null,
  log: (line: string) => void,
): UpdaterEngine {
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
