import { useState } from 'react';
import type { GroupInfo } from '../../../src-main/groups/groups-contract.js';
import type { InvitationInfo } from '../../../src-main/group-members/group-members-contract.js';
import type { Permission } from '../../../src-main/api/contract.js';
import { useAgent, usePeers, useServices } from '../../api/hooks.js';
import { ActionButton } from '../../components/ActionButton.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { ErrorText } from '../../components/ErrorText.js';
import { PermissionBoxes } from '../../components/PermissionBoxes.js';
import { StatusDot } from '../../components/StatusDot.js';
import { shortFingerprint } from '../../lib/format.js';
import { useAction } from '../../lib/use-action.js';
import { deviceState, deviceTone } from './group-device-text.js';
import { GroupHistory } from './GroupHistory.js';
import { InviteMember } from './InviteMember.js';

/**
 * A group this device's person owns: its devices (add and drop the owner's own: this node and peers
 * marked mine), what members may do there, invitations, the members with their devices, their
 * sessions on the group's devices, Delete.
 */
export function OwnedGroup({ group, invitations }: { group: GroupInfo; invitations: InvitationInfo[] }) {
  const { client, toasts } = useServices();
  const action = useAction();
  const self = useAgent((s) => s.status);
  const peers = usePeers();
  const inGroup = new Set(group.devices.map((d) => d.fingerprint));
  // The owner's own devices not in the group yet: this node, then the peers marked mine.
  const candidates = [
    ...(self ? [{ name: `${self.name} (this device)`, fingerprint: self.fingerprint }] : []),
    ...peers.filter((p) => p.mine).map((p) => ({ name: p.name, fingerprint: p.fingerprint })),
  ].filter((d) => !inGroup.has(d.fingerprint));
  const [toAdd, setToAdd] = useState('');
  const chosen = candidates.some((c) => c.fingerprint === toAdd) ? toAdd : (candidates[0]?.fingerprint ?? '');
  const [allow, setAllow] = useState<Permission[] | null>(null);
  const [deleting, setDeleting] = useState(false);
  const titleId = `group-${group.id}`;
  const shownAllow = allow ?? (group.permissions as Permission[]);
  const call = (what: () => Promise<unknown>) => action.start(what);

  return (
    <li className="card group" aria-labelledby={titleId} data-focus-item>
      <div className="card-head">
        <h2 id={titleId} tabIndex={-1} data-focus-target>
          {group.name}
        </h2>
        <span className="badge badge-mine">owner</span>
      </div>

      <h3>Devices</h3>
      {group.devices.length === 0 ? (
        <p className="muted">No device yet: add one of yours for members to reach.</p>
      ) : (
        <ul className="group-devices" aria-label={`Devices of ${group.name}`}>
          {group.devices.map((d) => (
            <li key={d.fingerprint} className="group-device" aria-label={d.name} data-focus-item>
              <strong>{d.name}</strong>
              <StatusDot tone={deviceTone(d)} text={deviceState(d)} />
              <code>{shortFingerprint(d.fingerprint)}</code>
              <button
                type="button"
                className="small"
                aria-label={`Drop ${d.name} from ${group.name}`}
                onClick={() =>
                  call(async () => {
                    await client.call('groups.drop', { group: group.id, devices: [d.fingerprint] });
                    toasts.show(`${d.name} dropped from ${group.name}`);
                  })
                }
              >
                Drop
              </button>
            </li>
          ))}
        </ul>
      )}
      {candidates.length > 0 ? (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            call(() => client.call('groups.add', { group: group.id, devices: [chosen] }));
          }}
        >
          <label className="field">
            <span>Device to add</span>
            <select value={chosen} onChange={(e) => setToAdd(e.target.value)}>
              {candidates.map((c) => (
                <option key={c.fingerprint} value={c.fingerprint}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <ActionButton type="submit" unavailable={action.busy} aria-label={`Add device to ${group.name}`}>
            Add device
          </ActionButton>
        </form>
      ) : (
        <p className="muted">
          Every device of yours is in this group (mark a peer as one of your devices to add it).
        </p>
      )}

      <form
        className="group-allow"
        onSubmit={(e) => {
          e.preventDefault();
          call(async () => {
            await client.call('groups.allow', { group: group.id, permissions: shownAllow });
            setAllow(null);
            toasts.show(`Members of ${group.name} may now: ${shownAllow.join(', ') || 'nothing'}`);
          });
        }}
      >
        <PermissionBoxes value={shownAllow} onChange={setAllow} legend="Members may do on these devices" />
        {allow ? (
          <ActionButton
            type="submit"
            unavailable={action.busy}
            aria-label={`Save what members of ${group.name} may do`}
          >
            Save
          </ActionButton>
        ) : null}
      </form>

      <h3>Members</h3>
      {(group.members ?? []).length === 0 ? (
        <p className="muted">No member yet: invite someone below.</p>
      ) : (
        <ul className="group-members" aria-label={`Members of ${group.name}`}>
          {(group.members ?? []).map((m) => (
            <li key={m.root} aria-label={m.name} data-focus-item>
              <strong>{m.name}</strong>
              <span className="muted">
                devices: {m.devices.map((d) => `${d.name} (${shortFingerprint(d.fingerprint)})`).join(', ')}
              </span>
              <button
                type="button"
                className="small danger"
                aria-label={`Remove ${m.name} from ${group.name}`}
                onClick={() =>
                  call(async () => {
                    await client.call('groups.remove', { group: group.id, member: m.root });
                    toasts.show(`${m.name} removed from ${group.name}`);
                  })
                }
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorText error={action.error} />

      <InviteMember group={group} invitations={invitations} />

      {client.serves('groups.history') ? <GroupHistory group={group} /> : null}

      <div className="actions">
        <button
          type="button"
          className="danger"
          aria-label={`Delete ${group.name}`}
          onClick={() => setDeleting(true)}
        >
          Delete group
        </button>
      </div>
      {deleting ? (
        <ConfirmDialog
          title={`Delete ${group.name}?`}
          message={`Every member's access to its devices ends, on each device, and open terminals close.`}
          confirmLabel="Delete group"
          onConfirm={() =>
            call(async () => {
              await client.call('groups.delete', { group: group.id });
              toasts.show(`${group.name} deleted`);
            })
          }
          onClose={() => setDeleting(false)}
        />
      ) : null}
    </li>
  );
}
