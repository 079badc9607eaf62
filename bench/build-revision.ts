/**
 * Builds another git revision's CLI beside this checkout, for the side-by-side measurements
 * (bench/compare.ts, bench/connection-cost.ts): REF is checked out into a temporary git worktree that
 * shares node_modules, and built with tsc, and the CLI's bundle where the revision has one (ADR 0064: what
 * the agents and the CLI run).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './child.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Checks REF out into a temporary worktree and builds its CLI; returns the worktree and the CLI. */
export function buildRevision(ref: string): { dir: string; cli: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-compare-'));
  execFileSync('git', ['worktree', 'add', '--detach', '--force', dir, ref], {
    cwd: REPO_ROOT,
    stdio: 'ignore',
  });
  const remove = () => {
    spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: REPO_ROOT, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    log(`building ${ref} in ${dir}…`);
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const built = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: dir,
      stdio: 'inherit',
    });
    const cli = join(dir, 'bin', 'clawbridge.js');
    if (built.status !== 0 || !existsSync(cli))
      throw new Error(`${ref} did not build (tsc exit ${built.status})`);
    // Since ADR 0064 bin/clawbridge.js runs the CLI's bundle, which tsc does not write.
    if (existsSync(join(dir, 'scripts', 'vite-cli.config.ts'))) {
      const vite = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
      const bundled = spawnSync(
        process.execPath,
        [vite, 'build', '-c', 'scripts/vite-cli.config.ts', '--logLevel', 'warn'],
        { cwd: dir, stdio: 'inherit' },
      );
      if (bundled.status !== 0) throw new Error(`${ref}'s CLI bundle did not build (exit ${bundled.status})`);
    }
    // Since ADR 0105 the session host the agent starts is a bundle of its own, beside the CLI's.
    if (existsSync(join(dir, 'scripts', 'vite-host.config.ts'))) {
      const vite = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
      const bundled = spawnSync(
        process.execPath,
        [vite, 'build', '-c', 'scripts/vite-host.config.ts', '--logLevel', 'warn'],
        { cwd: dir, stdio: 'inherit' },
      );
      if (bundled.status !== 0)
        throw new Error(`${ref}'s host bundle did not build (exit ${bundled.status})`);
    }
    return { dir, cli, remove };
  } catch (err) {
    remove();
    throw err;
  }
}
