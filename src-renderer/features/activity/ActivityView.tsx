/**
 * The audit log (docs/security.md §Audit log): who opened what on this device, from where, with what
 * outcome — terminals, connections, pairing, approvals, permission changes and refused attempts.
 * Read with `audit.list` (the log is a file, not part of the live store), newest first, with the same
 * filters as `clawbridge log`: since when, and one peer. Read again when the filters change, when the
 * agent's `audit` event says new lines were written, and on Refresh.
 */
import { useEffect, useState } from 'react';
import type { AuditListResult } from '../../../src-main/api/contract.js';
import type { AuditEvent } from '../../../src-main/audit/audit-events.js';
import { messageOf } from '../../api/client.js';
import { usePeers, useServices } from '../../api/hooks.js';
import { ErrorText } from '../../components/ErrorText.js';
import { shortFingerprint } from '../../lib/format.js';
import { eventText, SINCE_CHOICES, trafficText, whereText } from './activity-text.js';
import './activity.css';

export function ActivityView() {
  const { client } = useServices();
  const peers = usePeers();
  const [since, setSince] = useState('24h');
  const [peer, setPeer] = useState('');
  const [result, setResult] = useState<AuditListResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  // The agent says when new events are in the log (at most once a second): read it again then.
  useEffect(
    () =>
      client.onEvent((event) => {
        if (event === 'audit') setReloads((n) => n + 1);
      }),
    [client],
  );
  useEffect(() => {
    let current = true;
    client
      .call('audit.list', { ...(since ? { since } : {}), ...(peer ? { peer } : {}) })
      .then((r) => {
        if (!current) return;
        setResult(r);
        setError(null);
      })
      .catch((err: unknown) => {
        if (current) setError(`Could not read the activity log: ${messageOf(err)}`);
      });
    return () => {
      current = false;
    };
  }, [client, since, peer, reloads]);
  const events = result ? [...result.events].reverse() : [];
  return (
    <>
      <header className="view-header">
        <h1>Activity</h1>
        <button type="button" className="small" onClick={() => setReloads((n) => n + 1)}>
          Refresh
        </button>
      </header>
      <div className="activity-filters">
        <label>
          Since
          <select value={since} onChange={(e) => setSince(e.target.value)}>
            {SINCE_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Peer
          <select value={peer} onChange={(e) => setPeer(e.target.value)}>
            <option value="">All peers</option>
            {peers.map((p) => (
              <option key={p.fingerprint} value={p.fingerprint}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorText error={error} />
      {result && result.bad > 0 ? (
        <p className="muted small-text">
          {result.bad === 1 ? '1 line' : `${result.bad} lines`} of the log could not be read and are not
          shown.
        </p>
      ) : null}
      {result === null ? null : events.length === 0 ? (
        <p className="empty">
          {since || peer
            ? 'Nothing recorded for these filters.'
            : 'Nothing recorded yet. Terminals, connections, pairing, permission changes and refused attempts show here.'}
        </p>
      ) : (
        <table className="activity" aria-label="Activity log">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Peer</th>
              <th scope="col">What</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e, i) => (
              <ActivityRow key={`${e.time}-${i}`} e={e} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function ActivityRow({ e }: { e: AuditEvent }) {
  const where = whereText(e);
  const traffic = trafficText(e);
  const when = new Date(e.time);
  return (
    <tr>
      <td className="num">
        <time dateTime={e.time}>{when.toLocaleString()}</time>
      </td>
      <td>{eventText(e)}</td>
      <td>
        {e.peer ? (
          <>
            {e.peer.name}
            <div className="muted small-text">
              <code>{shortFingerprint(e.peer.fingerprint)}</code>
            </div>
          </>
        ) : (
          <span className="muted">none</span>
        )}
      </td>
      <td>
        <div>{e.what}</div>
        {where ? <div className="muted small-text">from {where}</div> : null}
        {traffic ? <div className="muted small-text">{traffic}</div> : null}
      </td>
      <td>
        <span className={e.outcome === 'ok' ? 'outcome ok' : 'outcome bad'}>{e.outcome}</span>
        {e.reason ? <div className="small-text">{e.reason}</div> : null}
      </td>
    </tr>
  );
}
