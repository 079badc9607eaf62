/**
 * API methods about forwards and proxies (`forward.add/list/remove/enable/disable`, `proxy.add/list/remove`): checks
 * what the user asked for, then hands it to the agent's ForwardManager.
 */
import { resolvePeer } from '../links/resolve-peer.js';
import type { PeerDirectory } from '../links/ports.js';
import type { ForwardRecord } from './saved-forward-schema.js';
import type { MethodParams } from '../api/contract.js';
import type { ForwardInfo, ProxyInfo, ToggleResult } from './forwards-contract.js';
import { ClawError } from '../core/errors.js';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import type { ForwardManager } from './forward-manager.js';
import { isLoopbackHost } from './listener.js';
import { newProxySecret } from './proxy-secret.js';

/** What the forward methods use (architecture.md §Rules the code keeps): the running forward manager and the peers, to name exits. */
export interface ForwardApiDeps
  extends Pick<PeerDirectory, 'peerEntries'>, Partial<Pick<PeerDirectory, 'self'>> {
  readonly forwards: ForwardManager;
}

/** Host a bare `PORT` listens on: loopback, so only this machine can use a forward unless told otherwise. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

/** `[HOST:]PORT` → `host:port`, refusing non-loopback addresses unless `allowRemoteBind`. */
export function localAddress(
  local: string,
  allowRemoteBind: boolean | undefined,
): { listen: string; port: number } {
  const { host, port } = parseHostPort(local, DEFAULT_LISTEN_HOST);
  const listen = formatHostPort(host, port);
  if (!isLoopbackHost(host) && !allowRemoteBind) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `${listen} is not a loopback address: other machines could connect through it; add --allow-remote-bind (in the window: tick 'Other machines may connect') if that is what you want`,
    );
  }
  return { listen, port };
}

function defaultName(agent: ForwardApiDeps, prefix: string, port: number): string {
  const taken = agent.forwards.names();
  const base = `${prefix}-${port}`;
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  return name;
}

/**
 * The exit peer as saved: its name, and its fingerprint, which binds the forward to that machine (a
 * fingerprint prefix given by the user is resolved once, here).
 */
function viaPeer(agent: ForwardApiDeps, via: string): { via: string; viaFingerprint: string } {
  const { record } = resolvePeer(agent, via);
  return { via: record.name, viaFingerprint: record.fingerprint };
}

/** Without a name given, one added on port 0 is named after the port it gets. */
function namedAfterPort(
  agent: ForwardApiDeps,
  given: string | undefined,
  prefix: string,
): ((port: number) => string) | undefined {
  return given === undefined ? (port) => defaultName(agent, prefix, port) : undefined;
}

export async function addForward(
  agent: ForwardApiDeps,
  p: MethodParams<'forward.add'>,
): Promise<ForwardInfo> {
  if (p.direction === 'reverse') return addReverseForward(agent, p);
  const { listen, port } = localAddress(p.local, p.allowRemoteBind);
  const remote = parseHostPort(p.remote);
  if (remote.port === 0) {
    throw new ClawError('BAD_ARGUMENT', `remote '${p.remote}': the port must be from 1 to 65535`);
  }
  const record: ForwardRecord = {
    name: p.name ?? defaultName(agent, p.protocol === 'udp' ? 'udp' : 'fwd', port),
    kind: 'tcp',
    listen,
    ...viaPeer(agent, p.via),
    remote: formatHostPort(remote.host, remote.port),
    enabled: true,
    ...(p.protocol === 'udp'
      ? { protocol: 'udp' as const, ...(p.udpIdleS ? { udpIdleMs: p.udpIdleS * 1000 } : {}) }
      : {}),
  };
  const manager = agent.forwards;
  const name = await manager.add(record, namedAfterPort(agent, p.name, p.protocol === 'udp' ? 'udp' : 'fwd'));
  return manager.forwards().find((f) => f.name === name)!;
}

