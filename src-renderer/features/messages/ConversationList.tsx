/**
 * The conversations, newest first. One Tab stop for the whole list (the open conversation, else the
 * first): Up and Down, Home and End move between them, Enter or Space opens one — moving alone opens
 * nothing, since opening marks messages read.
 */
import { useRef, type KeyboardEvent } from 'react';
import { formatAgo } from '../../lib/format.js';
import type { Conversation } from './conversations.js';

export function ConversationList({
  list,
  open,
  onOpen,
}: {
  list: readonly Conversation[];
  open: string | null;
  onOpen: (fingerprint: string) => void;
}) {
  const ul = useRef<HTMLUListElement>(null);
  const stop = list.some((c) => c.fingerprint === open) ? open : (list[0]?.fingerprint ?? null);
  const onKeyDown = (e: KeyboardEvent<HTMLButtonElement>, i: number) => {
    const last = list.length - 1;
    const to =
      e.key === 'ArrowDown'
        ? Math.min(i + 1, last)
        : e.key === 'ArrowUp'
          ? Math.max(i - 1, 0)
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? last
              : null;
    if (to === null) return;
    e.preventDefault();
    ul.current?.querySelectorAll<HTMLButtonElement>('button.conversation-entry')[to]?.focus();
  };
  return (
    <div className="conversation-list">
      <h2 id="conversations-heading" className="visually-hidden">
        Conversations
      </h2>
      <p id="conversations-keys" className="visually-hidden">
        Up and down arrows move between conversations; Enter opens one.
      </p>
      <ul ref={ul} aria-labelledby="conversations-heading">
        {list.map((c, i) => {
          const previewId = `conversation-preview-${c.fingerprint}`;
          return (
            <li key={c.fingerprint}>
              <button
                type="button"
                className="conversation-entry"
                aria-current={c.fingerprint === open ? 'true' : undefined}
                aria-label={c.unread > 0 ? `${c.name}, ${c.unread} unread` : c.name}
                aria-describedby={`${previewId} conversations-keys`}
                tabIndex={c.fingerprint === stop ? 0 : -1}
                onClick={() => onOpen(c.fingerprint)}
                onKeyDown={(e) => onKeyDown(e, i)}
              >
                <span className="conversation-top">
                  <span className="conversation-name">{c.name}</span>
                  {c.lastAt ? (
                    <span className="conversation-when">
                      {formatAgo((Date.now() - Date.parse(c.lastAt)) / 1000)}
                    </span>
                  ) : null}
                  {c.unread > 0 ? (
                    <span className="count" aria-hidden="true">
                      {c.unread}
                    </span>
                  ) : null}
                </span>
                <span className="conversation-preview" id={previewId}>
                  {c.preview ?? 'No messages yet'}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
