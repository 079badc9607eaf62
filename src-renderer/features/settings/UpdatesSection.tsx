import { useId } from 'react';
import { ActionButton } from '../../components/ActionButton.js';
import { ChoiceGroup } from '../../components/ChoiceGroup.js';
import { ErrorText } from '../../components/ErrorText.js';
import { desktopUpdates, useUpdateStatus, type UpdateStatus } from '../../lib/desktop-updates.js';
import { useAction } from '../../lib/use-action.js';
import { lastCheckText, updateStateText } from './update-text.js';

const MODES = [
  ['automatic', 'Automatic — download, then ask to restart'],
  ['notify', 'Notify only — say a new version exists'],
  ['off', 'Off — never ask the update feed'],
] as const;
const CHANNELS = [
  ['stable', 'Stable'],
  ['beta', 'Beta (pre-releases too)'],
] as const;

/**
 * Settings → Updates (desktop app only): the updater's choice, kept in the app's preferences and not
 * in the agent's settings, "Check now", the version running, and the last check and its result.
 */
export function UpdatesSection() {
  const status = useUpdateStatus();
  const updates = desktopUpdates();
  const id = useId();
  const choose = useAction();
  const check = useAction();
  if (!updates || !status) return null;
  const managed = status.managed !== null;
  const set = (next: Partial<UpdateStatus['choice']>) =>
    choose.start(() => updates.choose({ ...status.choice, ...next }));
  const off = status.choice.mode === 'off';
  const busy = status.state.phase === 'checking' || status.state.phase === 'downloading';
  return (
    <section className="card updates" aria-labelledby="set-updates">
      <h2 id="set-updates">Updates</h2>
      <p>
        This is Clawbridge <strong>{status.current}</strong>.{' '}
        <span role="status">{updateStateText(status.state)}</span>
      </p>
      <p className="hint">{lastCheckText(status.last)}</p>
      {managed ? (
        <p className="hint">
          Set by your administrator ({status.managed}): these choices cannot be changed here.
        </p>
      ) : null}
      <fieldset disabled={managed || choose.busy} className="update-choices">
        <ChoiceGroup
          label="Updates"
          name={`${id}-mode`}
          options={MODES}
          value={status.choice.mode}
          onChange={(mode) => set({ mode })}
        />
        <ChoiceGroup
          label="Channel"
          name={`${id}-channel`}
          options={CHANNELS}
          value={status.choice.channel}
          onChange={(channel) => set({ channel })}
        />
      </fieldset>
      <ErrorText error={choose.error} />
      <ActionButton
        unavailable={off || busy || check.busy || status.state.phase === 'unsupported'}
        onClick={() => check.start(() => updates.check())}
      >
        Check now
      </ActionButton>
      {off ? <p className="hint">Updates are off: Clawbridge makes no request to the update feed.</p> : null}
      {status.feed ? <p className="hint">Update feed: {status.feed}</p> : null}
      <ErrorText error={check.error} />
    </section>
  );
}
