/**
 * The node's settings file (conf, JSON in the home, mode 0600). Everything read from disk is validated:
 * a hand-edited or corrupt file is reported with its path and what is wrong, and is never overwritten
 * silently. Only the node-state store (node-state.ts) may import SettingsFile: it is the one writer of
 * what the node keeps (lint enforces it; docs/architecture.md §State and its owners).
 */
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { replaceFileSync } from '../home/durable-file.js';
import { extrasOf, pruneExtras, withExtras, type SettingsExtras } from './settings-extras.js';
import { ClawError, errnoOf, isClawError } from '../core/errors.js';
import { diskFix } from '../core/file-errors.js';
import { deepFreeze } from '../core/deep-readonly.js';
import { commandArgs, hereHint } from '../core/hint.js';
import { describeZodError } from '../core/zod-error.js';
import { ensureHomeDir } from '../home/home-dir.js';
import { knownFields, settingsSchemas, upgradeSettings, type Settings } from './settings.js';
import { NODE_VOCABULARY, type Vocabulary } from '../api/vocabulary.js';

/**
 * A config.json that is a link to nothing (settings kept elsewhere, on a disk not mounted yet) would
 * read as no settings at all: the node would start as new, with defaults, and overwrite the link.
 */
function refuseDanglingLink(path: string): void {
  let target: string;
  try {
    target = readlinkSync(path);
  } catch {
    return; // no file, no link: a first start
  }
  throw new ClawError(
    'CONFIG_INVALID',
    `${path} is a link to ${target}, which does not exist; make it reachable again (or remove the link to start with default settings)`,
  );
}

/**
 * The file as JSON: `{}` when there is none yet (a first start). The file is read here, not through
 * `conf`, which the agent used for this alone and which loaded ajv with it (heap held for the life of
 * the process, ADR 0053; docs/design/loading-on-demand.md); its writes already bypassed it
 * (durable-file.ts).
 */
function readStore(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  return JSON.parse(text);
}

/**
 * A config.json whose top level is not an object (an array, null, a string) as `{}`, and
 * the first save would then replace the user's file with defaults: refuse it like any other bad file.
 */
