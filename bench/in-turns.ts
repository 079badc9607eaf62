/**
 * Timing short whole actions (a command from a cold start, a new connection's first byte) in turns:
 * one run of each contender per turn, in order, the first turn a warm-up that is not counted, so each
 * contender meets the same machine and none is judged on a cold first run. The loopback table's
 * first-byte rows and every emulated-link section time theirs this way, so `lan`'s first-byte line
 * compares like with like.
 */

/** Counted turns of the first-byte rows, on loopback and in each section (after the warm-up turn). */
export const FIRST_BYTE_TURNS = 3;

export interface Contender {
  name: string;
  run: () => Promise<void>;
}

/**
 * Runs `contenders` for 1 + `turns` turns and returns each one's counted times in ms. A contender that
 * throws is dropped from then on, with a note naming it.
 */
export async function timeInTurns(
  contenders: readonly Contender[],
  turns: number,
  notes: string[],
): Promise<Map<string, number[]>> {
  const samples = new Map(contenders.map((c) => [c.name, [] as number[]]));
  for (let turn = 0; turn <= turns; turn++) {
    for (const c of contenders) {
      if (!samples.has(c.name)) continue;
      try {
        const t0 = performance.now();
        await c.run();
        if (turn > 0) samples.get(c.name)!.push(performance.now() - t0);
      } catch (err) {
        notes.push(`${c.name} not available: ${(err as Error).message}`);
        samples.delete(c.name);
      }
    }
  }
  return samples;
}
