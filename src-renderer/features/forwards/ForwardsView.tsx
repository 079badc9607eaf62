import { useId, useState } from 'react';
import type { ForwardInfo, ProxyInfo } from '../../../src-main/forwards/forwards-contract.js';
import { useAgent, useIntent, usePeers, useServices } from '../../api/hooks.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { CopyButton } from '../../components/CopyButton.js';
import { ErrorText } from '../../components/ErrorText.js';
import { StatusDot } from '../../components/StatusDot.js';
import { formatBytes } from '../../lib/format.js';
import { useAction } from '../../lib/use-action.js';
import { AddForwardForm } from './AddForwardForm.js';
import './forwards.css';

type Row = { kind: 'tcp'; info: ForwardInfo } | { kind: 'socks' | 'http'; info: ProxyInfo };

const KIND_TEXT = { tcp: 'TCP forward', socks: 'SOCKS5 proxy', http: 'HTTP proxy' } as const;

/** Forwards and proxies in one list, with live counters (the agent's status events carry them). */
export function ForwardsView() {
  const forwards = useAgent((s) => s.forwards);
  const proxies = useAgent((s) => s.proxies);
  const peers = usePeers();
  const intent = useIntent('forwards');
  const [adding, setAdding] = useState(intent.forwardVia !== undefined);
  const rows: Row[] = [
    ...forwards.map((f) => ({ kind: 'tcp' as const, info: f })),
    ...proxies.map((p) => ({ kind: p.kind, info: p })),
  ];
  /**
   * The fixed peer a forward goes through (bound by fingerprint), and whether its connections can get
   * there: the port listens either way, but they fail while it is offline or no longer a peer.
   */
  const exit = (info: ForwardInfo | ProxyInfo): Exit => {
    if (info.via === null) return { name: 'chosen by the client', reach: 'ok' };
    const peer =
      info.viaFingerprint !== null
        ? peers.find((p) => p.fingerprint === info.viaFingerprint)
        : peers.find((p) => p.name === info.via);
    if (!peer) return { name: info.via, reach: info.viaFingerprint !== null ? 'gone' : 'ok' };
    if (peer.state === 'refused') return { name: peer.name, reach: 'refused' };
    if (peer.state !== 'online') return { name: peer.name, reach: 'offline' };
    return { name: peer.name, reach: 'ok', backSince: peer.since ? Date.parse(peer.since) : undefined };
  };

  return (
    <>
      <header className="view-header">
        <h1>Forwards</h1>
        {adding ? null : (
          // The focus comes back here when the form closes (Cancel, Escape, added), and when the last
          // row is removed (use-focus-rescue.ts).
          <button type="button" className="primary" data-focus-main onClick={() => setAdding(true)}>
            Add forward
          </button>
        )}
      </header>
      {adding ? <AddForwardForm initialVia={intent.forwardVia} onDone={() => setAdding(false)} /> : null}
      {rows.length === 0 ? (
        <p className="empty">
          No forwards yet. A forward listens on this device and carries each connection to an address a peer
          can reach, like <code>ssh -L</code>; a SOCKS5 or HTTP proxy lets applications choose the address,
          like <code>ssh -D</code>.
        </p>
      ) : (
        <table className="forwards">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Local address → via → remote</th>
              <th scope="col">State</th>
              <th scope="col">Traffic</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <ForwardRow key={r.info.name} row={r} exit={exit(r.info)} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** Where a row's connections exit: the peer's name, and whether they can get there now. */
interface Exit {
  name: string;
  reach: 'ok' | 'offline' | 'gone' | 'refused';
  /** When it came online (ms): what went wrong before that is old news. */
  backSince?: number;
}

const REACH_TEXT = {
  offline: (via: string) => `${via} is offline: connections through it fail until it is back`,
  refused: (via: string) =>
    `${via} refused this device (removed or rejected it): connections through it fail until it pairs with this device again`,
  gone: (via: string) =>
    `${via} is no longer a peer: connections through it fail until it is paired again (or remove this and add it via another peer)`,
} as const;

function ForwardRow({ row, exit }: { row: Row; exit: Exit }) {
  const via = exit.name;
  const { client, toasts } = useServices();
  const [confirm, setConfirm] = useState(false);
  const action = useAction();
  const { info } = row;
  const on = info.state !== 'off';
  const toggle = () =>
    action.start(() => client.call(on ? 'forward.disable' : 'forward.enable', { name: info.name }));
  const remove = () =>
    action.start(async () => {
      await client.call(row.kind === 'tcp' ? 'forward.remove' : 'proxy.remove', { name: info.name });
      toasts.show(`${info.name} removed`);
    });
  // What its clients could not be told (a TCP forward's client sees only a closed connection), kept
  // until a later connection opens; when the exit peer is away, that says more, and once it is back,
  // what went wrong before is old news (`forward list` follows the same rule).
  const last = info.state === 'listening' && exit.reach === 'ok' ? info.lastProblem : undefined;
  const problem =
    last && !(exit.backSince !== undefined && exit.backSince > Date.parse(last.at)) ? last : undefined;
  const stateId = useId();
  const current = useAgent((s) => s.connection.kind === 'connected');
  const tone =
    info.state === 'error'
      ? 'down'
      : info.state === 'listening' && exit.reach === 'ok' && !problem
        ? 'ok'
        : 'warn';
  return (
    <tr aria-label={info.name} data-focus-item>
      <td>
        {row.kind === 'tcp' && row.info.direction === 'reverse'
          ? row.info.protocol === 'udp'
            ? 'Reverse UDP forward'
            : 'Reverse forward'
          : row.kind === 'tcp' && row.info.protocol === 'udp'
            ? 'UDP forward'
            : KIND_TEXT[row.kind]}
        <div className="muted small-text">{info.name}</div>
      </td>
      <td>
        {row.kind === 'tcp' && row.info.direction === 'reverse' ? (
          // The peer listens; its connections come here (`ssh -R`): drawn the way they travel.
          <div className="route">
            <span>
              {via} listens on <code>{row.info.remote}</code>
            </span>
            <span>
              <span aria-hidden="true">→ </span>here to <code>{info.local}</code>
            </span>
          </div>
        ) : (
          <div className="route">
            <code>{info.local}</code>
            <span>
              <span aria-hidden="true">→ </span>via {via}
            </span>
            {row.kind === 'tcp' ? (
              <span>
                <span aria-hidden="true">→ </span>
                <code>{row.info.remote}</code>
              </span>
            ) : (
              <span className="muted">→ any address the client asks for</span>
            )}
          </div>
        )}
        {row.kind === 'tcp' ? null : <ProxyAuth info={row.info} />}
      </td>
      <td id={stateId}>
        <StatusDot tone={tone} text={info.state} />
        {/* The agent is away: this is what it last said, not what its ports do now. */}
        {current ? null : <div className="muted small-text">when the agent was last reached</div>}
        {info.error ? <div className="error-text">{info.error}</div> : null}
        {info.state === 'listening' && exit.reach !== 'ok' ? (
          <div className="muted small-text">{REACH_TEXT[exit.reach](via)}</div>
        ) : null}
        {problem ? (
          <div className="small-text last-problem">
            Last problem at <time dateTime={problem.at}>{timeOfDay(problem.at)}</time>: {problem.message}
          </div>
        ) : null}
        <ErrorText error={action.error} />
      </td>
      <td className="num">
        <div>
          {info.open} open · {info.connections} in all
        </div>
        <div>
          {formatBytes(info.bytesIn)} in · {formatBytes(info.bytesOut)} out
        </div>
        {row.kind === 'tcp' && row.info.protocol === 'udp' ? (
          <div>
            {row.info.datagramsIn ?? 0} datagrams in · {row.info.datagramsOut ?? 0} out ·{' '}
            {row.info.dropped ?? 0} dropped
          </div>
        ) : null}
      </td>
      <td>
        <div className="row-actions">
          <label className="switch">
            {/* aria-disabled, not disabled: a disabled control drops keyboard focus to the page. */}
            {/* Named by the forward; on or off is its checked state (a name that said "on" would stay
                "on" while off). The row after a removed one gives it the focus. */}
            <input
              type="checkbox"
              role="switch"
              data-focus-target
              // Tabbing to it says the state and any problem beside it, not only its name.
              aria-describedby={stateId}
              checked={on}
              onChange={() => {
                if (!action.busy) toggle();
              }}
              aria-disabled={action.busy}
            />
            <span className="switch-state" aria-hidden="true">
              {on ? 'On' : 'Off'}
            </span>
            <span className="visually-hidden">{info.name}</span>
          </label>
          <button
            type="button"
            className="small danger"
            onClick={() => setConfirm(true)}
            aria-label={`Remove ${row.kind === 'tcp' ? 'forward' : 'proxy'} ${info.name}`}
          >
            Remove
          </button>
          {confirm ? (
            <ConfirmDialog
              title={`Remove ${info.name}?`}
              message={<p>Its port {info.local} is freed and open connections through it close.</p>}
              confirmLabel="Remove"
              onConfirm={remove}
              onClose={() => setConfirm(false)}
            />
          ) : null}
        </div>
      </td>
    </tr>
  );
}

/**
 * Whether a proxy asks for its password, and its URL to copy (with the password in it). Without one,
 * any program on this device, another user's too, may use it (docs/security.md).
 */
function ProxyAuth({ info }: { info: ProxyInfo }) {
  return (
    <div className="small-text proxy-auth">
      {info.secret !== null ? (
        <span>password required</span>
      ) : (
        <span className="muted">no password: any program on this device may use it</span>
      )}{' '}
      <CopyButton text={info.url} label={`Copy URL of ${info.name}`} />
    </div>
  );
}

/** `14:05:09` in the user's locale, with the date when it was not today (the list has no clock to tick). */
function timeOfDay(iso: string): string {
  const t = new Date(iso);
  const time: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', second: '2-digit' };
  return t.toDateString() === new Date().toDateString()
    ? t.toLocaleTimeString(undefined, time)
    : t.toLocaleString(undefined, { ...time, month: 'short', day: 'numeric' });
}
