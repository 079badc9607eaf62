import { useState } from 'react';
import type { MethodParams, SettingsResult } from '../../../src-main/api/contract.js';
import { useAgent, useServices } from '../../api/hooks.js';
import { ErrorText } from '../../components/ErrorText.js';
import { Fingerprint } from '../../components/Fingerprint.js';
import { useAction } from '../../lib/use-action.js';
import { RelaysSection } from './RelaysSection.js';
import { ServiceSection } from './ServiceSection.js';
import { UpdatesSection } from './UpdatesSection.js';
import { parseResumeSeconds, RESUME_MAX_S, RESUME_MIN_S } from './resume-window.js';
import './settings.css';
import { ActionButton } from '../../components/ActionButton.js';
import { PermissionBoxes } from '../../components/PermissionBoxes.js';
import { useFeatures } from '../registry.js';

/**
 * Saves one part of the settings; says when the change waits for an agent restart. `restartFor` lists
 * every saved setting the running agent does not use yet, this save's or an earlier one's: only this
 * save's own are its news. For a part that only takes effect at a restart (`atRestart`), not waiting
 * means the agent runs with that value already (the agent normalizes addresses): nothing changed.
 */
function useSave() {
  const { store, toasts } = useServices();
  const action = useAction();
  const save = (params: MethodParams<'settings.set'>, what: string, atRestart = false) =>
    action.start(async () => {
      const r = await store.saveSettings(params);
      const waits = Object.keys(params).some((key) => r.restartFor.includes(key));
      toasts.show(
        waits
          ? `${what} saved — takes effect when the agent restarts`
          : atRestart
            ? `${what} unchanged`
            : `${what} saved`,
      );
      return r;
    });
  return { ...action, save };
}

export function SettingsView() {
  const settings = useAgent((s) => s.settings);
  const features = useFeatures();
  if (!settings) return <p className="muted">Loading…</p>;
  return (
    <>
      <header className="view-header">
        <h1>Settings</h1>
      </header>
      <div className="settings">
        <DeviceSection settings={settings} />
        <RelaysSection settings={settings} />
        <NetworkSection settings={settings} />
        <BehaviourSection settings={settings} />
        {/* An agent of an older release has no such setting: not offered. */}
        {Array.isArray(settings.mineAllow) ? <MyDevicesSection allow={settings.mineAllow} /> : null}
        {/* The sections the features add (registry.ts), in the order of their list. */}
        {features.map((f) =>
          f.SettingsSection ? <f.SettingsSection key={f.id} settings={settings} /> : null,
        )}
        {/* The desktop app's service switch and updater (main's, not the agent's): absent in a browser tab. */}
        <ServiceSection />
        <UpdatesSection />
      </div>
    </>
  );
}

function DeviceSection({ settings }: { settings: SettingsResult }) {
  const [name, setName] = useState(settings.name);
  const s = useSave();
  return (
    <section className="card" aria-labelledby="set-device">
      <h2 id="set-device">This device</h2>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          s.save({ name: name.trim() }, 'Name');
        }}
      >
        <label className="field">
          <span>Name</span>
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={!!s.error}
            aria-describedby="device-name-error"
          />
        </label>
        <ActionButton
          type="submit"
          unavailable={s.busy || name.trim() === '' || name.trim() === settings.name}
        >
          Save name
        </ActionButton>
      </form>
      <ErrorText error={s.error} id="device-name-error" />
      <Fingerprint value={settings.fingerprint} label="This device's fingerprint" />
      <p className="hint">Other devices show this fingerprint when they pair with this one: compare them.</p>
    </section>
  );
}

function NetworkSection({ settings }: { settings: SettingsResult }) {
  // While the agent is away this is what it last said, not what it does now.
  const current = useAgent((s) => s.connection.kind === 'connected');
  const [directOn, setDirectOn] = useState(settings.listen !== null);
  const [listen, setListen] = useState(settings.listen ?? '0.0.0.0:7475');
  const [relayOn, setRelayOn] = useState(settings.actAsRelay);
  const [relayListen, setRelayListen] = useState(settings.relayListen);
  const direct = useSave();
  const relay = useSave();
  const mapping = useSave();
  // Save stays off while the form says what is saved already, as "Save name" does.
  const directSaved =
    directOn === (settings.listen !== null) && (!directOn || listen.trim() === settings.listen);
  const relaySaved = relayOn === settings.actAsRelay && relayListen.trim() === settings.relayListen;
  return (
    <section className="card" aria-labelledby="set-network">
      <h2 id="set-network">Connections</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          direct.save({ listen: directOn ? listen.trim() : null }, 'Direct listener', true);
        }}
      >
        <label className="check">
          <input type="checkbox" checked={directOn} onChange={(e) => setDirectOn(e.target.checked)} />
          Accept direct connections from peers
        </label>
        <div className="inline-form">
          <label className="field">
            <span>Direct listener address</span>
            <input value={listen} onChange={(e) => setListen(e.target.value)} disabled={!directOn} />
          </label>
          <ActionButton
            type="submit"
            unavailable={direct.busy || directSaved}
            aria-label="Save direct listener"
          >
            Save
          </ActionButton>
        </div>
        <p className="hint">
          {settings.listeningOn
            ? `Listening on ${settings.listeningOn} ${current ? 'now' : 'when the agent was last reached'}.`
            : `Not listening for direct connections ${current ? 'now' : 'when the agent was last reached'}.`}
        </p>
        <ErrorText error={direct.error} />
      </form>
      {/* An agent of an older release has no such setting: not offered. */}
      {typeof settings.portMapping === 'boolean' ? (
        <>
          <label className="check">
            <input
              type="checkbox"
              role="switch"
              checked={settings.portMapping}
              aria-disabled={mapping.busy}
              aria-describedby="port-mapping-hint"
              onChange={(e) => {
                if (!mapping.busy) mapping.save({ portMapping: e.target.checked }, 'Port mapping', true);
              }}
            />
            Port mapping
          </label>
          <p className="hint" id="port-mapping-hint">
            Asks this network&apos;s router (UPnP, NAT-PMP) to forward the direct listener&apos;s port, so
            peers behind other NATs can link directly. Applies when the agent starts again.
          </p>
          <ErrorText error={mapping.error} />
        </>
      ) : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          relay.save({ actAsRelay: relayOn, relayListen: relayListen.trim() }, 'Relay setting', true);
        }}
      >
        <label className="check">
          <input type="checkbox" checked={relayOn} onChange={(e) => setRelayOn(e.target.checked)} />
          Act as a relay for my other devices
        </label>
        <div className="inline-form">
          <label className="field">
            <span>Relay listen address</span>
            <input value={relayListen} onChange={(e) => setRelayListen(e.target.value)} disabled={!relayOn} />
          </label>
          <ActionButton type="submit" unavailable={relay.busy || relaySaved} aria-label="Save relay setting">
            Save
          </ActionButton>
        </div>
        <ErrorText error={relay.error} />
      </form>
    </section>
  );
}

