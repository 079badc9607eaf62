/**
 * The bench's handle on one link emulator process (bench/link-emulator-child.ts): where clients
 * connect, its counters, and how to stop it.
 */
import { startChild } from './child.js';
import type { EmulatorStats } from './link-emulator.js';
import type { LinkSpec } from './link-shape.js';

/** How long the serving side may take to accept its first connection through the emulator, in ms. */
const READY_TIMEOUT_MS = 20_000;
/** Pause between two probes, in ms. */
const PROBE_MS = 100;

export interface EmulatedLink {
  /** 127.0.0.1:port on the client side (inside the namespace when reverse); every connection there crosses the emulated link. */
  port: number;
  stats(): Promise<EmulatorStats>;
  resetStats(): Promise<void>;
  /** Resolves once the serving side accepts connections (through the emulator). */
  ready(what: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startEmulatedLink(
  spec: LinkSpec,
  targetPort: number,
  netns: string | null,
  /** Clients inside `netns`, `targetPort` on the host (link-emulator-child.ts). */
  reverse = false,
): Promise<EmulatedLink> {
  const child = startChild('./link-emulator-child.ts');
  try {
    const { port } = await child.request<{ port: number }>('start', {
      spec,
      targetPort,
      ...(netns ? { netns } : {}),
      ...(reverse ? { reverse } : {}),
    });
    return {
      port,
      stats: () => child.request<EmulatorStats>('stats'),
      resetStats: () => child.request<void>('reset'),
      ready: async (what) => {
        const deadline = performance.now() + READY_TIMEOUT_MS;
        while (!(await child.request<boolean>('probe'))) {
          if (performance.now() > deadline)
            throw new Error(`${what} did not accept within ${READY_TIMEOUT_MS} ms`);
          await new Promise((r) => setTimeout(r, PROBE_MS));
        }
      },
      stop: () => child.stop(),
    };
  } catch (err) {
    await child.stop();
    throw err;
  }
}
