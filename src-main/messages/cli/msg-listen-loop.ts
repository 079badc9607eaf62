/**
 * `msg listen` and `msg serve` run until stopped, whatever the agent does meanwhile: when the agent
 * goes (a restart, an upgrade), they wait for it and listen again on a new connection. What was
 * handled is remembered across connections (messages/client/client-types.ts ListenMemory), so each
 * message is handed over once: one printed before the agent went is not printed again, and its
 * acknowledgement, if the agent went before it landed, is sent on the next connection.
 */
import { ControlClient } from '../../api/control-client.js';
import {
  listenMemory,
  MessagesClient,
  type ListenMemory,
  type Listening,
} from '../client/messages-client.js';
import { startupOver } from '../../runtime/compiler-tiers.js';
import { isClawError } from '../../core/errors.js';
import { controlSocketPath, resolveHome } from '../../home/home-dir.js';
import type { HomeOpts } from '../../cli/client-commands.js';
import { printNote } from '../../cli/output.js';
import { exitAfterOutput } from '../../cli/output-errors.js';
import { STOP_SIGNALS } from '../../cli/stop-signals.js';

/** First wait before looking for the agent again once it went, in ms. */
export const AGAIN_MIN_MS = 100;
/** Longest wait between two looks for the agent, in ms: it is back within a second of starting. */
export const AGAIN_MAX_MS = 1_000;

/**
 * Runs a listener made by `start` (given a client on a fresh connection and the memory it shares with
 * the ones before it) until Ctrl-C, SIGTERM or a hang-up, then exits 0 once its last message is marked
 * read. The first connection must succeed (no agent: the error, at once); later ones are waited for.
 * `onStop` runs first on a stop signal.
 */
export async function listenUntilStopped(
  opts: HomeOpts,
  start: (client: MessagesClient, memory: ListenMemory) => Listening,
  onStop?: (signal: NodeJS.Signals) => void,
): Promise<void> {
  const home = resolveHome(opts.home);
  const path = controlSocketPath(home);
  const memory = listenMemory();
  let signal: NodeJS.Signals | undefined;
  let current: Listening | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    signal = s;
    onStop?.(s);
    // How the listening ended is heard through its `done`, which the loop awaits.
    current?.stop().catch(() => undefined);
    wake?.();
  };
  for (const s of STOP_SIGNALS) process.once(s, onSignal);
  let first = true;
  let waitMs = AGAIN_MIN_MS;
  let waiting = false;
  while (signal === undefined) {
    let control: ControlClient;
    try {
      control = await ControlClient.connect(path, home);
    } catch (err) {
      if (first) throw err;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      waitMs = Math.min(AGAIN_MAX_MS, waitMs * 2);
      continue;
    }
    if (waiting) printNote('the agent is back: listening again');
    waiting = false;
    waitMs = AGAIN_MIN_MS;
    let gone = false;
    control.onClose(() => (gone = true));
    try {
      current = start(new MessagesClient(control), memory);
      if (first) startupOver(); // a listener runs until stopped (ADR 0062: as an agent)
      first = false;
      if (signal !== undefined) current.stop().catch(() => undefined); // heard through `done`, as above
      await current.done;
      break; // stopped
    } catch (err) {
      // The agent went (its connection closed, or the call in flight failed with it): listen again.
      if (!gone && !isClawError(err, 'NO_AGENT')) throw err;
      if (signal === undefined) {
        printNote('the agent stopped: waiting for it to run again (Ctrl-C stops)');
        waiting = true;
      }
    } finally {
      current = undefined;
      control.close();
    }
  }
  exitAfterOutput(0, signal);
}
