/**
 * Rows `chain-echo-direct` and `chain-echo-2hops`: keystroke echo (bench/terminal-echo.ts, the same
 * method as term-echo-idle) through `clawbridge term` from agent a to a peer it reaches over a direct
 * link (b) and to one it reaches only through a saved route of two hops (`peers route d --via b --via
 * c`), the two sessions taking turns in blocks of keys. Four real agents (bench/chain-agents.ts). Each
 * agent's `cat` runs on its own node; the route's added echo per hop is (2hops − direct) / 2 on the
 * p50. `chain-echo-1hop` (c via b) splits that: 1hop − direct is one hop plus the route's end-to-end
 * layer at a and at the far end, 2hops − 1hop one hop alone. Where a key's time goes along the
 * route: `npm run bench:hops` (bench/hop-passes.ts).
 */
import { startChain } from './chain-agents.js';
import { CLI } from './cli-agents.js';
import type { BenchResult } from './table.js';
import { measureTerminalEcho, openEchoTerminal } from './terminal-echo.js';

export async function measureChainEcho(
  log: (line: string) => void,
): Promise<{ results: BenchResult[]; notes: string[] }> {
  const chain = await startChain(log);
  try {
    return await measureTerminalEcho(
      [
        { name: 'chain-echo-direct', open: () => openEchoTerminal(chain.a.home, CLI, 'b') },
        { name: 'chain-echo-1hop', open: () => openEchoTerminal(chain.a.home, CLI, 'c') },
        { name: 'chain-echo-2hops', open: () => openEchoTerminal(chain.a.home, CLI, 'd') },
      ],
      null,
      log,
    );
  } finally {
    await chain.stop();
  }
}
