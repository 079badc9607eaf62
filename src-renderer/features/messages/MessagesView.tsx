/**
 * Messages: one conversation per peer, newest first, each with its unread count; the open
 * one shows the messages both ways and a composer. Everything comes from the messages store
 * (messages-store.ts), which the agent's `message` and `message.state` events keep live; opening a
 * conversation acknowledges what it shows, so its sender sees `read`.
 */
import { useMemo, useState } from 'react';
import { useAgent, useIntent, usePeers, useService, useServices } from '../../api/hooks.js';
import { MESSAGES } from './messages-store.js';
import { useMessages } from './use-messages.js';
import { ConversationList } from './ConversationList.js';
import { ConversationPane } from './ConversationPane.js';
import { conversations } from './conversations.js';
import './messages.css';

export function MessagesView() {
  const { nav } = useServices();
  const messages = useService(MESSAGES);
  const intent = useIntent('messages');
  const peers = usePeers();
  const loaded = useAgent((s) => s.status !== null);
  const { phase, error, inbox, outbox } = useMessages((s) => s);
  // Nothing is open by itself: opening a conversation marks its messages read, which only the user's
  // choice (or a notification they clicked) should do.
  const [open, setOpen] = useState<string | null>(intent.messagesPeer ?? null);
  const list = useMemo(
    () => conversations(peers, inbox, outbox, (id) => messages.sentText(id)),
    [peers, inbox, outbox, messages],
  );
  const current = open === null ? null : (list.find((c) => c.fingerprint === open) ?? null);

  const header = (
    <header className="view-header">
      <h1>Messages</h1>
    </header>
  );
  if (phase === 'unsupported')
    return (
      <>
        {header}
        <p className="empty">
          This device&apos;s agent does not carry messages: it runs an older Clawbridge. Update it, then
          messages between your devices show here.
        </p>
      </>
    );
  if (!loaded || phase === 'loading')
    return (
      <>
        {header}
        <p className="muted">Loading…</p>
      </>
    );
  if (list.length === 0)
    return (
      <>
        {header}
        <div className="empty">
          <p>
            No peers yet. Messages go between paired devices: pair this one with another that runs Clawbridge,
            and a conversation with it shows here.
          </p>
          <div className="actions">
            <button
              type="button"
              className="primary"
              data-focus-main
              onClick={() => nav.go('pair', { pairMode: 'new' })}
            >
              Pair new device
            </button>
          </div>
        </div>
      </>
    );
  return (
    <div className="messages-view">
      {header}
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      <div className="messages">
        <ConversationList list={list} open={open} onOpen={setOpen} />
        <section
          className="conversation"
          aria-label={current ? `Conversation with ${current.name}` : 'Conversation'}
        >
          {open === null ? (
            <p className="empty conversation-none">
              Choose a conversation. Programs on your devices send messages with{' '}
              <code>clawbridge msg send</code>; this view shows them and sends your own.
            </p>
          ) : (
            <ConversationPane key={open} fingerprint={open} conversation={current} />
          )}
        </section>
      </div>
    </div>
  );
}
