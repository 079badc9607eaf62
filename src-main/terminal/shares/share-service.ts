/**
 * The node where a shared terminal's shell runs (docs/adr/0123-shared-terminals.md): the
 * `terminal-share` service its opener asks to share, list, revoke and stop (one JSON request in the
 * OPEN, one answer line back), and the `terminal-view` service a viewer watches through — admitted
 * only for a share that names it, behind a gate that lets its keys through only while it may type —
 * and `terminal-present`, where such a viewer asks who else is in its share (one answer line back).
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { describeZodError } from '../../core/zod-error.js';
import { ClawError, errorMessage } from '../../core/errors.js';
import type { AuditSink } from '../../audit/audit-writer.js';
import type { ServiceRegistry, ServiceRequest } from '../../services/services.js';
import { ShareRegistry, TERMINAL_VIEW_SERVICE, type Share } from './share-registry.js';
import {
  noShareFor,
  shareOver,
  shareRequest,
  TERMINAL_PRESENT_SERVICE,
  TERMINAL_SHARE_SERVICE,
  viewArgs,
  type PresentAnswer,
  type ShareAnswer,
  type ShareAuditEvent,
} from './share-wire.js';
import type { SharedSessions } from './shared-sessions.js';
import { ViewGate } from './view-gate.js';

export interface ShareServiceDeps {
  selfName: () => string;
  log: Logger;
  audit: AuditSink | undefined;
  services: Pick<ServiceRegistry, 'register' | 'admitGuests'>;
  sessions: SharedSessions;
}

/** The audit line of a join, switch or leave: the viewer is its peer. */
export function shareAuditLine(e: ShareAuditEvent): Parameters<AuditSink['record']>[0] {
  return {
    kind: 'terminal-share',
    peer: { name: e.viewer.name, fingerprint: e.viewer.fingerprint },
    what: `terminal ${e.session.slice(0, 8)} shared by ${e.sharer.name}`,
    outcome: 'ok',
    event: e.event,
    share: e.share,
    sharer: e.sharer.fingerprint,
    write: e.write,
  };
}

/** Registers both services and lets the shares' viewers in; returns the registry (stopped by `closeAll`). */
export function serveShares(deps: ShareServiceDeps): ShareRegistry {
  const shares = new ShareRegistry((e) => deps.audit?.record(shareAuditLine(e)));
  deps.sessions.onGone((id) => shares.sessionGone(id));
  deps.services.admitGuests(shares);
  deps.services.register(TERMINAL_SHARE_SERVICE, {
    // Only a peer that may open terminals here can have opened the session it shares.
    permission: 'terminal',
    noun: 'terminals',
    admits: 'held',
    handle: (req, admission) => {
      const stream = admission.hold();
      answerLine(stream, answer(req, shares, deps));
    },
  });
  deps.services.register(TERMINAL_VIEW_SERVICE, {
    // No word: a place in a share is what lets a viewer in (its guest entry allows this service alone).
    permission: null,
    noun: 'shared terminals',
    admits: 'held',
    handle: (req, admission) => view(req, admission, shares, deps),
  });
  deps.services.register(TERMINAL_PRESENT_SERVICE, {
    // No word, as for the view: the share must name the asker (a viewer's guest entry allows this and
    // the view alone; a peer not in the share is refused by the answer).
    permission: null,
    noun: 'shared terminals',
    admits: 'held',
    handle: (req, admission) => answerLine(admission.hold(), present(req, shares, deps.selfName())),
  });
  return shares;
}

/** Who is in the share the asker names, if it is one of its viewers. */
function present(req: ServiceRequest, shares: ShareRegistry, self: string): PresentAnswer {
  const parsed = viewArgs().safeParse(req.args);
  if (!parsed.success) return { ok: false, message: `bad request: ${describeZodError(parsed.error)}` };
  const who = shares.present(parsed.data.share, req.peer.fingerprint);
  if (!who) return { ok: false, message: noShareFor(self, parsed.data.share) };
  return { ok: true, ...who };
}

function answer(req: ServiceRequest, shares: ShareRegistry, deps: ShareServiceDeps): ShareAnswer {
  const parsed = shareRequest().safeParse(req.args);
  if (!parsed.success) return { ok: false, message: `bad share request: ${describeZodError(parsed.error)}` };
  const r = parsed.data;
  const self = deps.selfName();
  const opener = req.peer.fingerprint;
  try {
    if (r.op === 'add') {
      const session = deps.sessions.openedBy(r.session, opener);
      if (!session)
        return {
          ok: false,
          message: `${self} has no terminal you opened with that session ID (it ended, or another node opened it)`,
        };
      const share = shares.share({
        session: r.session,
        opener: { fingerprint: opener, name: req.peer.name },
        what: session.what,
        viewers: r.viewers,
        write: r.write,
        expiresAt: r.expiresAt,
      });
      return described(share, shares);
    }
    const share = shares.ofOpener(r.share, opener);
    if (!share)
      return {
        ok: false,
        message: `${self} has no share '${r.share}' of yours (it ended: its terminal closed, it expired, or it was stopped)`,
      };
    if (r.op === 'revoke' && !shares.revoke(share, r.viewer))
      return { ok: false, message: `that node is not a viewer of share '${r.share}' on ${self}` };
    if (r.op === 'unshare') shares.unshare(share, shareOver.unshared(share.opener.name));
    return described(share, shares);
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

function described(share: Share, shares: ShareRegistry): ShareAnswer {
  return {
    ok: true,
    share: share.id,
    viewers: shares.viewers(share),
    ...(share.expiresAt ? { expiresAt: share.expiresAt } : {}),
  };
}

function answerLine(stream: Duplex, a: ShareAnswer | PresentAnswer): void {
  stream.on('error', () => undefined);
  stream.resume();
  stream.end(`${JSON.stringify(a)}\n`);
}

function view(
  req: ServiceRequest,
  admission: { hold(opts?: { close?(reason: string): void }): Duplex },
  shares: ShareRegistry,
  deps: ShareServiceDeps,
): void {
  const parsed = viewArgs().safeParse(req.args);
  if (!parsed.success)
    return req.reject('BAD_REQUEST', `bad view request: ${describeZodError(parsed.error)}`);
  const viewer = req.peer.fingerprint;
  // The gate comes once the stream is accepted; an end before that has nothing to end.
  const held: { gate?: ViewGate } = {};
  let joined: ReturnType<ShareRegistry['join']>;
  try {
    joined = shares.join(parsed.data.share, viewer, (reason) => held.gate?.endWith(reason), deps.selfName());
  } catch (err) {
    return req.reject('PERMISSION_DENIED', errorMessage(err));
  }
  let stream: Duplex;
  try {
    stream = admission.hold({ close: (reason) => held.gate?.endWith(reason) });
  } catch {
    return joined.leave();
  }
  const shareId = joined.share.id;
  const gate = new ViewGate(stream, () => shares.mayWrite(shareId, viewer));
  held.gate = gate;
  gate.on('close', joined.leave);
  deps.sessions.watch(joined.share.session, gate).catch((err: unknown) => {
    deps.log.info({ share: shareId }, `a viewer could not watch: ${errorMessage(err)}`);
    gate.endWith(err instanceof ClawError ? err.message : shareOver.terminalEnded);
  });
}
