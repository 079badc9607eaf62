/**
 * `clawbridge agent` flags → the settings they change. Pure, so every combination is unit-tested.
 */
import { sameRelayUrl } from '../core/relay-url.js';
import { parseDuration } from '../core/duration.js';
import { ClawError } from '../core/errors.js';
import { parseFingerprint } from '../core/fingerprint.js';
import { parseHostPort } from '../core/host-port.js';
import { TERMINAL_RESUME_MAX_MS, TERMINAL_RESUME_MIN_MS, type Settings } from '../agent/settings.js';
import { isLoopbackHost } from '../api/web-ui/http-guard.js';

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
  /** `--ui-listen HOST:PORT`: where the web UI is served. */
  uiListen?: string;
  /** false with `--no-ui`. */
  ui?: boolean;
  /** `--allow-remote-ui`: consent to a web UI address other machines can reach. */
  allowRemoteUi?: boolean;
}

/**
 * The web UI flags on their own, before anything reads or writes the home: contradictions, and an
 * address other machines can reach without `--allow-remote-ui`.
 * @throws ClawError('BAD_ARGUMENT') saying which flag to change
 */
export function checkUiFlags(opts: AgentCliOptions): void {
  if (opts.ui === false && (opts.uiListen !== undefined || opts.allowRemoteUi === true)) {
    throw new ClawError('BAD_ARGUMENT', '--no-ui contradicts --ui-listen and --allow-remote-ui; pick one');
  }
  if (opts.uiListen === undefined) return;
  const { host } = parseHostPort(opts.uiListen);
  if (!isLoopbackHost(host) && opts.allowRemoteUi !== true) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `--ui-listen ${opts.uiListen} is reachable from other machines, and whoever opens the web UI's link ` +
        'drives this node: add --allow-remote-ui to mean it, or use --ui-listen 127.0.0.1:PORT',
    );
  }
}

/**
 * The `ui` settings the web UI flags change. `--ui-listen` saves the address with the consent given
 * alongside it (none: loopback only again); `--allow-remote-ui` alone applies to the saved address.
 */
function uiOverrides(opts: AgentCliOptions, saved: Settings): Settings['ui'] | undefined {
  checkUiFlags(opts);
  if (opts.ui === false) return { ...saved.ui, listen: null };
  if (opts.uiListen !== undefined) return { listen: opts.uiListen, allowRemote: opts.allowRemoteUi === true };
  if (opts.allowRemoteUi === true) return { ...saved.ui, allowRemote: true };
  return undefined;
}

/** Turns `agent` flags into the settings they change; flags not given leave saved settings alone. */
export function agentOverrides(opts: AgentCliOptions, saved: Settings): Partial<Settings> {
  const out: Partial<Settings> = {};
  const ui = uiOverrides(opts, saved);
  if (ui) out.ui = ui;
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
    // One relay given twice (`wss://h:7474` and `wss://h:7474/`) is one entry: two would knock each
    // other's connection off.
    const given = opts.relay.filter((url, i, all) => all.findIndex((u) => sameRelayUrl(u, url)) === i);
    out.relays = given.map((url) => {
      if (!/^wss?:\/\/[^/]+/.test(url)) {
        throw new ClawError(
          'BAD_ARGUMENT',
          `--relay '${url}' must be a ws:// or wss:// URL, e.g. wss://relay.example.com:7474`,
        );
      }
      const before = saved.relays.find((r) => sameRelayUrl(r.url, url));
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
