/**
 * `settings.get` / `settings.set`: the node's settings as the window's Settings view shows them. What the
 * agent can change while running is applied at once (name, relays, notifications, the settings the
 * domains bring: ADR 0093);
 * the direct listener and the own relay are saved and reported as `restartNeeded`.
 */
import { sameRelayUrl } from '../../core/relay-url.js';
import type { MethodParams, SettingsResult, SettingsSetResult } from '../../api/contract.js';
import type { DomainOptionValues } from '../../api/contract-node.js';
import { ClawError, errorMessage } from '../../core/errors.js';
import { parseFingerprint } from '../../core/fingerprint.js';
import { parseHostPort } from '../../core/host-port.js';
import { MAX_TOKEN_BYTES } from '../../protocol/relay-frames.js';
import type { Settings } from '../../state/settings.js';
import type { NodeState } from '../../state/node-state.js';

/** What these methods need from the agent (architecture.md §Rules the code keeps). */
export interface SettingsDeps {
  readonly name: string;
  readonly identity: { readonly fingerprint: string };
  /**
   * The node state: read for the answer, written for the options and the saved relays (the relay
   * clients follow its changes: relays.ts).
   */
  readonly state: Pick<
    NodeState,
    'get' | 'setOptions' | 'subscribe' | 'addRelay' | 'removeRelay' | 'vocabulary'
  >;
  /** Where the direct listener is bound now, or null. */
  readonly local: { readonly listenAddress: string | null };
  /** The settings that take a restart, as the running agent started with them. */
  readonly startedWith: RestartSettings;
  readonly relays: {
    clients(): readonly { url: string; state: string; lastError?: string | undefined }[];
  };
  readonly notices: { changed(): void };
}

/** The settings the agent reads only when it starts. */
export type RestartSettings = Pick<Settings, 'listen' | 'actAsRelay' | 'relayListen' | 'portMapping'>;

export function restartSettings(s: RestartSettings): RestartSettings {
  return {
    listen: s.listen,
    actAsRelay: s.actAsRelay,
    relayListen: s.relayListen,
    portMapping: s.portMapping,
  };
}

/** Which of them differ, once saved, from what the running agent uses: each is listed until a restart. */
function waitingForRestart(saved: RestartSettings, running: RestartSettings): string[] {
  return (['listen', 'actAsRelay', 'relayListen', 'portMapping'] as const).filter(
    (k) => saved[k] !== running[k],
  );
}

export function getSettings(deps: SettingsDeps): SettingsResult {
  const s = deps.state.get();
  const clients = deps.relays.clients();
  return {
    name: deps.name,
    fingerprint: deps.identity.fingerprint,
    relays: s.relays.map((r) => {
      const client = clients.find((c) => sameRelayUrl(c.url, r.url));
      return {
        url: r.url,
        fingerprint: r.fingerprint ?? null,
        hasToken: r.token !== undefined,
        connected: client?.state === 'connected',
        ...(client?.lastError ? { error: client.lastError } : {}),
      };
    }),
    actAsRelay: s.actAsRelay,
    relayListen: s.relayListen,
    listen: s.listen,
    listeningOn: deps.local.listenAddress,
    notifications: s.notifications,
    allowRemoteReverseListen: s.allowRemoteReverseListen,
    portMapping: s.portMapping,
    mineAllow: [...s.mineAllow],
    ...domainOptions(deps.state, s),
  };
}

/** The keys of the settings the domains of the state's composition bring as single values (ADR 0093). */
const domainOptionKeys = (state: Pick<NodeState, 'vocabulary'>): string[] =>
  [...state.vocabulary.sections].filter(([, setting]) => 'option' in setting).map(([key]) => key);

/** The values of the settings the domains bring, as `settings.get` answers them. */
function domainOptions(state: Pick<NodeState, 'vocabulary'>, from: object): DomainOptionValues {
  const values = from as Record<string, unknown>;
  return Object.fromEntries(
    domainOptionKeys(state)
      .filter((key) => values[key] !== undefined)
      .map((key) => [key, values[key]]),
  ) as DomainOptionValues;
}

