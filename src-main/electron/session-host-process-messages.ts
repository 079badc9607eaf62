/**
 * The one message main sends the session host's utility process (session-host-process.ts): where to
 * listen and where to log. Checked on arrival (architecture.md §Rules the code keeps: every boundary
 * validates). Nothing comes back on this port: the agent talks to the host over its private socket.
 */
import { z } from 'zod';

export const hostToSessionHostMessage = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('start'),
      /** The host's private socket (or named pipe), beside the agent's control socket. */
      socketPath: z.string().min(1).max(4096),
      /** Its log file (created 0600, appended). */
      logPath: z.string().min(1).max(4096),
      /** The home's pipe.key, which the host needs on a Windows named pipe (home/pipe-proof.ts). */
      keyFile: z.string().min(1).max(4096).optional(),
    })
    .strict(),
]);
export type HostToSessionHostMessage = z.infer<typeof hostToSessionHostMessage>;
