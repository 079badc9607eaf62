/**
 * The node's saved settings and peers (conf, JSON in the home, mode 0600). Everything read from disk
 * is validated: a hand-edited or corrupt file is reported with its path and what is wrong, and is never
 * overwritten silently.
 */
import Conf from 'conf';
import { z } from 'zod';
import { ClawError } from '../core/errors.js';
import { describeZodError } from '../api/validate.js';

/** Default direct listener: all interfaces, a fixed port so a firewall rule can name it. */
export const DEFAULT_DIRECT_LISTEN = '0.0.0.0:7475';

const relaySchema = z.object({
  url: z.string().regex(/^wss?:\/\//, 'relay URL must start with ws:// or wss://'),
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  token: z.string().optional(),
});

const peerSchema = z.object({
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  name: z.string().min(1).max(64),
  /** Direct addresses: the user's hint first, then what the peer announced. */
  addresses: z.array(z.string()).max(32).default([]),
  addedAt: z.string(),
});

export const settingsSchema = z.object({
  name: z.string().min(1).max(64).optional(),
  relays: z.array(relaySchema).default([]),
  /** `HOST:PORT` of the direct listener, or null for --no-direct. */
  listen: z.string().nullable().default(DEFAULT_DIRECT_LISTEN),
  peers: z.array(peerSchema).default([]),
});

export type Settings = z.infer<typeof settingsSchema>;
export type RelaySetting = z.infer<typeof relaySchema>;
export type PeerRecord = z.infer<typeof peerSchema>;

export class SettingsStore {
  private readonly conf: Conf<Settings>;
  private current: Settings;

  constructor(readonly home: string) {
    try {
      this.conf = new Conf<Settings>({
        cwd: home,
        configName: 'config',
        configFileMode: 0o600,
        clearInvalidConfig: false,
        projectName: 'clawbridge',
        projectSuffix: '',
      });
    } catch (err) {
      throw new ClawError(
        'CONFIG_INVALID',
        `cannot read settings in ${home}/config.json: ${(err as Error).message} — fix the file or move it away`,
      );
    }
    const parsed = settingsSchema.safeParse(this.conf.store);
    if (!parsed.success) {
      throw new ClawError(
        'CONFIG_INVALID',
        `settings in ${this.conf.path} are invalid (${describeZodError(parsed.error)}) — fix the file or move it away`,
      );
    }
    this.current = parsed.data;
  }

  get path(): string {
    return this.conf.path;
  }

  get(): Settings {
    return this.current;
  }

  update(change: (s: Settings) => Settings): Settings {
    const next = settingsSchema.parse(change(structuredClone(this.current)));
    this.conf.store = next;
    this.current = next;
    return next;
  }
}