/**
 * A reverse forward (ADR 0018): `remote` is where the peer listens (its loopback unless a host is
 * given), `local` where connections go from here. Saved as a TCP forward with `direction: 'reverse'`,
 * and `protocol: 'udp'` for a reverse UDP forward (ADR 0019).
 */
async function addReverseForward(
  agent: ForwardApiDeps,
  p: MethodParams<'forward.add'>,
): Promise<ForwardInfo> {
  if (p.allowRemoteBind) {
    throw new ClawError(
      'BAD_ARGUMENT',
      'a reverse forward listens on the peer: whether it may listen on other than loopback is the peer owner’s choice (agent --allow-remote-reverse-listen there), not --allow-remote-bind',
    );
  }
  const listen = parseHostPort(p.remote, DEFAULT_LISTEN_HOST);
  if (listen.port === 0) {
    throw new ClawError('BAD_ARGUMENT', `--listen '${p.remote}': the port must be from 1 to 65535`);
  }
  const to = parseHostPort(p.local);
  if (to.port === 0) {
    throw new ClawError('BAD_ARGUMENT', `--to '${p.local}': the port must be from 1 to 65535`);
  }
  const udp = p.protocol === 'udp';
  const record: ForwardRecord = {
    name: p.name ?? defaultName(agent, udp ? 'rev-udp' : 'rev', listen.port),
    kind: 'tcp',
    direction: 'reverse',
    listen: formatHostPort(listen.host, listen.port),
    ...viaPeer(agent, p.via),
    remote: formatHostPort(to.host, to.port),
    enabled: true,
    ...(udp ? { protocol: 'udp' as const, ...(p.udpIdleS ? { udpIdleMs: p.udpIdleS * 1000 } : {}) } : {}),
  };
  const name = await agent.forwards.add(record);
  return agent.forwards.forwards().find((f) => f.name === name)!;
}

export function listForwards(agent: ForwardApiDeps): ForwardInfo[] {
  return agent.forwards.forwards();
}

export async function removeForward(agent: ForwardApiDeps, name: string): Promise<{ name: string }> {
  await agent.forwards.remove(name, ['tcp']);
  return { name };
}

export async function addProxy(agent: ForwardApiDeps, p: MethodParams<'proxy.add'>): Promise<ProxyInfo> {
  const { listen, port } = localAddress(p.local, p.allowRemoteBind);
  if (p.kind === 'http' && p.via === undefined) {
    throw new ClawError(
      'BAD_ARGUMENT',
      'an HTTP proxy needs --via PEER: the peer where its connections exit',
    );
  }
  const record: ForwardRecord = {
    name: p.name ?? defaultName(agent, p.kind, port),
    kind: p.kind,
    listen,
    ...(p.via !== undefined ? viaPeer(agent, p.via) : {}),
    enabled: true,
    // On unless asked otherwise: another user of this machine could use a proxy without a password
    // (docs/security.md). `auth: false` is for browsers, which cannot send a SOCKS password.
    ...(p.auth !== false ? { secret: newProxySecret() } : {}),
  };
  const manager = agent.forwards;
  const name = await manager.add(record, namedAfterPort(agent, p.name, p.kind));
  return manager.proxies().find((x) => x.name === name)!;
}

export function listProxies(agent: ForwardApiDeps): ProxyInfo[] {
  return agent.forwards.proxies();
}

export async function removeProxy(agent: ForwardApiDeps, name: string): Promise<{ name: string }> {
  await agent.forwards.remove(name, ['socks', 'http']);
  return { name };
}

/**
 * `forward.enable` / `forward.disable`, for forwards and proxies alike (they share one namespace), or
 * only for `kind` (the CLI's `forward disable` and `proxy disable`).
 */
export async function setForwardEnabled(
  agent: ForwardApiDeps,
  name: string,
  enabled: boolean,
  kind?: 'forward' | 'proxy',
): Promise<ToggleResult> {
  const kinds =
    kind === 'forward' ? (['tcp'] as const) : kind === 'proxy' ? (['socks', 'http'] as const) : undefined;
  return agent.forwards.setEnabled(name, enabled, kinds);
}