function fieldError(field: string, message: string): ClawError {
  return new ClawError('BAD_ARGUMENT', `invalid parameters for settings.set: ${field}: ${message}`);
}

function checkHostPort(field: string, value: string): string {
  try {
    const { host, port } = parseHostPort(value);
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  } catch (err) {
    throw fieldError(field, errorMessage(err));
  }
}

function checkRelayUrl(field: string, url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new Error('use ws:// or wss://');
  } catch (err) {
    throw fieldError(field, `not a relay URL (${errorMessage(err)})`);
  }
  return url;
}

/**
 * Applies what `p` gives. Everything is checked before anything changes, so a bad field changes
 * nothing. @throws ClawError('BAD_ARGUMENT') naming the field.
 */
export function setSettings(deps: SettingsDeps, p: MethodParams<'settings.set'>): SettingsSetResult {
  const before = deps.state.get();
  const listen = p.listen === undefined || p.listen === null ? p.listen : checkHostPort('listen', p.listen);
  const relayListen = p.relayListen === undefined ? undefined : checkHostPort('relayListen', p.relayListen);
  let addFingerprint: string | undefined;
  if (p.addRelay) {
    checkRelayUrl('addRelay.url', p.addRelay.url);
    const same = before.relays.find((r) => sameRelayUrl(r.url, p.addRelay!.url));
    if (same) {
      throw fieldError(
        'addRelay.url',
        `${same.url} is already one of this node's relays; remove it first to change it`,
      );
    }
    const token = p.addRelay.token;
    if (token !== undefined && Buffer.byteLength(token) > MAX_TOKEN_BYTES) {
      throw fieldError(
        'addRelay.token',
        `must be at most ${MAX_TOKEN_BYTES} bytes, got ${Buffer.byteLength(token)}`,
      );
    }
    if (p.addRelay.fingerprint !== undefined) {
      try {
        addFingerprint = parseFingerprint(p.addRelay.fingerprint);
      } catch (err) {
        throw fieldError('addRelay.fingerprint', errorMessage(err));
      }
    }
  }
  if (p.removeRelay !== undefined && !before.relays.some((r) => sameRelayUrl(r.url, p.removeRelay!))) {
    throw fieldError('removeRelay', `this node does not use ${p.removeRelay}`);
  }

  deps.state.setOptions({
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(listen !== undefined ? { listen } : {}),
    ...(p.actAsRelay !== undefined ? { actAsRelay: p.actAsRelay } : {}),
    ...(relayListen !== undefined ? { relayListen } : {}),
    ...(p.notifications !== undefined ? { notifications: p.notifications } : {}),
    // The domains' settings, each already checked by its piece's schema (the params').
    ...domainOptions(deps.state, p),
    ...(p.allowRemoteReverseListen !== undefined
      ? { allowRemoteReverseListen: p.allowRemoteReverseListen }
      : {}),
    ...(p.mineAllow !== undefined ? { mineAllow: [...new Set(p.mineAllow)] } : {}),
    ...(p.portMapping !== undefined ? { portMapping: p.portMapping } : {}),
  });
  // Saved here; the relay clients follow the store's change (relays.ts), at once.
  if (p.removeRelay !== undefined) deps.state.removeRelay(p.removeRelay);
  if (p.addRelay) {
    const { url, token } = p.addRelay;
    deps.state.addRelay({
      url,
      ...(addFingerprint ? { fingerprint: addFingerprint } : {}),
      ...(token ? { token } : {}),
    });
  }
  deps.notices.changed();
  // Against what runs, not what was saved before this call: an earlier call's change still waits.
  const restartFor = waitingForRestart(deps.state.get(), deps.startedWith);
  return { ...getSettings(deps), restartNeeded: restartFor.length > 0, restartFor };
}
