import { useEffect, useId, useRef, useState } from 'react';
import { usePeers, useServices } from '../../api/hooks.js';
import { ChoiceGroup } from '../../components/ChoiceGroup.js';
import { ErrorText } from '../../components/ErrorText.js';
import { ApiError } from '../../api/transport.js';
import { messageOf } from '../../api/client.js';
import { fieldOfError, missingFields, type ForwardField, type ForwardValues } from './field-error.js';
import { ActionButton } from '../../components/ActionButton.js';
import { refusal } from '../../lib/their-grants.js';
import { FORWARDS_PERMISSIONS } from './forwards-permissions.js';
import { inBackground } from '../../../src-main/core/background.js';

type Kind = 'tcp' | 'socks' | 'http';

/** Adds a TCP forward, a SOCKS5 proxy or an HTTP proxy; the agent's refusal shows beside its field. */
export function AddForwardForm({ initialVia, onDone }: { initialVia?: string; onDone: () => void }) {
  const { client, toasts } = useServices();
  const peers = usePeers();
  const id = useId();
  const [kind, setKind] = useState<Kind>('tcp');
  /** A TCP forward's way: `reverse` has the peer listen and its connections come here (`ssh -R`). */
  const [direction, setDirection] = useState<'local' | 'reverse'>('local');
  const reverse = kind === 'tcp' && direction === 'reverse';
  /** A forward's protocol: TCP connections, or UDP datagrams (each client address its own flow). */
  const [protocol, setProtocol] = useState<'tcp' | 'udp'>('tcp');
  /** The API's `protocol` for a forward (either direction): only UDP is said, TCP is the default. */
  const udp = kind === 'tcp' && protocol === 'udp' ? { protocol } : {};
  const [values, setValues] = useState<ForwardValues>({
    local: '',
    via: initialVia ?? peers[0]?.fingerprint ?? '',
    remote: '',
    name: '',
  });
  /** What is wrong, per field: every missing field at once, or the agent's one refusal. */
  const [errors, setErrors] = useState<Partial<Record<ForwardField, string>>>({});
  /** Bumped on each failed submit: the first field in error then takes the focus. */
  const [failed, setFailed] = useState(0);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (failed > 0) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [failed]);
  const [busy, setBusy] = useState(false);
  const [remoteBind, setRemoteBind] = useState(false);
  /** A proxy asks for its password unless unticked (browsers cannot send a SOCKS password). */
  const [auth, setAuth] = useState(true);
  const set = (k: keyof ForwardValues) => (e: { target: { value: string } }) =>
    setValues((v) => ({ ...v, [k]: e.target.value }));
  const errorFor = (field: ForwardField) => errors[field] ?? null;
  // What the forward needs the peer to allow this device: a reverse one listens there.
  const need = reverse ? 'listen' : 'forward';
  const usable = peers.filter((p) => refusal(p, need, FORWARDS_PERMISSIONS) === null);
  // Only a SOCKS proxy may leave the peer to each client; any other kind needs one (the first that has
  // not said it refuses, unless chosen), also when the peer list arrived after the form opened.
  const via =
    values.via && usable.some((p) => p.fingerprint === values.via)
      ? values.via
      : kind === 'socks'
        ? ''
        : (usable[0]?.fingerprint ?? '');

  const submit = async () => {
    const name = values.name.trim() || undefined;
    const local = values.local.trim();
    const remote = values.remote.trim();
    // What the form can tell by itself, said in its own words beside each field, all at once.
    const missing = missingFields(kind, { ...values, local, remote });
    if (Object.keys(missing).length > 0) {
      setErrors(missing);
      setFailed((n) => n + 1);
      return;
    }
    setBusy(true);
    setErrors({});
    const bind = remoteBind ? { allowRemoteBind: true } : {};
    try {
      // Named by the address it listens on (port 0 or a bare port was typed: the agent picked it).
      if (reverse) {
        // The API's `remote` is the peer's side (where it listens), `local` this device's (where to).
        const added = await client.call('forward.add', { local, via, remote, name, direction, ...udp });
        toasts.show(
          `Reverse ${added.protocol === 'udp' ? 'UDP forward' : 'forward'} on ${added.via} ${added.remote} added`,
        );
      } else if (kind === 'tcp') {
        const added = await client.call('forward.add', { local, via, remote, name, ...bind, ...udp });
        toasts.show(`${protocol === 'udp' ? 'UDP forward' : 'Forward'} on ${added.local} added`);
      } else {
        const added = await client.call('proxy.add', {
          kind,
          local,
          via: via || undefined,
          name,
          ...bind,
          ...(auth ? {} : { auth: false }),
        });
        toasts.show(`Proxy on ${added.local} added`);
      }
      onDone();
    } catch (err) {
      const code = err instanceof ApiError ? err.code : undefined;
      // The field comes from the agent's own words (they name it); the text shown leaves the name out.
      const said = err instanceof Error ? err.message : String(err);
      setErrors({ [fieldOfError(code, said, values)]: messageOf(err) });
      setFailed((n) => n + 1);
    } finally {
      setBusy(false);
    }
  };

  const field = (key: 'local' | 'remote' | 'name', label: string, placeholder: string) => (
    <div className="field">
      <label htmlFor={`${id}-${key}`}>{label}</label>
      <input
        id={`${id}-${key}`}
        value={values[key]}
        onChange={set(key)}
        autoFocus={key === 'local'}
        placeholder={placeholder}
        spellCheck={false}
        aria-invalid={!!errorFor(key)}
        aria-describedby={`${id}-${key}-error`}
      />
      <ErrorText error={errorFor(key)} id={`${id}-${key}-error`} />
    </div>
  );

  return (
    <form
      ref={form}
      className="card add-forward"
      aria-label="Add forward"
      onSubmit={(e) => {
        e.preventDefault();
        inBackground(submit(), console, 'adding a forward');
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !busy) {
          e.preventDefault();
          onDone();
        }
      }}
    >
      <ChoiceGroup
        label="Type"
        name={`${id}-kind`}
        options={[
          ['tcp', 'TCP forward'],
          ['socks', 'SOCKS5 proxy'],
          ['http', 'HTTP proxy'],
        ]}
        value={kind}
        onChange={setKind}
      />
      {kind === 'tcp' ? (
        <ChoiceGroup
          label="Direction"
          name={`${id}-direction`}
          options={[
            ['local', 'Local: listen here, connect from the peer'],
            ['reverse', 'Reverse: the peer listens, connect from here'],
          ]}
          value={direction}
          onChange={setDirection}
        />
      ) : null}
      {kind === 'tcp' ? (
        <ChoiceGroup
          label="Protocol"
          name={`${id}-protocol`}
          options={[
            ['tcp', 'TCP'],
            ['udp', 'UDP'],
          ]}
          value={protocol}
          onChange={setProtocol}
        />
      ) : null}
      <div className="form-grid">
        {reverse
          ? field('remote', 'Listen on the peer', '9000 or 127.0.0.1:9000')
          : field('local', 'Local address', '127.0.0.1:8080 or 8080')}
        <div className="field">
          <label htmlFor={`${id}-via`}>Via</label>
          <select
            id={`${id}-via`}
            value={via}
            onChange={set('via')}
            aria-invalid={!!errorFor('via')}
            aria-describedby={`${id}-via-error`}
          >
            {kind === 'socks' ? <option value="">chosen by each client (SOCKS user name)</option> : null}
            {peers.map((p) => {
              // A peer that said it refuses what this forward needs there: shown with why, not picked.
              const why = refusal(p, need, FORWARDS_PERMISSIONS);
              return (
                <option key={p.fingerprint} value={p.fingerprint} disabled={why !== null}>
                  {why === null ? p.name : `${p.name} (${why})`}
                </option>
              );
            })}
          </select>
          <ErrorText
            error={
              errorFor('via') ??
              (peers.length === 0
                ? 'No peers yet: pair a device first (Pair), then forward through it.'
                : usable.length === 0 && kind !== 'socks'
                  ? `No peer allows ${reverse ? 'reverse forwards' : 'forwards'} from this device: its owner can allow them there.`
                  : null)
            }
            id={`${id}-via-error`}
          />
        </div>
        {reverse
          ? field('local', 'Connect to (from this device)', 'e.g. 127.0.0.1:80')
          : kind === 'tcp'
            ? field('remote', 'Remote address', 'e.g. 127.0.0.1:80')
            : null}
        {field('name', 'Name (optional)', 'web')}
      </div>
      {reverse ? (
        <p className="muted small-text">
          The peer must allow it (Peers → its permissions → “Listen on ports here”); it listens on its
          loopback unless its owner allows other addresses.
        </p>
      ) : (
        <label className="check">
          <input type="checkbox" checked={remoteBind} onChange={(e) => setRemoteBind(e.target.checked)} />
          Other machines may connect (for a listening address such as 0.0.0.0)
        </label>
      )}
      {kind === 'tcp' ? null : (
        <label className="check">
          <input type="checkbox" checked={auth} onChange={(e) => setAuth(e.target.checked)} />
          Require a password (browsers cannot send one to a SOCKS proxy; without it, any program on this
          device may use the proxy)
        </label>
      )}
      <ErrorText error={errorFor('form')} />
      <div className="actions">
        <ActionButton
          type="submit"
          className="primary"
          unavailable={busy || (usable.length === 0 && kind !== 'socks')}
        >
          Add forward
        </ActionButton>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
