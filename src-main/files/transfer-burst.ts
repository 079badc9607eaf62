/**
 * File bytes this agent sends or receives, counted as one burst while they come with no pause of a
 * second between them: 64 MiB of them is a transfer that lasts, and announces it (core/work-hooks.ts),
 * so the agent's compilers come on in its first part instead of after its busy spans added up, which
 * left a transfer's first seconds on the interpreter (ADR 0076; docs/design/compiler-and-gc-tiers.md
 * §Work announced). A few small files never do.
 */
import { BurstCounter } from '../core/work-hooks.js';

/** File bytes in a row that make a burst (64 MiB). */
export const FILE_BYTES_IN_A_BURST = 64 * 1024 * 1024;
/** A pause this long, in ms, ends a burst. */
export const FILE_BURST_PAUSE_MS = 1_000;

export const transferBurst = new BurstCounter(FILE_BYTES_IN_A_BURST, FILE_BURST_PAUSE_MS);
