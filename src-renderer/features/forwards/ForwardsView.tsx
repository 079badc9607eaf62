import { useState, useSyncExternalStore } from 'react';
import type { ForwardInfo, ProxyInfo } from '../../../src-main/api/contract.js';
import { useAgent, usePeers, useServices } from '../../api/hooks.js';
import { ConfirmDialog } from '../../components/Dialog.js';
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
  const { nav } = useServices();
  const { intent } = useSyncExternalStore(nav.subscribe, nav.get);
  const [adding, setAdding] = useState(intent.forwardVia !== undefined);
  const rows: Row[] = [
    ...forwards.map((f) => ({ kind: 'tcp' as const, info: f })),
    ...proxies.map((p) => ({ kind: p.kind, info: p })),
  ];
  /** The fixed peer a forward goes through is not online: its port listens, but connections fail. */
  const offline = (via: string | null) => {
    const peer = via === null ? undefined : peers.find((p) => p.fingerprint === via || p.name === via);
    return peer !== undefined && peer.state !== 'online';
  };
  const peerName = (via: string | null) =>
    via === null
      ? 'chosen by the client'
      : (peers.find((p) => p.fingerprint === via || p.name === via)?.name ?? via);

  return (
    <>
      <header className="view-header">
        <h1>Forwards</h1>
        {adding ? null : (
          <button type="button" className="primary" onClick={() => setAdding(true)}>
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
              <ForwardRow
                key={r.info.name}
                row={r}
                via={peerName(r.info.via)}
                viaOffline={offline(r.info.via)}
              />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function ForwardRow({ row, via, viaOffline }: { row: Row; via: string; viaOffline: boolean }) {
  const { client, toasts } = useServices();
  const [confirm, setConfirm] = useState(false);
  const action = useAction();
  const { info } = row;
  const on = info.state !== 'off';
  const toggle = () =>
    void action.run(() => client.call(on ? 'forward.disable' : 'forward.enable', { name: info.name }));
  const remove = () =>
    void action.run(async () => {
      await client.call(row.kind === 'tcp' ? 'forward.remove' : 'proxy.remove', { name: info.name });
      toasts.show(`${info.name} removed`);
    });
  const tone = info.state === 'error' ? 'down' : info.state === 'listening' && !viaOffline ? 'ok' : 'warn';
  return (
    <tr aria-label={info.name}>
      <td>
        {KIND_TEXT[row.kind]}
        <div className="muted small-text">{info.name}</div>
      </td>
      <td>
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
      </td>
      <td>
        <StatusDot tone={tone} text={info.state} />
        {info.error ? <div className="error-text">{info.error}</div> : null}
        {info.state === 'listening' && viaOffline ? (
          <div className="muted small-text">
            {via} is offline: connections through it fail until it is back
          </div>
        ) : null}
        <ErrorText error={action.error} />
      </td>
      <td className="num">
        <div>{info.connections === 1 ? '1 connection' : `${info.connections} connections`}</div>
        <div>
          {formatBytes(info.bytesIn)} in · {formatBytes(info.bytesOut)} out
        </div>
      </td>
      <td>
        <div className="row-actions">
          <label className="switch">
            {/* aria-disabled, not disabled: a disabled control drops keyboard focus to the page. */}
            <input
              type="checkbox"
              role="switch"
              checked={on}
              onChange={() => {
                if (!action.busy) toggle();
              }}
              aria-disabled={action.busy}
            />
            <span className="switch-state" aria-hidden="true">
              {on ? 'On' : 'Off'}
            </span>
            <span className="visually-hidden">{info.name} on</span>
          </label>
          <button type="button" className="small danger" onClick={() => setConfirm(true)}>
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
