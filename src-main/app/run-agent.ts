/**
 * Starting and stopping a whole agent for one home: identity, settings, the Agent itself, its domains
 * (the list in app/domains.ts: this file names none), the audit log, the control socket and the web UI,
 * started and stopped as one ordered list (docs/architecture.md §Composition). Shared by `clawbridge
 * agent` and the desktop app's main process.
 */
import { pino, type Logger } from 'pino';
import { errorMessage, isClawError } from '../core/errors.js';
import { checkControlSocket } from '../api/control-client.js';
import { claimControlSocket, type ClaimedControlSocket, type ControlServer } from '../api/control-server.js';
import type { WebUiServer } from '../api/web-ui/server.js';
import { Observations, observationsFile } from '../state/observations.js';
import { MemberLog, memberLogFile, moveLegacyMembers } from '../state/member-log.js';
import { composeAgent, type Agent } from './compose-agent.js';
import { createApiHandler, type AgentApi } from './agent-api.js';
import { webUiPart } from './web-ui-part.js';
import { lifecycle } from '../core/lifecycle.js';
import { Notices } from '../state/notices.js';
import { controlSocketPath } from '../home/home-dir.js';
import { fileLogDestination, isFileFd } from '../home/log-destination.js';
import { loadOrCreateIdentity } from '../home/identity-store.js';
import type { Identity } from '../crypto/identity.js';
import { NodeState } from '../state/node-state.js';
import type { Settings } from '../state/settings.js';
import { removeStaleSettingsTempFiles } from '../home/stale-temp-files.js';
import type { NoticeEvent } from '../api/contract.js';
import { lineWithHint } from '../core/hint.js';
import { AuditWriter } from '../audit/audit-writer.js';
import { auditPath } from '../audit/audit-files.js';
import { terminalLogHooks } from '../core/terminal-text.js';
import type { DomainOptions, ListedDomain } from '../links/domain.js';
import { domains as agentDomains } from './domains.js';
import { createDomains } from './domain-set.js';
import { domainHost, domainSection } from './domain-host.js';
import { contractOf, type Contract } from '../api/contract-registry.js';

export interface RunningAgent {
  agent: Agent;
  /** The API handler; `answers` lists the methods it answers. */
  api: AgentApi;
  control: ControlServer;
  /** The web UI server (docs/web-ui.md), or null when it is off (--no-ui). */
  webUi: WebUiServer | null;
  stop(): Promise<void>;
}

export interface RunAgentOptions {
  home: string;
  /**
   * This node's identity when the caller has already loaded it (the desktop app decrypts a key kept
   * with the OS keychain); otherwise it is read from, or created in, the home.
   */
  identity?: Identity;
  /** Settings from the command line: saved, then used (given once, reused later). */
  overrides?: Partial<Settings>;
  logger?: Logger;
  /**
   * A notice for the user (a saved forward's port is taken, the web UI port fallback, a remote-address
   * warning…); stderr by default. The agent's notices come here while it starts; a process that shows
   * later ones too listens on `agent.events` itself.
   */
  notice?: (notice: NoticeEvent) => void;
  /**
   * A client asked the agent to stop (`agent.stop`, e.g. `clawbridge stop`). By default the agent stops;
   * a process that should end with it (the CLI) stops it itself and exits.
   */
  onStopRequested?: (stop: () => Promise<void>) => void;
  /**
   * Options for the domains, by the domain's name (each domain's contract file declares its own in
   * `DomainRunOptions`); each domain is given its own entry only.
   */
  domainOptions?: DomainOptions;
  /** The domains this agent runs, in order: app/domains.ts's list unless given (tests add one). */
  domains?: readonly ListedDomain[];
}

/**
 * A control socket (or its directory) of another user is refused before anything starts
 * (home-dir.ts); an agent already serving this home is found by claiming the socket.
 */
function refuseForeignSocket(path: string): void {
  try {
    checkControlSocket(path);
  } catch (err) {
    if (isClawError(err)) throw err; // no socket yet (ENOENT) is the usual case
  }
}

