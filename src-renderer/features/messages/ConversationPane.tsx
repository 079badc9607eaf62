/**
 * One conversation: the peer and whether it takes messages from this device, the messages both ways
 * in time order (a sent one with its state and why), and the composer. While it is open and the
 * window is on screen, what arrives from the peer is acknowledged, so the sender sees `read`.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { PeerInfo } from '../../../src-main/api/contract.js';
import { messageOf } from '../../api/client.js';
import { useAgent, useService } from '../../api/hooks.js';
import { MESSAGES } from './messages-store.js';
import { useMessages } from './use-messages.js';
import { ErrorText } from '../../components/ErrorText.js';
import { StatusDot } from '../../components/StatusDot.js';
import { shortFingerprint } from '../../lib/format.js';
import { peerState, peerTone } from '../../lib/peer-text.js';
import { Composer } from './Composer.js';
import { grantCommand, thread, unreadFrom, type Conversation } from './conversations.js';
import { MessageItem } from './MessageItem.js';

export function ConversationPane({
  fingerprint,
  conversation,
}: {
  fingerprint: string;
  /** Null when no peer or message has this fingerprint (a link to a peer removed since). */
  conversation: Conversation | null;
}) {
  const messages = useService(MESSAGES);
  const self = useAgent((s) => s.status?.name ?? 'this device');
  const { inbox, outbox } = useMessages((s) => s);
  const items = useMemo(
    () => thread(fingerprint, inbox, outbox, (id) => messages.sentText(id)),
    [fingerprint, inbox, outbox, messages],
  );
  const name = conversation?.name ?? shortFingerprint(fingerprint);
  const peer = conversation?.peer ?? null;
  const online = peer !== null && peerState(peer) === 'online';
  const ackError = useAcknowledged(fingerprint);
  const { ref: log, follow } = useStickToBottom(items.length);
  return (
    <>
      <header className="conversation-head">
        <h2>{name}</h2>
        {peer ? <StatusDot tone={peerTone(peer)} text={peerState(peer)} /> : null}
      </header>
      {peer === null ? (
        <p className="why">
          {name} is not a peer of this device: its messages stay here until deleted, and nothing can be sent
          to it.
        </p>
      ) : (
        <NoPermission peer={peer} self={self} />
      )}
      <ErrorText error={ackError} />
      <div className="thread" ref={log} role="log" aria-label={`Messages with ${name}`} tabIndex={0}>
        {items.length === 0 ? (
          <p className="empty">
            No messages with {name} yet. Write one below; a program on {name} reads it with{' '}
            <code>clawbridge msg listen</code>.
          </p>
        ) : (
          <ol>
            {items.map((item) => (
              <MessageItem key={item.id} item={item} peer={name} online={online} self={self} />
            ))}
          </ol>
        )}
      </div>
      {peer ? <Composer peer={peer} onSending={follow} /> : null}
    </>
  );
}

/**
 * The peer said it does not take messages from this device (`theyAllow`): what to do, on which
 * device. Said before anything is sent; a message sent anyway is refused with the same words.
 */
function NoPermission({ peer, self }: { peer: PeerInfo; self: string }) {
  if (!peer.theyAllow || (peer.theyAllow as readonly string[]).includes('message')) return null;
  return (
    <p className="why">
      {peer.name} does not allow messages from this device. On {peer.name}, open Peers → Permissions of {self}{' '}
      and allow “Send messages to programs here”, or run <code>{grantCommand(self)}</code> there.
    </p>
  );
}

/**
 * Acknowledges the peer's unread messages while the conversation is open and the page is in front of
 * the user: shown and focused. A hidden tab, or the desktop window closed to the tray or behind
 * another app (when the app notifies instead), waits until it is. Returns why the last
 * acknowledgement failed, or null.
 */
function useAcknowledged(fingerprint: string): string | null {
  const messages = useService(MESSAGES);
  const unread = useMessages((s) => unreadFrom(fingerprint, s.inbox).join(','));
  const [error, setError] = useState<string | null>(null);
  const acking = useRef(new Set<string>());
  useEffect(() => {
    const ids = unread.split(',').filter((id) => id !== '' && !acking.current.has(id));
    if (ids.length === 0) return;
    const ack = () => {
      for (const id of ids) acking.current.add(id);
      messages
        .ack(ids)
        .then(() => setError(null))
        .catch((err: unknown) => setError(`Could not mark the messages read: ${messageOf(err)}`))
        .finally(() => {
          for (const id of ids) acking.current.delete(id);
        });
    };
    const seen = () => document.visibilityState === 'visible' && document.hasFocus();
    if (seen()) return ack();
    const onShow = () => {
      if (!seen()) return;
      stop();
      ack();
    };
    const stop = () => {
      document.removeEventListener('visibilitychange', onShow);
      window.removeEventListener('focus', onShow);
    };
    document.addEventListener('visibilitychange', onShow);
    window.addEventListener('focus', onShow);
    return stop;
  }, [unread, messages]);
  return error;
}

/**
 * Keeps the thread scrolled to its newest message, unless the reader scrolled up to older ones;
 * `follow()` scrolls to the next one whatever the reader did (a message this window is sending).
 */
function useStickToBottom(count: number) {
  const ref = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onScroll = () => {
      atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    };
    el.addEventListener('scroll', onScroll);
    return () => el.removeEventListener('scroll', onScroll);
  }, []);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [count]);
  const follow = useCallback(() => {
    atBottom.current = true;
  }, []);
  return { ref, follow };
}
