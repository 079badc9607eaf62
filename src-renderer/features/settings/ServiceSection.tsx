import { useId } from 'react';
import { ErrorText } from '../../components/ErrorText.js';
import { desktopService, useServiceStatus } from '../../lib/desktop-service.js';
import { useAction } from '../../lib/use-action.js';

/**
 * Settings → Background (desktop app only): "Keep running after Quit (install as a service)" — the
 * same install as `clawbridge service install agent` for this device's home (docs/service.md). On, the
 * agent is the service's: Quit and updates leave it and the shells it serves running. Where a service
 * cannot run this node, the switch is off and says why.
 */
export function ServiceSection() {
  const service = desktopService();
  const [status, setStatus] = useServiceStatus();
  const id = useId();
  const action = useAction();
  if (!service || !status) return null;
  const on = status.installed !== null;
  const flip = (next: boolean) =>
    action.start(async () => {
      setStatus(await service.set(next));
    });
  return (
    <section className="card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Background</h2>
      <label className="check">
        <input
          type="checkbox"
          checked={on}
          disabled={action.busy || (!on && status.blocked !== null)}
          aria-describedby={`${id}-what`}
          onChange={(e) => flip(e.target.checked)}
        />
        Keep running after Quit (install as a service)
      </label>
      <p id={`${id}-what`} className="hint">
        {on
          ? `The agent runs as the service ${status.installed.name}: it starts with your session and keeps serving your devices, and the shells they have open here, after Quit and across updates. Its log: ${status.installed.log}.`
          : (status.blocked ??
            'The agent then runs as a service of this system: it starts with your session and keeps serving your devices, and the shells they have open here, after Quit and across updates.')}
      </p>
      {action.busy ? <p role="status">{on ? 'Removing the service…' : 'Installing the service…'}</p> : null}
      <ErrorText error={action.error} />
    </section>
  );
}