export async function runAgent(opts: RunAgentOptions): Promise<RunningAgent> {
  const logger =
    opts.logger ??
    pino(
      { level: process.env.CLAWBRIDGE_LOG ?? 'warn', hooks: terminalLogHooks },
      // stderr in a file (a service's log in the home): a full disk drops lines, never stops the agent.
      isFileFd(2) ? fileLogDestination(2) : pino.destination(2),
    );
  const identity = opts.identity ?? (await loadOrCreateIdentity(opts.home));
  // The contract of the node and its domains first: the settings are read with their permission
  // words (an older file's peers are granted a word added since as its domain decided) and their
  // sections of config.json (ADR 0093), handed to the state rather than registered (ADR 0118).
  const pieces = (opts.domains ?? agentDomains).map((d) => d.contract);
  const contract = contractOf(pieces);
  const state = NodeState.open(opts.home, (line) => logger.warn(line), contract.vocabulary);
  const socketPath = controlSocketPath(opts.home);
  refuseForeignSocket(socketPath);
  // Held from here on: a second agent started on this home at the same moment is refused. It is the
  // home's lock before it serves anything, so it wraps the agent's lifecycle: released last, after the
  // parts stopped (startAgent's `stop`) or after a failed start gave the settings back (below).
  const claim = await claimControlSocket(socketPath, opts.home);
  const cleaned = removeStaleSettingsTempFiles(opts.home);
  if (cleaned.length > 0) logger.info({ files: cleaned }, 'removed settings temp files a crash left');
  let members: MemberLog;
  try {
    // The records this node keeps, apart from config.json (ADR 0065); an older config.json's move here.
    members = new MemberLog(memberLogFile(opts.home, (line) => logger.warn(line)));
    const moved = moveLegacyMembers(state, members);
    if (moved > 0) logger.info(`moved ${moved} membership records from ${state.path} to ${members.path}`);
    // Pending requests live apart from config.json too (ADR 0080); an older config.json's move.
    const requests = state.moveLegacyPending();
    if (requests > 0) logger.info(`moved ${requests} pending requests from ${state.path} to pending.json`);
  } catch (err) {
    await claim.close();
    throw err;
  }
  const before = state.get();
  const overridden = opts.overrides !== undefined && Object.keys(opts.overrides).length > 0;
  let applied = false;
  try {
    if (overridden) {
      state.setOptions(opts.overrides ?? {});
      applied = true;
    }
    return await startAgent(opts, { identity, state, members, logger, claim, contract });
  } catch (err) {
    // A flag this start could not use (an address it cannot listen on) is not kept for the next one.
    // (A save that failed changed nothing: then there is nothing to restore.)
    if (applied) {
      try {
        state.restore(before);
      } catch (restoreErr) {
        logger.warn(`could not restore the settings from before this start: ${errorMessage(restoreErr)}`);
      }
    }
    await claim.close();
    throw err;
  }
}

/** What runAgent made before the parts are built. */
interface Made {
  identity: Identity;
  state: NodeState;
  members: MemberLog;
  logger: Logger;
  claim: ClaimedControlSocket;
  contract: Contract;
}

