/**
 * Entry of the utility process that hosts the desktop app's agent (agent-host.ts starts it; ADR 0011).
 * It waits for main's start message, runs the agent for that home — with the identity main decrypted,
 * when it sent one, logging to `agent.log` in the logs folder main names — and says when the control socket is up or why the agent could not start. The
 * agent then serves main over its control socket like any other client; this port carries only the
 * lifecycle (agent-process-messages.ts). No `electron` import: Electron gives utility processes
 * `process.parentPort`, and the tests give a child_process stand-in the same shape.
 */
import { failWritesPastTheFileSizeLimit } from '../home/file-size-limit.js';
import { errorMessage, isClawError } from '../core/errors.js';
import { startupEndsWhenServing, startupOver, SUSTAINED_BUSY_CPU_MS } from '../runtime/compiler-tiers.js';
import { tuneGcForBulkTransfer } from '../runtime/gc-tuning.js';
import { loadIdentity } from '../crypto/identity.js';
import { pino, type Logger } from 'pino';
import type { RunAgentOptions, RunningAgent } from '../app/run-agent.js';
import type { NoticeEvent } from '../api/contract.js';
import { hostToAgentMessage, type AgentToHostMessage } from './agent-process-messages.js';
import { AGENT_LOG_FILE, openLogFile } from './log-file.js';

/** The part of Electron's `process.parentPort` used here. */
export interface ParentPortLike {
  on(event: 'message', listener: (messageEvent: { data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

export interface AgentProcessDeps {
  runAgent(opts: RunAgentOptions): Promise<RunningAgent>;
  /** Ends the process (process.exit). */
  exit(code: number): void;
}

/** Serves main's messages on `port` until the agent stops; then the process exits. */
export function serveAgentProcess(port: ParentPortLike, deps: AgentProcessDeps): void {
  const say = (msg: AgentToHostMessage) => port.postMessage(msg);
  // stderr until main names the logs folder: nothing reads a packaged app's stderr.
  let problem = (line: string) => console.error(`clawbridge: ${line}`);
  let running: RunningAgent | undefined;
  let started = false;
  let ending = false;
  const end = (code: number, stop?: () => Promise<void>) => {
    if (ending) return;
    ending = true;
    void (stop ?? (() => Promise.resolve()))()
      .catch((err: unknown) => problem(`stopping the agent failed: ${errorMessage(err)}`))
      .finally(() => deps.exit(code));
  };
  port.on('message', ({ data }) => {
    const parsed = hostToAgentMessage.safeParse(data);
    if (!parsed.success) return problem('ignored a message from main that is not understood');
    const msg = parsed.data;
    if (msg.type === 'stop') return end(0, running && (() => running!.stop()));
    if (started) return;
    started = true;
    let logger: Logger | undefined;
    void (async () => {
      if (msg.logDir) {
        logger = agentFileLogger(msg.logDir);
        const log = logger;
        problem = (line) => log.error(line);
      }
      const identity = msg.identity ? loadIdentity(msg.identity.certPem, msg.identity.keyPem) : undefined;
      running = await deps.runAgent({
        home: msg.home,
        ...(identity ? { identity } : {}),
        // Notices nobody listens for (no window open) are logged at warn by the agent itself; these
        // are the lines said while starting, which the CLI prints.
        ...(logger
          ? { logger, notice: (n: NoticeEvent) => logger!.warn({ kind: n.kind, hint: n.hint }, n.message) }
          : {}),
        // The packed app turns off Electron's RunAsNode fuse, so its binary cannot run the session
        // host as Node the way the CLI agent spawns it: main forks it as a utility process when asked
        // (docs/adr/0022-session-host.md). A main that does not offer it keeps them in this process.
        domainOptions: {
          terminals: {
            sessionHost: msg.sessionHost ? { startHost: () => say({ type: 'session-host-wanted' }) } : false,
          },
        },
        // agent.stop (Quit, or `clawbridge stop` on the app's home): main must not start it again.
        onStopRequested: (stop) => {
          say({ type: 'stopping' });
          end(0, stop);
        },
      });
      say({ type: 'running', socketPath: running.control.path });
      // Started: Sparkplug and TurboFan come on once the agent has been busy for a while (ADR 0076).
      startupOver({ optimizeWhenBusy: true, busyForCpuMs: SUSTAINED_BUSY_CPU_MS, sparkplugWhenBusy: true });
    })().catch((err: unknown) => {
      const code = isClawError(err) ? err.code : 'INTERNAL';
      logger?.error({ code }, `the agent could not start: ${errorMessage(err)}`);
      say({
        type: 'failed',
        code,
        reason: errorMessage(err).slice(0, 2000),
      });
      end(1);
    });
  });
}

/**
 * The agent's pino logger writing to `agent.log` in `dir` (log-file.ts: set aside as `agent.log.1` past
 * 4 MiB), at CLAWBRIDGE_LOG's level or `warn` — the level the CLI logs at. When the file cannot be
 * opened, stderr, as before.
 */
export function agentFileLogger(dir: string): Logger {
  const level = process.env.CLAWBRIDGE_LOG ?? 'warn';
  try {
    return pino({ level }, openLogFile(dir, AGENT_LOG_FILE));
  } catch (err) {
    console.error(`clawbridge: cannot write the log in ${dir} (${errorMessage(err)}); logging to stderr`);
    return pino({ level }, pino.destination(2));
  }
}

const parentPort = (process as { parentPort?: ParentPortLike }).parentPort;
if (parentPort) {
  // The agent relays bulk data here now, not in main (ADR 0007).
  tuneGcForBulkTransfer();
  startupEndsWhenServing(); // serveAgentProcess says when its start is over, however long it takes
  failWritesPastTheFileSizeLimit();
  const { runAgent } = await import('../app/run-agent.js');
  serveAgentProcess(parentPort, { runAgent, exit: (code) => process.exit(code) });
}
