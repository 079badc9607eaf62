import { useId } from 'react';
import { useAgent } from '../api/hooks.js';
import { Fingerprint } from './Fingerprint.js';

/**
 * This node's own fingerprint under its heading (**This browser** in the page a relay serves, ADR
 * 0094), for the owner to compare with what the device shows when it approves. A region named by its
 * heading, so a script finds it by that name.
 */
export function ThisNode({ heading }: { heading: string }) {
  const fingerprint = useAgent((s) => s.status?.fingerprint);
  const id = useId();
  return (
    <section className="this-node" aria-labelledby={id}>
      <h2 id={id}>{heading}</h2>
      {fingerprint ? <Fingerprint value={fingerprint} label="Fingerprint" /> : <p className="muted">…</p>}
    </section>
  );
}
