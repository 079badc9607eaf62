/**
 * The messages between the Electron main process and the utility process that hosts the agent
 * (agent-process.ts), shared by both ends and checked on arrival at each (architecture.md §Rules the
 * code keeps: every boundary validates). Main says what to run; the agent process says when it is up
 * and, when it could not start or was asked to stop, why, and asks for the session host when it needs
 * one started (a utility process can only be forked by main). Everything else travels over the agent's
 * control socket (the API contract), never over this port.
 */
import { z } from 'zod';

/** Longest PEM accepted in a start message, in characters (64 KiB: a P-256 certificate is under 1 KiB). */
export const MAX_IDENTITY_PEM_CHARS = 64 * 1024;

const pem = z.string().min(1).max(MAX_IDENTITY_PEM_CHARS);

/** main → agent process. */
export const hostToAgentMessage = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('start'),
      /** The node's home directory (the app's userData). */
      home: z.string().min(1).max(4096),
      /** The identity main decrypted (safeStorage); absent: read from, or created in, the home. */
      identity: z.object({ certPem: pem, keyPem: pem }).strict().optional(),
      /** Where the agent writes its log (`app.getPath('logs')`); absent: stderr, as the CLI. */
      logDir: z.string().min(1).max(4096).optional(),
      /**
       * Main forks the session host when asked (`session-host-wanted`), so served terminals outlive
       * this process (docs/adr/0022-session-host.md); absent: they live in this process, as before.
       */
      sessionHost: z.literal(true).optional(),
    })
    .strict(),
  /** Stop now (the control socket is not up yet, so `agent.stop` cannot be asked). */
  z.object({ type: z.literal('stop') }).strict(),
]);
export type HostToAgentMessage = z.infer<typeof hostToAgentMessage>;

/** agent process → main. */
export const agentToHostMessage = z.discriminatedUnion('type', [
  /** The agent runs and serves its control socket at `socketPath`. */
  z.object({ type: z.literal('running'), socketPath: z.string().min(1).max(4096) }).strict(),
  /** The agent could not start; the process exits next. `code` is the ClawError code when there was one. */
  z.object({ type: z.literal('failed'), code: z.string().max(64), reason: z.string().max(2000) }).strict(),
  /**
   * A client asked the agent to stop (`agent.stop`: the app's Quit or `clawbridge stop` on its home); the
   * process exits next and main does not start it again.
   */
  z.object({ type: z.literal('stopping') }).strict(),
  /**
   * Nothing answers on the session host's socket and a peer opened a terminal: main forks the host
   * (session-host-launcher.ts). Carries nothing: main knows the home, hence the socket, itself.
   */
  z.object({ type: z.literal('session-host-wanted') }).strict(),
]);
export type AgentToHostMessage = z.infer<typeof agentToHostMessage>;
