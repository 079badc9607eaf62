/**
 * The terminal domain as the composition root lists it (links/domain.ts, app/domains.ts): the
 * `terminal` service and the sessions this node opens on its peers (terminal-service.ts), kept in the
 * session host unless the process says otherwise (its `terminals` run option, terminal-contract.ts;
 * docs/adr/0022-session-host.md); started once the
 * node runs and stopped before it. The `terminal.list` and `terminal.close` methods, the streaming
 * `terminal.open` and `terminal.attach` (terminal-contract.ts; api/stream-upgrade.ts carries them), and the
 * `terminal` event.
 */
import { join } from 'node:path';
import { ClawError } from '../core/errors.js';
import { controlSocketPath } from '../home/home-dir.js';
import { ensurePipeKey, PIPE_KEY_FILE, pipeProofNeeded } from '../home/pipe-proof.js';
import { groupBookKey } from '../groups/group-book-key.js';
import type { DomainContext, DomainDescription } from '../links/domain.js';
import type { SessionHostClient } from './session-host/host-client.js';
import { terminalContract } from './terminal-contract.js';
import type { Terminals } from './terminal-service.js';

/** The session host's client for this home, or undefined when sessions live in the agent. */
async function sessionHost(ctx: DomainContext): Promise<SessionHostClient | undefined> {
  const wanted = ctx.options.terminals?.sessionHost;
  if (wanted === false) return undefined;
  const { SessionHostClient, sessionHostSocketPath } = await import('./session-host/host-client.js');
  const socketPath = sessionHostSocketPath(controlSocketPath(ctx.home));
  return new SessionHostClient({
    socketPath,
    // A Windows named pipe: both ends prove the home's pipe.key (home/pipe-proof.ts).
    ...(pipeProofNeeded(socketPath, process.platform)
      ? { proofKey: ensurePipeKey(ctx.home), keyFile: join(ctx.home, PIPE_KEY_FILE) }
      : {}),
    logPath: join(ctx.home, 'session-host.log'),
    log: ctx.log,
    ...(typeof wanted === 'object' ? { startHost: wanted.startHost } : {}),
  });
}

export const terminalsDomain: DomainDescription = {
  name: 'terminals',
  folder: 'terminal',
  window: 'terminals',
  builtOn: ['groups'],
  contract: terminalContract,
  // The sessions' modules load when an agent creates the domain, not when a client reads the list.
  create: async (ctx) => {
    const [
      { createTerminals },
      { SCROLLBACK_BYTES, MAX_OWNED_SESSIONS },
      { takeHandOver, writeHandOver },
      { createShares },
    ] = await Promise.all([
      import('./terminal-service.js'),
      import('./viewer-sessions.js'),
      import('./terminal-handover.js'),
      import('./shares/shares-part.js'),
    ]);
    const host = await sessionHost(ctx);
    const terminals = createTerminals({
      get name() {
        return ctx.name();
      },
      log: ctx.log,
      state: ctx.state,
      services: ctx.services,
      peers: ctx.peers,
      connections: ctx.connections,
      sessionHost: host,
    });
    // Shared terminals (docs/adr/0123-shared-terminals.md): their services are there before the links.
    const shares = createShares({
      selfName: () => ctx.name(),
      log: ctx.log,
      audit: ctx.audit,
      services: ctx.services,
      peers: ctx.peers,
      sessions: terminals.shared,
      viewers: terminals.viewers,
      // The groups this node is in, read when a share names one (none without the groups domain).
      groups: () => ctx.use(groupBookKey)?.view().groups ?? [],
      codes: ctx.codes,
    });
    const running = (): Terminals | undefined => (ctx.stopping() ? undefined : terminals);
    return {
      parts: {
        afterNode: [
          {
            name: 'terminals',
            start: async () => {
              await terminals.start();
              // The sessions the previous run handed over (a restart to install an update).
              const warn = (line: string) => ctx.log.warn(line);
              const limits = { maxTerminals: MAX_OWNED_SESSIONS, maxScrollback: SCROLLBACK_BYTES };
              terminals.viewers.takeUp(await takeHandOver(ctx.home, limits, warn));
            },
            stop: () => {
              shares.stop(`${ctx.name()} is stopping; the shared terminal ended`);
              return terminals.stop();
            },
          },
        ],
      },
      handlers: {
        'terminal.list': () => running()?.viewers.list() ?? [],
        'terminal.close': (p) => {
          const t = running();
          if (!t)
            throw new ClawError('INTERNAL', 'terminals are not running in this agent; restart the agent');
          return t.viewers.close(p.id);
        },
        'terminal.handOver': () => {
          const t = running();
          if (!t) throw new ClawError('INTERNAL', 'terminals are not running in this agent');
          const handed = t.viewers.handOver();
          writeHandOver(ctx.home, handed);
          ctx.log.info({ terminals: handed.length }, 'terminals handed over to the next run');
          return { terminals: handed.length };
        },
        ...shares.handlers,
      },
      upgrades: { ...terminals.upgrades, ...shares.upgrades },
      events: {
        terminal: (listener) => running()?.viewers.events.on('terminal', listener) ?? (() => undefined),
        'terminal.offers': (listener) => shares.onOffers(listener),
        // A session's state is in the status too.
        activity: (listener) =>
          running()?.viewers.events.on('terminal', () => listener()) ?? (() => undefined),
      },
    };
  },
};