function BehaviourSection({ settings }: { settings: SettingsResult }) {
  const [resume, setResume] = useState(String(Math.round(settings.terminalResumeMs / 1000)));
  const typed = parseResumeSeconds(resume);
  const resumeSaved = 'ms' in typed && typed.ms === settings.terminalResumeMs;
  const resumeSave = useSave();
  // What the window found wrong before asking the agent; the agent's own refusal is resumeSave.error.
  const [resumeInvalid, setResumeInvalid] = useState<string | null>(null);
  const resumeError = resumeInvalid ?? resumeSave.error;
  const notify = useSave();
  const notifyMessages = useSave();
  // Only the desktop app shows notifications; a browser tab on the web UI never does, so it does not
  // offer to switch them.
  const desktop = useServices().platform === 'desktop';
  return (
    <section className="card" aria-labelledby="set-behaviour">
      <h2 id="set-behaviour">Behaviour</h2>
      <form
        className="inline-form"
        // The range is checked here, in the field's unit, instead of by the browser: its bubble goes
        // away by itself and would leave an earlier error on the page as if it still held.
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const parsed = parseResumeSeconds(resume);
          if ('error' in parsed) {
            resumeSave.clear();
            setResumeInvalid(parsed.error);
            return;
          }
          setResumeInvalid(null);
          resumeSave.save({ terminalResumeMs: parsed.ms }, 'Terminal resume window');
        }}
      >
        <label className="field">
          <span>Terminal resume window (seconds)</span>
          <input
            type="number"
            min={RESUME_MIN_S}
            max={RESUME_MAX_S}
            step="any"
            value={resume}
            onChange={(e) => setResume(e.target.value)}
            aria-invalid={resumeError !== null}
            aria-describedby="resume-error"
          />
        </label>
        {/* Off until something changed, as every other Save here. */}
        <ActionButton type="submit" unavailable={resumeSave.busy || resumeSaved}>
          Save
        </ActionButton>
      </form>
      <ErrorText error={resumeError} id="resume-error" />
      <p className="hint">
        How long a terminal session waits for its window to come back after a lost connection.
      </p>
      {desktop ? (
        <>
          <label className="check">
            <input
              type="checkbox"
              role="switch"
              checked={settings.notifications}
              aria-disabled={notify.busy}
              onChange={(e) => {
                if (!notify.busy) notify.save({ notifications: e.target.checked }, 'Desktop notifications');
              }}
            />
            Desktop notifications (a device asks to pair, pairing done, a forward cannot listen)
          </label>
          <ErrorText error={notify.error} />
          {/* An agent of an older release has no such switch: not offered. */}
          {typeof settings.messageNotifications === 'boolean' ? (
            <>
              <label className="check">
                <input
                  type="checkbox"
                  role="switch"
                  checked={settings.messageNotifications}
                  aria-disabled={notifyMessages.busy}
                  aria-describedby="notify-messages-hint"
                  onChange={(e) => {
                    if (!notifyMessages.busy)
                      notifyMessages.save(
                        { messageNotifications: e.target.checked },
                        'Notify on new messages',
                      );
                  }}
                />
                Notify on new messages
              </label>
              <p className="hint" id="notify-messages-hint">
                While this window is closed or not in front: who wrote, and the start of the message.
              </p>
              <ErrorText error={notifyMessages.error} />
            </>
          ) : null}
        </>
      ) : null}
      <p className="hint">Light and dark themes follow your system setting.</p>
    </section>
  );
}

/**
 * What a device introduced by another of the owner's devices may do here (ADR 0056): saved as soon
 * as a box changes, for devices introduced from then on.
 */
function MyDevicesSection({ allow }: { allow: SettingsResult['mineAllow'] }) {
  const s = useSave();
  return (
    <section className="card" aria-labelledby="set-mine">
      <h2 id="set-mine">My devices</h2>
      <p className="hint">
        Peers marked “one of my devices” on both sides introduce your other devices to each other. A device
        introduced that way may do here:
      </p>
      <PermissionBoxes
        value={allow}
        legend="An introduced device may"
        onChange={(next) => {
          if (!s.busy) s.save({ mineAllow: next }, 'What your devices may do');
        }}
      />
      <ErrorText error={s.error} />
    </section>
  );
}
