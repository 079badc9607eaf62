import { useEffect, useState } from 'react';
import type {
  HistoryResult,
  HistorySession,
} from '../../../src-main/group-members/group-members-contract.js';
import { messageOf } from '../../api/client.js';
import { useAgent, useServices } from '../../api/hooks.js';
import { ActionButton } from '../../components/ActionButton.js';
import { ErrorText } from '../../components/ErrorText.js';
import { sessionLength, sessionMember, unanswered } from './group-history-text.js';

/**
 * The owner's view of a group's session history (`groups.history`): the members' sessions on every
 * device of the group, newest first, gathered from each device's own audit log. Asking every device
 * takes a while (an offline one until it times out), so it is read when shown and on Refresh, not on
 * every change; a device that could not be asked is named with why.
 */
export function GroupHistory({ group }: { group: { id: string; name: string } }) {
  const { client } = useServices();
  const connected = useAgent((s) => s.connection.kind === 'connected');
  const [shown, setShown] = useState(false);
  const [result, setResult] = useState<HistoryResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [reads, setReads] = useState(0);
  const regionId = `group-history-${group.id}`;
  useEffect(() => {
    if (!shown || !connected) return;
    let current = true;
    setLoading(true);
    client.call('groups.history', { group: group.id }).then(
      (r) => {
        if (!current) return;
        setResult(r);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (!current) return;
        setError(`Could not read the session history: ${messageOf(err)}`);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [client, group.id, shown, connected, reads]);
  const notAsked = result ? unanswered(result.sources) : [];
  const noneAsked = notAsked.length > 0 && notAsked.length === result?.sources.length;
  return (
    <section className="group-history" aria-labelledby={`${regionId}-title`}>
      <div className="group-history-head">
        <h3 id={`${regionId}-title`}>Session history</h3>
        <button
          type="button"
          className="small"
          aria-expanded={shown}
          aria-controls={regionId}
          aria-label={`${shown ? 'Hide' : 'Show'} session history of ${group.name}`}
          onClick={() => setShown(!shown)}
        >
          {shown ? 'Hide' : 'Show'}
        </button>
        {shown ? (
          <ActionButton
            className="small"
            aria-label={`Refresh session history of ${group.name}`}
            unavailable={loading || !connected}
            onClick={() => setReads((n) => n + 1)}
          >
            Refresh
          </ActionButton>
        ) : null}
      </div>
      {shown ? (
        <div id={regionId}>
          <p className="muted" role="status">
            {!connected
              ? 'The agent is not connected: the history is read once it is back.'
              : loading
                ? `Asking the devices of ${group.name}…`
                : ''}
          </p>
          <ErrorText error={error} />
          {result && result.sessions.length === 0 && !noneAsked ? (
            <p className="muted">No member has had a session on these devices yet.</p>
          ) : null}
          {result && result.sessions.length > 0 ? (
            <SessionTable group={group.name} sessions={result.sessions} />
          ) : null}
          {notAsked.length > 0 ? (
            <div role="group" aria-label={`Devices of ${group.name} not asked`}>
              <p className="group-history-missing">
                {noneAsked
                  ? `No device of ${group.name} could be asked:`
                  : 'Not included, as these devices could not be asked:'}
              </p>
              <ul className="group-history-missing">
                {notAsked.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </div>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

function SessionTable({ group, sessions }: { group: string; sessions: HistorySession[] }) {
  return (
    <table className="group-history-table" aria-label={`Session history of ${group}`}>
      <thead>
        <tr>
          <th scope="col">Member</th>
          <th scope="col">Member's device</th>
          <th scope="col">Group device</th>
          <th scope="col">Start</th>
          <th scope="col">End</th>
        </tr>
      </thead>
      <tbody>
        {sessions.map((s, i) => (
          <tr key={`${s.device.fingerprint}-${s.memberDevice.fingerprint}-${s.start}-${i}`}>
            <td data-label="Member">{sessionMember(s)}</td>
            <td data-label="Member's device">{s.memberDevice.name}</td>
            <td data-label="Group device">{s.device.name}</td>
            <td data-label="Start">
              <time dateTime={s.start}>{new Date(s.start).toLocaleString()}</time>
            </td>
            <td data-label="End">
              {s.end === null ? (
                <strong className="group-history-open">open</strong>
              ) : (
                <>
                  <time dateTime={s.end}>{new Date(s.end).toLocaleString()}</time>
                  <span className="muted"> ({sessionLength(s)})</span>
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
