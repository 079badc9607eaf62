/**
 * Stream bytes this process sends or receives over any link, counted as one burst while they come with
 * no pause of a second between them: 16 MiB of them is bulk work that lasts (a download through a
 * forward or a proxy, a file sent, a share's download, a command's big output) and announces it
 * (core/work-hooks.ts), so an agent's compilers come on as it begins (ADR 0076, ADR 0106;
 * docs/design/compiler-and-gc-tiers.md §Work announced). Without it a forward's bytes waited for the
 * busy spans in a row to add up, which a loaded machine, where an agent gets less than a quarter of a
 * core, never does: the whole transfer then ran on the interpreter. Heartbeats, pings, a terminal's
 * typing and the idle agent's exchanges never add up to a burst.
 *
 * The mux counts every DATA frame, whatever the service: one counter for the data plane, which the
 * files' and messages' own counters would otherwise each have to repeat for their own bytes.
 */
import { BurstCounter } from '../core/work-hooks.js';

/** Stream bytes in a row, either way, that make a burst (16 MiB). */
export const STREAM_BYTES_IN_A_BURST = 16 * 1024 * 1024;
/** A pause this long, in ms, ends a burst. */
export const STREAM_BURST_PAUSE_MS = 1_000;

/** The process's one counter: every Mux adds the DATA it sends and receives. */
export const streamBurst = new BurstCounter(STREAM_BYTES_IN_A_BURST, STREAM_BURST_PAUSE_MS);
