/**
 * The desktop app's updater (docs/adr/0077-desktop-updates.md): checks the feed at start and every few
 * hours (backing off while offline), downloads in the background, and offers the restart; it never
 * restarts by itself. The decisions are update-policy.ts's pure functions; the feed, the download and
 * the SHA-512 check are electron-updater's (update-engine.ts), reached through the narrow
 * UpdaterEngine below so tests run electron-updater's own code, or a fake, against a local feed.
 */
import { errorMessage } from '../core/errors.js';
import type { Disposer } from '../core/emitter.js';
import {
  failureKind,
  failureText,
  FIRST_CHECK_DELAY_MS,
  nextCheckDelayMs,
  notesText,
  offerProblem,
  restartVerdict,
  type LastCheck,
  type RestartVerdict,
  type RunningWork,
  type UpdateChoice,
  type UpdatePhase,
  type UpdateStatus,
  type UpdateSupport,
} from './update-policy.js';

/** What a check answers (electron-updater's UpdateCheckResult, the part used). */
export interface EngineCheckResult {
  isUpdateAvailable?: boolean;
  updateInfo: { version: string; releaseNotes?: unknown };
}

/** The part of electron-updater's AppUpdater the controller uses. */
export interface UpdaterEngine {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  allowPrerelease: boolean;
  allowDowngrade: boolean;
  /** Resolves to null when the updater is inactive (not packaged). */
  checkForUpdates(): Promise<EngineCheckResult | null>;
  /** Resolves once the file is downloaded and its SHA-512 matched; rejects otherwise. */
  downloadUpdate(): Promise<unknown>;
  /** Installs what was downloaded and quits; the app's quit handler then hands over and exits. */
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void;
  on(event: 'download-progress', listener: (info: { percent: number }) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** Where the choice and the last check are kept (preferences.ts). */
export interface UpdatePreferenceStore {
  updates(): UpdateChoice;
  setUpdates(choice: UpdateChoice): void;
  lastUpdateCheck(): LastCheck | null;
  setLastUpdateCheck(last: LastCheck): void;
}

export interface UpdateControllerOptions {
  /** The running app's version (`app.getVersion()`). */
  current: string;
  support: UpdateSupport;
  prefs: UpdatePreferenceStore;
  /** An administrator's decision that overrides the user's (update-fleet.ts); null: none. */
  fleet: {
    mode?: UpdateChoice['mode'];
    channel?: UpdateChoice['channel'];
    feedUrl?: string;
    source: string;
  } | null;
  /**
   * Builds the engine for a channel (update-engine.ts). Called on the first check, never while updates
   * are off: 'off' creates nothing and asks nothing.
   */
  engine: (choice: UpdateChoice) => UpdaterEngine;
  /** What a restart would interrupt now (the agent's terminals and transfers). */
  running: () => Promise<RunningWork>;
  /**
   * Before the install: the agent hands its terminals on peers to the next version and is ended
   * without hanging anything up (agent-host.ts stop with keepSessions; docs/adr/0082).
   */
  handOver: () => Promise<void>;
  log: (line: string) => void;
  now?: () => number;
}

export interface UpdateController {
  status(): UpdateStatus;
  onChange(listener: (status: UpdateStatus) => void): Disposer;
  /** Schedules the first check (FIRST_CHECK_DELAY_MS) unless updates are off. */
  start(): void;
  /** "Check now"; refused while updates are off (they make no request at all). */
  checkNow(): Promise<UpdateStatus>;
  /** Notify mode: download what was found. */
  download(): Promise<UpdateStatus>;
  setChoice(choice: UpdateChoice): UpdateStatus;
  /**
   * "Restart to update": at once when nothing runs or the user confirmed; otherwise not, with why
   * (the window then asks).
   */
  restart(confirmed: boolean): Promise<RestartVerdict>;
  dispose(): void;
}

export function updateController(options: UpdateControllerOptions): UpdateController {
  const now = options.now ?? Date.now;
  const listeners = new Set<(status: UpdateStatus) => void>();
  const fleet = options.fleet;
  const effective = (): UpdateChoice => {
    const own = options.prefs.updates();
    return { mode: fleet?.mode ?? own.mode, channel: fleet?.channel ?? own.channel };
  };
  let state: UpdatePhase = initialPhase();
  let last = options.prefs.lastUpdateCheck();
  let timer: NodeJS.Timeout | undefined;
  let offlineFailures = 0;
  let engine: { channel: UpdateChoice['channel']; engine: UpdaterEngine } | undefined;
  let checking: Promise<UpdateStatus> | undefined;
  let disposed = false;

  function initialPhase(): UpdatePhase {
    if (options.support.kind === 'none') return { phase: 'unsupported', why: options.support.why };
    return effective().mode === 'off' ? { phase: 'off' } : { phase: 'idle' };
  }

  const status = (): UpdateStatus => ({
    current: options.current,
    choice: effective(),
    managed: fleet ? fleet.source : null,
    feed: fleet?.feedUrl ?? null,
    state,
    last,
  });
  const set = (next: UpdatePhase) => {
    state = next;
    const s = status();
    for (const l of [...listeners]) l(s);
  };
  const remember = (entry: LastCheck) => {
    last = entry;
    options.prefs.setLastUpdateCheck(entry);
  };

  const engineFor = (choice: UpdateChoice): UpdaterEngine => {
    if (engine?.channel === choice.channel) return engine.engine;
    const e = options.engine(choice);
    // The app decides when to download (after its own look at the offer) and when to install (only
    // at a restart the user chose); a beta user may be offered stable releases, never older ones.
    e.autoDownload = false;
    e.autoInstallOnAppQuit = false;
    e.allowPrerelease = choice.channel === 'beta';
    e.allowDowngrade = false;
    e.on('download-progress', (info) => {
      if (state.phase === 'downloading')
        set({ ...state, percent: Math.max(0, Math.min(100, Math.round(info.percent))) });
    });
    // electron-updater also emits what it rejects with; the rejection is handled where it is awaited.
    e.on('error', (err) => options.log(`updater: ${errorMessage(err)}`));
    engine = { channel: choice.channel, engine: e };
    return e;
  };

  const schedule = (delayMs: number) => {
    clearTimeout(timer);
    timer = undefined;
    if (disposed || effective().mode === 'off' || options.support.kind === 'none') return;
    timer = setTimeout(() => void check().catch(() => undefined), delayMs);
    timer.unref?.();
  };

  const fail = (err: unknown): UpdateStatus => {
    const kind = failureKind(err);
    const message = failureText(err);
    options.log(`updater: ${message}`);
    if (kind === 'offline') offlineFailures += 1;
    set({ phase: 'failed', kind, message });
    return status();
  };

  const download = async (e: UpdaterEngine, version: string, notes: string): Promise<UpdateStatus> => {
    set({ phase: 'downloading', version, percent: 0 });
    try {
      await e.downloadUpdate();
    } catch (err) {
      return fail(err);
    }
    options.log(`updater: ${version} downloaded and verified; waiting for the user to restart`);
    set({ phase: 'ready', version, notes });
    return status();
  };

  const check = (): Promise<UpdateStatus> => {
    checking ??= (async () => {
      const choice = effective();
      if (choice.mode === 'off' || options.support.kind === 'none') return status();
      // A verified download waits for its restart: nothing newer is fetched over it meanwhile.
      if (state.phase === 'ready' || state.phase === 'downloading') return status();
      set({ phase: 'checking' });
      let result: EngineCheckResult | null;
      try {
        result = await engineFor(choice).checkForUpdates();
      } catch (err) {
        const s = fail(err);
        remember({ at: now(), outcome: 'failed', detail: (s.state as { message: string }).message });
        return s;
      } finally {
        schedule(nextCheckDelayMs(offlineFailures));
      }
      offlineFailures = 0;
      if (result === null) {
        set({ phase: 'unsupported', why: 'this build is not packaged, so it has no update feed' });
        return status();
      }
      const offered = result.updateInfo.version;
      if (!result.isUpdateAvailable) {
        remember({ at: now(), outcome: 'up-to-date' });
        set({ phase: 'up-to-date' });
        return status();
      }
      const problem = offerProblem(options.current, offered, choice.channel);
      if (problem) {
        const message = `${problem}; nothing was downloaded`;
        options.log(`updater: ${message}`);
        remember({ at: now(), outcome: 'failed', detail: message });
        set({ phase: 'failed', kind: 'feed', message });
        return status();
      }
      remember({ at: now(), outcome: 'found', detail: offered });
      const notes = notesText(result.updateInfo.releaseNotes);
      if (options.support.kind === 'notify') {
        set({ phase: 'available', version: offered, notes, link: options.support.link });
        return status();
      }
      if (choice.mode === 'notify') {
        set({ phase: 'available', version: offered, notes });
        return status();
      }
      return download(engineFor(choice), offered, notes);
    })().finally(() => (checking = undefined));
    return checking;
  };

  return {
    status,
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    start() {
      schedule(FIRST_CHECK_DELAY_MS);
    },
    checkNow() {
      if (options.support.kind === 'none') return Promise.resolve(status());
      if (effective().mode === 'off') return Promise.resolve(status());
      return check();
    },
    async download() {
      const s = state;
      if (s.phase !== 'available' || s.link || options.support.kind !== 'in-place') return status();
      return download(engineFor(effective()), s.version, s.notes);
    },
    setChoice(choice) {
      if (fleet) return status();
      const before = effective();
      options.prefs.setUpdates(choice);
      const after = effective();
      if (after.mode === 'off') {
        clearTimeout(timer);
        if (state.phase !== 'ready' && state.phase !== 'unsupported') set({ phase: 'off' });
        else set(state);
        return status();
      }
      if (state.phase === 'off' || before.channel !== after.channel) {
        // Turned on, or another channel: a check soon, as at start.
        if (state.phase !== 'ready' && state.phase !== 'unsupported') set({ phase: 'idle' });
        schedule(FIRST_CHECK_DELAY_MS);
      } else set(state);
      return status();
    },
    async restart(confirmed) {
      const s = state;
      if (s.phase !== 'ready') return { now: false, why: 'no update is ready to install' };
      const verdict = restartVerdict(await options.running(), confirmed);
      if (!verdict.now) return verdict;
      const e = engine?.engine;
      if (!e) return { now: false, why: 'no update is ready to install' };
      options.log(`updater: restarting to install ${s.version}`);
      clearTimeout(timer);
      await options.handOver();
      e.quitAndInstall(true, true);
      return verdict;
    },
    dispose() {
      disposed = true;
      clearTimeout(timer);
      listeners.clear();
    },
  };
}
