import { useId, useState } from 'react';
import type { PeerInfo } from '../../../src-main/api/contract.js';
import { useServices } from '../../api/hooks.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorText } from '../../components/ErrorText.js';
import { useAction } from '../../lib/use-action.js';
import { ActionButton } from '../../components/ActionButton.js';

export function RenameDialog({ peer, onClose }: { peer: PeerInfo; onClose: () => void }) {
  const { client } = useServices();
  const [name, setName] = useState(peer.name);
  const action = useAction();
  // The agent's refusal ("a peer named 'B' already exists") is the field's description, as in Settings.
  const errorId = useId();
  const save = () =>
    action.start(async () => {
      await client.call('peers.rename', { peer: peer.fingerprint, name: name.trim() });
      onClose();
    });
  return (
    <Dialog title={`Rename ${peer.name}`} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <label className="field">
          <span>Name</span>
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoFocus
            aria-invalid={!!action.error}
            aria-describedby={errorId}
          />
        </label>
        <ErrorText error={action.error} id={errorId} />
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <ActionButton type="submit" className="primary" unavailable={action.busy || name.trim() === ''}>
            Rename
          </ActionButton>
        </div>
      </form>
    </Dialog>
  );
}
