/**
 * The connections this node carries right now (the agent's `connections` events keep the list live):
 * forward and proxy connections, exits served for peers, terminals both ways, relay circuits. Each
 * row can be closed on its own (`connections.close`); the others go on.
 */
import type { ConnectionInfo, ConnectionKind } from '../../../src-main/api/contract.js';
import { useAgent, useServices } from '../../api/hooks.js';
import { ErrorText } from '../../components/ErrorText.js';
import { formatBytes, formatSince, shortFingerprint } from '../../lib/format.js';
import { useAction } from '../../lib/use-action.js';
import './connections.css';

const KIND_TEXT: Record<ConnectionKind, string> = {
  forward: 'TCP forward',
  socks: 'SOCKS5 proxy',
  http: 'HTTP proxy',
  'tcp-exit': 'Exit for a peer',
  'udp-exit': 'UDP exit for a peer',
  'terminal-served': 'Terminal served here',
  'terminal-opened': 'Terminal on a peer',
  'relay-circuit': 'Relay circuit',
  udp: 'UDP flow',
  reverse: 'Reverse forward',
  'reverse-udp': 'Reverse UDP flow',
  'reverse-served': 'Served for a peer’s reverse forward',
  'chain-hop': 'Chain hop',
  'files-in': 'Files from a peer',
  'files-out': 'Files to a peer',
  'messages-in': 'Messages from a peer',
  'messages-out': 'Messages to a peer',
  share: 'Shared folder',
};

export function ConnectionsView() {
  const connections = useAgent((s) => s.connections);
  return (
    <>
      <header className="view-header">
        <h1>Connections</h1>
      </header>
      {connections.length === 0 ? (
        <p className="empty">
          No open connections. Connections through forwards and proxies, terminals, and what this device
          carries for its peers show here while they are open.
        </p>
      ) : (
        <table className="connections">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Peer</th>
              <th scope="col">From → to</th>
              <th scope="col">Traffic</th>
              <th scope="col">Age</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {connections.map((c) => (
              <ConnectionRow key={c.id} c={c} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function ConnectionRow({ c }: { c: ConnectionInfo }) {
  const { client, toasts } = useServices();
  const action = useAction();
  const close = () =>
    action.start(async () => {
      await client.call('connections.close', { id: c.id });
      toasts.show(`Connection ${c.id} closed`);
    });
  return (
    <tr aria-label={`Connection ${c.id}`} data-focus-item>
      <td>
        {KIND_TEXT[c.kind]}
        <div className="muted small-text">{c.id}</div>
      </td>
      <td>
        {c.peer ? (
          <>
            {c.peer.name}
            <div className="muted small-text">
              <code>{shortFingerprint(c.peer.fingerprint)}</code>
            </div>
          </>
        ) : (
          <span className="muted">none</span>
        )}
      </td>
      <td>
        <div className="route">
          <code>{c.from}</code>
          <span>
            <span aria-hidden="true">→ </span>
            <code>{c.to}</code>
          </span>
        </div>
        <ErrorText error={action.error} />
      </td>
      <td className="num">
        <div>{formatBytes(c.bytesOut)} out</div>
        <div>{formatBytes(c.bytesIn)} in</div>
      </td>
      <td className="num">
        {/* Said in words too: a phone's width shows no column headers. */}
        open <time dateTime={c.openedAt}>{formatSince(c.openedAt) ?? '-'}</time>
      </td>
      <td>
        <button
          type="button"
          className="small danger"
          data-focus-target
          onClick={close}
          aria-disabled={action.busy}
          aria-label={`Close connection ${c.id}`}
        >
          Close
        </button>
      </td>
    </tr>
  );
}
