/**
 * `clawbridge agent` flags → the settings they change. Pure, so every combination is unit-tested.
 */
import { parseDuration } from '../core/duration.js';
import { ClawError } from '../core/errors.js';
import { parseFingerprint } from '../core/fingerprint.js';
import { parseHostPort } from '../core/host-port.js';
import { TERMINAL_RESUME_MAX_MS, TERMINAL_RESUME_MIN_MS, type Settings } from '../agent/settings.js';

export interface AgentCliOptions {
  home?: string;
  name?: string;
  relay?: string[];
  relayFingerprint?: string;
  relayToken?: string;
  listen?: string;
  direct?: boolean;
  actAsRelay?: boolean;
  relayListen?: string;
  terminalResume?: string;
}

/** Turns `agent` flags into the settings they change; flags not given leave saved settings alone. */
export function agentOverrides(opts: AgentCliOptions, saved: Settings): Partial<Settings> {
  const out: Partial<Settings> = {};
  if (opts.name !== undefined) {
    if (!/^[\w.-]{1,64}$/.test(opts.name)) {
      throw new ClawError('BAD_ARGUMENT', `--name '${opts.name}': use 1–64 letters, digits, '.', '_' or '-'`);
    }
    out.name = opts.name;
  }
  if (opts.direct === false && opts.listen !== undefined) {
    throw new ClawError('BAD_ARGUMENT', '--listen and --no-direct contradict each other; pick one');
  }
  if (opts.direct === false) out.listen = null;
  if (opts.actAsRelay !== undefined) out.actAsRelay = opts.actAsRelay;
  if (opts.relayListen !== undefined) {
    parseHostPort(opts.relayListen);
    out.relayListen = opts.relayListen;
    out.actAsRelay ??= true;
  }
  if (opts.terminalResume !== undefined) {
    const ms = parseDuration(opts.terminalResume, '--terminal-resume');
    if (ms < TERMINAL_RESUME_MIN_MS || ms > TERMINAL_RESUME_MAX_MS) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `--terminal-resume '${opts.terminalResume}' must be between 1s and 24h`,
      );
    }
    out.terminalResumeMs = ms;
  }
  if (opts.listen !== undefined) {
    parseHostPort(opts.listen);
    out.listen = opts.listen;
  }
  const pin = opts.relayFingerprint !== undefined ? parseFingerprint(opts.relayFingerprint) : undefined;
  if (opts.relay?.length) {
    out.relays = opts.relay.map((url) => {
      if (!/^wss?:\/\/[^/]+/.test(url)) {
        throw new ClawError(
          'BAD_ARGUMENT',
          `--relay '${url}' must be a ws:// or wss:// URL, e.g. wss://relay.example.com:7474`,
        );
      }
      const before = saved.relays.find((r) => r.url === url);
      const fingerprint = pin ?? before?.fingerprint;
      const token = opts.relayToken ?? before?.token;
      return { url, ...(fingerprint ? { fingerprint } : {}), ...(token ? { token } : {}) };
    });
  } else if (pin !== undefined || opts.relayToken !== undefined) {
    if (saved.relays.length === 0) {
      throw new ClawError(
        'BAD_ARGUMENT',
        '--relay-fingerprint and --relay-token need a relay: add --relay URL',
      );
    }
    out.relays = saved.relays.map((r) => ({
      ...r,
      ...(pin ? { fingerprint: pin } : {}),
      ...(opts.relayToken ? { token: opts.relayToken } : {}),
    }));
  }
  return out;
}
