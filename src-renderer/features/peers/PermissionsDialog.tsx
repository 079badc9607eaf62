import { useId, useRef, useState } from 'react';
import type { PeerInfo, Permission } from '../../../src-main/api/contract.js';
import { useServices } from '../../api/hooks.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorText } from '../../components/ErrorText.js';
import { PermissionBoxes } from '../../components/PermissionBoxes.js';
import { useAction } from '../../lib/use-action.js';
import { ActionButton } from '../../components/ActionButton.js';

/**
 * What a peer may do here, and where its forwards may go. Saved as the few calls that differ; on an
 * error the dialog stays open with what was chosen.
 */
export function PermissionsDialog({ peer, onClose }: { peer: PeerInfo; onClose: () => void }) {
  const { client, toasts } = useServices();
  const [allow, setAllow] = useState<Permission[]>(peer.allow);
  const [limited, setLimited] = useState(peer.forwardTo !== null);
  const [patterns, setPatterns] = useState((peer.forwardTo ?? []).join('\n'));
  const action = useAction();
  const errorId = useId();
  /** Whether the last save failed at the destinations (the agent refused a pattern): that field is wrong. */
  const limitFailed = useRef(false);

  const save = () =>
    action.start(async () => {
      const ref = peer.fingerprint;
      for (const p of allow.filter((p) => !peer.allow.includes(p))) {
        await client.call('peers.allow', { peer: ref, permission: p });
      }
      for (const p of peer.allow.filter((p) => !allow.includes(p))) {
        await client.call('peers.deny', { peer: ref, permission: p });
      }
      const list = patterns
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean);
      const forwardTo = limited ? list : null;
      limitFailed.current = false;
      if (JSON.stringify(forwardTo) !== JSON.stringify(peer.forwardTo)) {
        limitFailed.current = true;
        await client.call('peers.limit', { peer: ref, forwardTo });
        limitFailed.current = false;
      }
      toasts.show(`Permissions of ${peer.name} saved`);
      onClose();
    });

  return (
    <Dialog title={`Permissions of ${peer.name}`} onClose={onClose}>
      <PermissionBoxes value={allow} onChange={setAllow} legend={`${peer.name} may`} />
      <fieldset>
        <legend>Where its forwards may go</legend>
        <label className="check">
          <input type="radio" name="limit" checked={!limited} onChange={() => setLimited(false)} />
          Anywhere this device can reach
        </label>
        <label className="check">
          <input type="radio" name="limit" checked={limited} onChange={() => setLimited(true)} />
          Only these destinations
        </label>
        <label className="field">
          <span>Destinations (HOST:PORT, * allowed, one per line)</span>
          <textarea
            rows={3}
            value={patterns}
            disabled={!limited}
            placeholder={'127.0.0.1:8080\n*.lan:22'}
            onChange={(e) => setPatterns(e.target.value)}
            aria-invalid={!!action.error && limitFailed.current}
            aria-describedby={errorId}
          />
        </label>
      </fieldset>
      {/* The destinations' description: what the agent refused is most often one of them. */}
      <ErrorText error={action.error} id={errorId} />
      <div className="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <ActionButton className="primary" onClick={save} unavailable={action.busy}>
          Save
        </ActionButton>
      </div>
    </Dialog>
  );
}