function refuseNonObjectFile(path: string): void {
  // Not a regular file (a FIFO would block the read for good, a device could be endless).
  if (statSync(path, { throwIfNoEntry: false })?.isFile() === false) {
    throw new ClawError(
      'CONFIG_INVALID',
      `${path} is not a regular file; move it away (the agent then starts with default settings)`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') refuseDanglingLink(path);
    return; // none yet (or unreadable: readStore says so)
  }
  if (text.startsWith('\ufeff')) {
    // Invisible in an editor and in JSON.parse's complaint ("Unexpected token ''").
    throw new ClawError(
      'CONFIG_INVALID',
      `${path} starts with a byte-order mark (BOM): save it as UTF-8 without BOM`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return; // readStore reports the syntax error
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new ClawError(
      'CONFIG_INVALID',
      `settings in ${path} are invalid (the file holds ${what}, not an object of settings) — fix the file or move it away`,
    );
  }
}

/** What to do when a save fails with a code that is not the disk's as a whole (core/file-errors.ts diskFix). */
const SAVE_FIX: Record<string, string> = {
  EFBIG: 'raise the file size limit (ulimit -f)',
};

export class SettingsFile {
  readonly path: string;
  /** Frozen (deepFreeze): made new by each save, never changed in place. */
  private current: Settings;
  /**
   * Top-level settings this release does not know (written by a newer release, or by hand), written
   * back as they were: a save would otherwise drop them, and the newer release would lose them.
   */
  private unknown: Record<string, unknown> = {};
  /** The same inside entries (a peer's, a forward's…), put back on the same entry (settings-extras.ts). */
  private extras: SettingsExtras = { lists: {}, where: [] };
  /** The file's text as last read or written here: another text means someone edited it meanwhile. */
  private seen: string | undefined;
  /**
   * `vocabulary`: the permission words and settings sections the file is read and written with, its
   * composition's (api/vocabulary.ts); the node's own alone by default (a process that runs no agent),
   * which keeps a domain's section as a key it does not know and writes it back as it was.
   */
  constructor(
    readonly home: string,
    readonly vocabulary: Vocabulary = NODE_VOCABULARY,
  ) {
    // With mode 0700: the home holds the key.
    ensureHomeDir(home);
    this.path = resolve(home, 'config.json');
    refuseNonObjectFile(this.path);
    let stored: unknown;
    try {
      stored = readStore(this.path);
    } catch (err) {
      throw new ClawError(
        'CONFIG_INVALID',
        `cannot read settings in ${home}/config.json: ${(err as Error).message} — fix the file or move it away`,
      );
    }
    this.current = this.adopt(stored);
    this.seen = this.readText();
  }

  /**
   * The settings as last read or saved, frozen all the way down: every reader shares one value that
   * none can change, which is what a copy per read would give, without a copy per read (a permission
   * check reads them on every stream). The next save swaps in a new value; one already handed out
   * stays as it was. Changes come in only through `update`.
   */
  get(): Settings {
    return this.current;
  }

  /**
   * Top-level keys of the file this release does not know (a newer release's settings, or a typo such
   * as `relay` for `relays`): kept when saving, but not used.
   */
  get unknownKeys(): string[] {
    return [...Object.keys(this.unknown), ...this.extras.where];
  }

  /**
   * Applies `change` and saves. An edit by hand while the agent runs is never overwritten: the save is
   * refused until the agent restarts (refuseIfEdited).
   * @throws ClawError('CONFIG_INVALID') naming the file when it was changed since it was read, or
   *   cannot be written; ClawError('BAD_ARGUMENT') naming the field when the change is not a valid
   *   setting. Nothing changes then.
   */
  update(change: (s: Settings) => Settings): Settings {
    this.refuseIfEdited();
    const parsed = settingsSchemas(this.vocabulary).settingsSchema.safeParse(change(this.current));
    // Callers check what they are given first; this is the last guard, so a value the file could not
    // be read back with is never written (the next start would refuse the file).
    if (!parsed.success) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `not saved: ${describeZodError(parsed.error)}; nothing was changed`,
      );
    }
    const next = deepFreeze(parsed.data);
    let extras = this.extras;
    try {
      // Tab-indented JSON, as conf wrote it when it wrote this file.
      extras = pruneExtras(this.extras, next);
      const saved = { ...this.unknown, ...withExtras(next, extras) };
      replaceFileSync(this.path, JSON.stringify(saved, undefined, '\t'), 0o600);
    } catch (err) {
      const code = errnoOf(err);
      const disk = diskFix(code, dirname(this.path));
      throw new ClawError(
        isClawError(err) ? err.code : 'CONFIG_INVALID',
        `cannot save the settings to ${this.path}${code ? ` (${code})` : ''}: ${disk ?? SAVE_FIX[code ?? ''] ?? 'make its folder writable'} and try again; nothing was changed`,
        { cause: err },
      );
    }
    this.current = next;
    this.extras = extras;
    this.seen = this.readText();
    return next;
  }

  private readText(): string | undefined {
    try {
      return readFileSync(this.path, 'utf8');
    } catch {
      return undefined;
    }
  }

  /**
   * The agent acts on what it read at start (its peers, forwards, limits): a save over a file changed
   * since would drop the change, and adopting it here would leave the running agent out of step with
   * its own file. So it refuses, and the file stays as edited until a restart reads it. A file that is
   * gone is no edit: saving then writes what this process holds.
   */
  private refuseIfEdited(): void {
    const text = this.readText();
    if (text === undefined || text === this.seen) return;
    throw new ClawError(
      'CONFIG_INVALID',
      ...commandArgs(
        `${this.path} was changed since this agent read it (by hand, or by another program); restart the agent so it uses the file as it is now (`,
        hereHint(['stop']),
        ', then start it) — nothing was changed',
      ),
    );
  }

  private adopt(stored: unknown): Settings {
    // A file an older release wrote, as this one reads it (a permission added since: settings.ts).
    const raw = upgradeSettings(stored, this.vocabulary.permissions);
    const { settingsSchema } = settingsSchemas(this.vocabulary);
    const parsed = settingsSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ClawError(
        'CONFIG_INVALID',
        `settings in ${this.path} are invalid (${describeZodError(parsed.error)}) — fix the file or move it away`,
      );
    }
    const known = new Set(Object.keys(settingsSchema.shape));
    this.unknown = Object.fromEntries(
      Object.entries(raw as Record<string, unknown>).filter(([key]) => !known.has(key)),
    );
    this.extras = extrasOf(raw, knownFields(this.vocabulary));
    return deepFreeze(parsed.data);
  }
}