async function startAgent(opts: RunAgentOptions, made: Made): Promise<RunningAgent> {
  const { identity, state, members, logger, claim, contract } = made;
  // The composition root, continued: each part is built with the parts it names, before any starts.
  // A web UI address other machines can reach needs the owner's say-so: refused before anything listens.
  const ui = state.get().ui;
  const say =
    opts.notice ??
    ((n: NoticeEvent) => process.stderr.write(`clawbridge: ${lineWithHint(n.message, n.hint)}\n`));
  const webUi =
    ui.listen === null
      ? null
      : webUiPart({
          listen: ui.listen,
          allowRemote: ui.allowRemote,
          home: opts.home,
          notice: (line) => say({ kind: 'web-ui', message: line }),
        });
  // Notices first: the audit log tells a write error once, through them (docs/security.md §Audit log).
  const notices = new Notices(logger);
  const audit = new AuditWriter({
    path: auditPath(opts.home),
    onProblem: (message) => notices.notice({ kind: 'audit', message }),
  });
  const observations = new Observations(observationsFile(opts.home, (line) => logger.warn(line)));
  const agent = composeAgent({
    identity,
    state,
    logger,
    notices,
    audit,
    observations,
    members,
    sessions: contract.sessions,
  });
  const { links } = agent;
  // Notices said while starting (a saved forward's port is taken) come before anyone can listen for
  // them: they are said once the agent runs.
  const early: NoticeEvent[] = [];
  const offEarly = notices.events.on('notice', (n) => early.push(n));
  // A misspelt key (`relay` for `relays`) would otherwise be ignored without a word.
  const unknown = state.unknownKeys;
  if (unknown.length > 0) {
    notices.notice({
      kind: 'settings',
      message: `${state.path} has settings this release does not know: ${unknown.join(', ')} (kept in the file, not used; check their spelling)`,
    });
  }
  // A permission word no domain here brings (a newer release's) is kept and grants nothing.
  const unknownWords = unknownPermissions(state.get(), contract);
  if (unknownWords.length > 0) {
    notices.notice({
      kind: 'settings',
      message: `${state.path} grants permissions this release does not know: ${unknownWords.join(', ')} (kept in the file, granted to nobody)`,
    });
  }
  // Once the agent stops, the domains' methods answer that they are not running.
  const stopping = () => life.state === 'stopping' || life.state === 'stopped';
  // Each domain is created now, in the list's order: its services are registered before the links start.
  const domains = await createDomains(
    opts.domains ?? agentDomains,
    {
      home: opts.home,
      identity,
      name: () => agent.name,
      log: logger,
      // What a domain may read of the node, and nothing more (ADR 0085).
      ...domainHost({ state, notices, services: agent.services }),
      audit,
      peers: agent.peers,
      // Pairing's codes and PAKE, for a domain's own protocol after it (links/domain.ts DomainCodes).
      codes: {
        issue: (ttlMs, onMet, opts) => agent.issuer.issueFor(ttlMs, onMet, opts),
        retire: (code) => agent.issuer.retireFor(code),
        meet: (code, use) => agent.joiner.meet(code, use),
      },
      connections: agent.opened,
      directAddresses: () => agent.local.directAddresses(),
      stopping,
    },
    // What is one domain's alone: the settings section it owns, its options (ADR 0091).
    { section: domainSection(state), ...(opts.domainOptions ? { options: opts.domainOptions } : {}) },
  );
  const api = createApiHandler({
    stopping,
    identity,
    name: () => agent.name,
    log: logger,
    state,
    links,
    relays: agent.relays,
    local: agent.local,
    nat: agent.nat,
    notices,
    startedWith: () => agent.startedWith,
    approvals: agent.approvals,
    issuer: agent.issuer,
    joiner: agent.joiner,
    progress: agent.progress,
    contract,
    webUi,
    connections: agent.connections,
    audit: {
      home: opts.home,
      flush: () => audit.flush(),
      onWritten: (listener) => audit.events.on('written', listener),
    },
    domains,
    guests: agent.services.guests,
    introductions: agent.introductions,
    requestStop: () => {
      if (stopping()) return;
      if (opts.onStopRequested) opts.onStopRequested(stop);
      else void stop().catch((err: unknown) => logger.error({ err }, 'stopping the agent failed'));
    },
  });
  // Started in this order, stopped in reverse (core/lifecycle.ts); a start that fails stops what
  // started. The web UI goes first on the way down; the audit log is written to the end of what the
  // stop itself ended (connections, terminals), and the control socket, released after it (runAgent),
  // is the last to go: `clawbridge stop` waits for it to vanish, and by then the forwards' ports are free.
  // The domains' parts sit around the node: stores before it, what dials or listens after it. A part
  // of the node's own added here is one entry; a domain's, one entry in its description.
  const life = lifecycle(
    [
      { name: 'audit log', stop: () => audit.close() },
      ...domains.beforeNode,
      { name: 'node', start: () => agent.start(), stop: () => agent.stop() },
      ...domains.afterNode,
      { name: 'control socket', start: () => void claim.serve(api, domains.upgrades) },
      ...(webUi
        ? [{ name: 'web UI', start: () => webUi.start(api, domains.upgrades), stop: () => webUi.stop() }]
        : []),
      {
        name: 'early notices',
        start: () => {
          offEarly();
          for (const n of early) say(n);
        },
      },
    ],
    { onUndoError: (part, err) => logger.warn({ err }, `stopping ${part} after a failed start failed`) },
  );
  // Once only, whoever asks first (a signal, `agent.stop`, the desktop app); the control socket last.
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= life.stop().finally(() => claim.close()));
  await life.start();
  logger.info({ home: opts.home, fingerprint: identity.fingerprint, name: agent.name }, 'agent running');
  return { agent, api, control: claim, webUi: webUi?.server ?? null, stop };
}

/** The permission words the settings grant that no part of `contract` brings, each once. */
function unknownPermissions(settings: Settings, contract: Contract): string[] {
  const granted = [...settings.peers.flatMap((p) => p.allow), ...settings.mineAllow];
  return [...new Set(granted.filter((w) => !contract.permissions.knows(w)))];
}
