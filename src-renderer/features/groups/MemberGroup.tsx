import type { GroupInfo } from '../../../src-main/groups/groups-contract.js';
import { useServices } from '../../api/hooks.js';
import { ActionButton } from '../../components/ActionButton.js';
import { ErrorText } from '../../components/ErrorText.js';
import { MustBeOnline } from '../../components/MustBeOnline.js';
import { StatusDot } from '../../components/StatusDot.js';
import { shortFingerprint } from '../../lib/format.js';
import { useAction } from '../../lib/use-action.js';
import { followLink } from '../../lib/follow-link.js';
import { useFeatures } from '../registry.js';
import { deviceState, deviceTone } from './group-device-text.js';
import { LEAVING } from './membership-news.js';

/**
 * A group this device's person belongs to: the group's devices with their state, a terminal on each,
 * and Leave. A member sees neither the other members nor any device of the owner outside the group.
 */
export function MemberGroup({ group }: { group: GroupInfo }) {
  const services = useServices();
  const { client, toasts } = services;
  const features = useFeatures();
  // Through the terminals feature's own link intent, as a tray item opens one: a new tab to the device.
  const openTerminal = (peer: string, name: string) =>
    followLink(services, features, { view: 'terminals', intent: { openTerminal: { peer, name } } });
  const leave = useAction();
  const titleId = `group-${group.id}`;
  const awayId = (fingerprint: string) => `${titleId}-away-${fingerprint}`;
  return (
    <li className="card group" aria-labelledby={titleId} data-focus-item>
      <div className="card-head">
        <h2 id={titleId} tabIndex={-1} data-focus-target>
          {group.name}
        </h2>
        <span className="badge">member</span>
      </div>
      <p className="meta">
        <span>may do there: {group.permissions.join(', ') || 'nothing'}</span>
      </p>
      {group.devices.length === 0 ? (
        <p className="muted">The owner has not added a device to this group yet.</p>
      ) : (
        <ul className="group-devices" aria-label={`Devices of ${group.name}`}>
          {group.devices.map((d) => (
            <li key={d.fingerprint} className="group-device" aria-label={d.name}>
              <strong>{d.name}</strong>
              <StatusDot tone={deviceTone(d)} text={deviceState(d)} />
              <code>{shortFingerprint(d.fingerprint)}</code>
              {group.permissions.includes('terminal') ? (
                // Offline, or refusing this node (removed): it stays (and keeps the focus) but opens
                // nothing, as on a peer's card, rather than a tab that fails a moment later.
                <>
                  <ActionButton
                    className="small"
                    unavailable={!d.online}
                    aria-label={`Open terminal on ${d.name}`}
                    aria-describedby={d.online ? undefined : awayId(d.fingerprint)}
                    onClick={() => openTerminal(d.fingerprint, d.name)}
                  >
                    Open terminal
                  </ActionButton>
                  {d.online ? null : (
                    <MustBeOnline id={awayId(d.fingerprint)} name={d.name} state="offline" />
                  )}
                </>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button
          type="button"
          aria-label={`Leave ${group.name}`}
          onClick={() =>
            leave.start(async () => {
              // Left here: its going from the list is not told again (membership-news.ts).
              const leaving = services.get(LEAVING);
              leaving.add(group.id);
              try {
                await client.call('groups.leave', { group: group.id });
              } catch (err) {
                leaving.take(group.id);
                throw err;
              }
              toasts.show(`You left ${group.name}`);
            })
          }
        >
          Leave group
        </button>
      </div>
      <ErrorText error={leave.error} />
    </li>
  );
}
