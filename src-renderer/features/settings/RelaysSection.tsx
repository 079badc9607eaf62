import { useState } from 'react';
import type { RelayProbeResult, SettingsResult } from '../../../src-main/api/contract.js';
import { useAgent, useServices } from '../../api/hooks.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { ErrorText } from '../../components/ErrorText.js';
import { Fingerprint } from '../../components/Fingerprint.js';
import { StatusDot } from '../../components/StatusDot.js';
import { useAction } from '../../lib/use-action.js';
import { sameRelayUrl } from '../../../src-main/core/relay-url.js';
import { ActionButton } from '../../components/ActionButton.js';

/**
 * Relays: add by URL after probing it. A wss:// relay whose certificate no trusted authority vouches
 * for is shown with its fingerprint and added only when the owner trusts it, which pins it.
 */
export function RelaysSection({ settings }: { settings: SettingsResult }) {
  const { client, store, toasts } = useServices();
  const [url, setUrl] = useState('');
  const [probe, setProbe] = useState<RelayProbeResult | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  const add = useAction();
  const remove = useAction();

  const save = async (fingerprint?: string) => {
    await store.saveSettings({
      addRelay: { url: probe?.url ?? url.trim(), ...(fingerprint ? { fingerprint } : {}) },
    });
    toasts.show('Relay added');
    setUrl('');
    setProbe(null);
  };
  const check = () =>
    add.start(async () => {
      setProbe(null);
      // Said before probing: a trust prompt for a relay that is already here would lead nowhere.
      const same = settings.relays.find((r) => sameRelayUrl(r.url, url));
      if (same) throw new Error(`${same.url} is already one of this device's relays.`);
      const p = await client.call('relay.probe', { url: url.trim() });
      // A wss:// relay no CA vouches for needs the owner's trust (the probe says why in `error`, next
      // to the fingerprint); ws:// or a CA-vouched one is added at once; no certificate at all is an error.
      if (p.fingerprint && !p.caTrusted) setProbe(p);
      else if (p.error) throw new Error(p.error);
      else await save();
    });

  // While the agent is away this is what it last said (its relay connections ended with it).
  const current = useAgent((s) => s.connection.kind === 'connected');
  return (
    <section className="card" aria-labelledby="set-relays">
      <h2 id="set-relays">Relays</h2>
      {settings.relays.length === 0 ? (
        <p className="muted">No relay: peers are reached only directly.</p>
      ) : null}
      <ul className="plain-list">
        {settings.relays.map((r) => (
          <li key={r.url} className="relay-row">
            <code>{r.url}</code>
            <StatusDot
              tone={r.connected ? 'ok' : 'down'}
              text={`${r.connected ? 'connected' : 'not connected'}${current ? '' : ' when the agent was last reached'}`}
            />
            {r.error ? <span className="error-text">{r.error}</span> : null}
            {r.fingerprint ? (
              <span className="muted small-text">pinned {r.fingerprint.slice(0, 8)}…</span>
            ) : null}
            <button
              type="button"
              className="small danger"
              onClick={() => setRemoving(r.url)}
              aria-label={`Remove relay ${r.url}`}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      <ErrorText error={remove.error} />
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          check();
        }}
      >
        <label className="field">
          <span>Relay URL</span>
          <input
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="wss://relay.example.net:8443"
            spellCheck={false}
            aria-invalid={!!add.error}
            // The error below is read with the field, as Add forward's are.
            aria-describedby="relay-url-error"
          />
        </label>
        <ActionButton type="submit" unavailable={add.busy || url.trim() === ''}>
          Add relay
        </ActionButton>
      </form>
      <ErrorText error={add.error} id="relay-url-error" />
      {probe?.fingerprint ? (
        <div className="trust" role="group" aria-label="Trust this relay?">
          <p>
            <strong>{probe.url}</strong> presents a certificate no trusted authority vouches for. Trust it
            only if this fingerprint is the one its owner gave you:
          </p>
          <Fingerprint value={probe.fingerprint} label="Relay certificate fingerprint" />
          <div className="actions">
            <button
              type="button"
              className="primary"
              onClick={() => add.start(() => save(probe.fingerprint!))}
            >
              Trust and add
            </button>
            <button type="button" onClick={() => setProbe(null)}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}
      {removing ? (
        <ConfirmDialog
          title="Remove this relay?"
          message={<p>Peers reached only through {removing} go offline until another path is found.</p>}
          confirmLabel="Remove"
          onConfirm={() => remove.start(() => store.saveSettings({ removeRelay: removing }))}
          onClose={() => setRemoving(null)}
        />
      ) : null}
    </section>
  );
}
