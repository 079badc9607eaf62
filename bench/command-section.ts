/**
 * A bench script run to its end as a child (`node --import tsx bench/SCRIPT --json …`): its progress on
 * our stderr, its one JSON document from its stdout. bench/run.ts runs the sections that have a
 * command of their own this way (footprint, relay scale), and bench:compare runs bench/run.ts itself
 * for each build in turns (ADR 0108). The child is ended by its PID if we are.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './child.js';
import { endOnAbort } from './processes.js';

/** The JSON document a script printed: all of its stdout, or else its last line (after other lines). */
export function parseScriptJson(stdout: string): Record<string, unknown> {
  const text = stdout.trim();
  const candidates = [text, text.split('\n').pop() ?? ''];
  for (const c of candidates) {
    try {
      const doc = JSON.parse(c) as unknown;
      if (typeof doc === 'object' && doc !== null && !Array.isArray(doc))
        return doc as Record<string, unknown>;
    } catch {
      // not this one: try the last line
    }
  }
  throw new Error(`printed no JSON object (stdout ended: ${JSON.stringify(text.slice(-200))})`);
}

/** Runs bench/`script` with `args` (and `env` over ours) to its end; rejects naming its exit code. */
export function runScriptJson(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Record<string, unknown>> {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  endOnAbort(child);
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`bench/${script} ${args.join(' ')} exited ${code ?? signal}`));
        return;
      }
      try {
        resolve(parseScriptJson(stdout));
      } catch (err) {
        reject(new Error(`bench/${script}: ${(err as Error).message}`));
      }
    });
  });
}
