/**
 * One message in a conversation: its text (or what it is, when it is bytes or this window does not
 * have it), when, its topic when not the default, and for a sent one its state with glyph and word
 * and the why.
 */
import { StatusDot } from '../../components/StatusDot.js';
import { formatBytes } from '../../lib/format.js';
import { inboxBody, stateWords, type ThreadItem } from './conversations.js';

/**
 * Characters of one message drawn at most (a body may be 1 MiB): past them the view says how much
 * more there is and where to read it whole.
 */
export const SHOWN_CHARS = 20_000;

export function MessageItem({
  item,
  peer,
  online,
  self,
}: {
  item: ThreadItem;
  peer: string;
  online: boolean;
  self: string;
}) {
  const topic = item.message.topic !== 'default' ? item.message.topic : null;
  const when = <time dateTime={item.at}>{messageTime(item.at)}</time>;
  if (item.dir === 'in') {
    const m = item.message;
    return (
      <li className="msg msg-in">
        <span className="visually-hidden">{peer} wrote: </span>
        <Body text={inboxBody(m)} bytes={m.text === undefined} />
        <div className="msg-meta">
          {when}
          {topic ? <span>topic {topic}</span> : null}
          {m.replyTo ? <span>{m.error ? 'error reply' : 'reply'}</span> : null}
        </div>
      </li>
    );
  }
  const m = item.message;
  const state = stateWords(m, peer, online, self);
  return (
    <li className="msg msg-out">
      <span className="visually-hidden">You wrote: </span>
      {item.text !== undefined ? (
        <Body text={item.text} bytes={false} />
      ) : (
        <p className="msg-text msg-absent">
          {formatBytes(m.size)} sent (the outbox no longer keeps its text)
        </p>
      )}
      <div className="msg-meta">
        {when}
        {topic ? <span>topic {topic}</span> : null}
        <StatusDot tone={state.tone} text={state.word} />
      </div>
      {state.detail ? (
        <p className="msg-why">
          {state.detail}
          {state.command ? (
            <>
              {' '}
              <code>{state.command}</code>
            </>
          ) : null}
        </p>
      ) : null}
    </li>
  );
}

function Body({ text, bytes }: { text: string; bytes: boolean }) {
  if (bytes) return <p className="msg-text msg-absent">{text}</p>;
  if (text.length <= SHOWN_CHARS) return <p className="msg-text">{text}</p>;
  return (
    <p className="msg-text">
      {text.slice(0, SHOWN_CHARS)}
      <span className="msg-absent">
        {' '}
        … {text.length - SHOWN_CHARS} more characters (<code>clawbridge msg inbox</code> shows it whole)
      </span>
    </p>
  );
}

/** `14:05` today, `3 Nov, 14:05` before. */
export function messageTime(iso: string, now: Date = new Date()): string {
  const t = new Date(iso);
  const time = t.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return t.toDateString() === now.toDateString()
    ? time
    : `${t.toLocaleDateString([], { day: 'numeric', month: 'short' })}, ${time}`;
}
