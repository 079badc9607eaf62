import { useEffect, useId, useState } from 'react';
import { useAgent, useServices } from '../api/hooks.js';
import { useAction } from '../lib/use-action.js';
import { ActionButton } from './ActionButton.js';
import { ErrorText } from './ErrorText.js';
import { Fingerprint } from './Fingerprint.js';

/**
 * This node's own name and fingerprint under its heading (**This browser** in the page a relay
 * serves, ADR 0094): the fingerprint for the owner to compare with what the device shows when it
 * approves, the name for the device's owner to tell this browser from another one (a default from the
 * browser and platform, changed here where `settings.set` is served). A region named by its heading,
 * so a script finds it by that name.
 */
export function ThisNode({ heading }: { heading: string }) {
  const fingerprint = useAgent((s) => s.status?.fingerprint);
  const saved = useAgent((s) => s.status?.name);
  const { client } = useServices();
  const id = useId();
  const errorId = useId();
  const [name, setName] = useState(saved ?? '');
  // The name as saved, once it is known (and again after a save), unless a new one is being typed.
  const [edited, setEdited] = useState(false);
  useEffect(() => {
    if (!edited && saved !== undefined) setName(saved);
  }, [saved, edited]);
  const save = useAction();
  const typed = name.trim();
  return (
    <section className="this-node" aria-labelledby={id}>
      <h2 id={id}>{heading}</h2>
      {client.serves('settings.set') ? (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            save.start(async () => {
              await client.call('settings.set', { name: typed });
              setEdited(false);
            });
          }}
        >
          <label className="field">
            <span>Name</span>
            <input
              value={name}
              onChange={(e) => {
                setEdited(true);
                setName(e.target.value);
              }}
              maxLength={64}
              autoComplete="off"
              aria-invalid={!!save.error}
              aria-describedby={errorId}
            />
          </label>
          <ActionButton type="submit" unavailable={save.busy || typed === '' || typed === saved}>
            Save name
          </ActionButton>
        </form>
      ) : null}
      <ErrorText error={save.error} id={errorId} />
      {client.serves('settings.set') ? (
        <p className="hint">
          A device&apos;s owner sees this name when this browser pairs with it or joins a group.
        </p>
      ) : null}
      {fingerprint ? <Fingerprint value={fingerprint} label="Fingerprint" /> : <p className="muted">…</p>}
    </section>
  );
}
