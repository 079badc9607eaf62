import { useState } from 'react';
import { useIntent, useServices } from '../../api/hooks.js';
import { ActionButton } from '../../components/ActionButton.js';
import { ErrorText } from '../../components/ErrorText.js';
import { useAction } from '../../lib/use-action.js';
import { JoinGroup } from './JoinGroup.js';
import { MemberGroup } from './MemberGroup.js';
import { OwnedGroup } from './OwnedGroup.js';
import { useGroups } from './use-groups.js';
import './groups.css';

/**
 * Groups (docs/desktop-app.md §Groups): the groups this device's person owns, with their devices,
 * members and invitations; the groups it belongs to, with a terminal on each of their devices; a new
 * group; and joining one with an invitation code.
 */
export function GroupsView() {
  const { client } = useServices();
  const intent = useIntent('groups');
  const phase = useGroups((s) => s.phase);
  const loadError = useGroups((s) => s.error);
  const groups = useGroups((s) => s.groups);
  const invitations = useGroups((s) => s.invitations);
  const [name, setName] = useState('');
  const create = useAction();
  const owned = groups.filter((g) => g.role === 'owner');
  const member = groups.filter((g) => g.role === 'member');
  // A node that can own no group (a browser, ADR 0094) only joins: no New group form.
  const creates = client.serves('groups.create');
  return (
    <>
      <header className="view-header">
        <h1>Groups</h1>
      </header>
      <div className="groups-forms">
        {creates ? (
          <section aria-label="New group">
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                create.start(async () => {
                  await client.call('groups.create', { name: name.trim() });
                  setName('');
                });
              }}
            >
              <label className="field">
                <span>Group name</span>
                <input
                  value={name}
                  onChange={(e) => setName(e.target.value)}
                  placeholder="lab"
                  autoComplete="off"
                  data-focus-main
                  aria-invalid={!!create.error}
                  aria-describedby="group-create-error"
                />
              </label>
              <ActionButton type="submit" unavailable={create.busy || name.trim() === ''}>
                Create group
              </ActionButton>
            </form>
            <ErrorText error={create.error} id="group-create-error" />
          </section>
        ) : null}
        <JoinGroup
          key={`${intent.joinCode ?? ''}\n${intent.refusedLink ?? ''}`}
          initial={intent.joinCode ?? ''}
          focusMain={!creates}
          {...(intent.refusedLink ? { refusedLink: intent.refusedLink } : {})}
        />
      </div>
      {phase === 'unsupported' ? (
        <p className="empty">This agent has no groups: it runs an older Clawbridge. Update it.</p>
      ) : null}
      <ErrorText error={loadError} />
      {phase === 'loading' ? <p className="muted">Loading…</p> : null}
      {phase === 'ready' && groups.length === 0 ? (
        <div className="empty">
          {creates ? (
            <p>
              A group shares some of your devices with other people: create one, add your devices, and invite
              them. Someone who invited you gave you a code: enter it under <strong>Invitation code</strong>.
            </p>
          ) : (
            <p>
              A group shares someone's devices with you. They gave you a code or a link: enter it under{' '}
              <strong>Invitation code</strong>.
            </p>
          )}
        </div>
      ) : null}
      {owned.length > 0 ? (
        <section aria-labelledby="groups-owned">
          <h2 id="groups-owned" className="section-title">
            Groups you own
          </h2>
          <ul className="cards">
            {owned.map((g) => (
              <OwnedGroup key={g.id} group={g} invitations={invitations} />
            ))}
          </ul>
        </section>
      ) : null}
      {member.length > 0 ? (
        <section aria-labelledby="groups-member">
          <h2 id="groups-member" className="section-title">
            Groups you belong to
          </h2>
          <ul className="cards">
            {member.map((g) => (
              <MemberGroup key={g.id} group={g} />
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}
