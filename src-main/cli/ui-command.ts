/**
 * `clawbridge ui`: asks the running agent for its web UI link (API `ui.url`), prints it and opens it in
 * the default browser. Not being able to open a browser (a headless server, no desktop session) is not
 * an error: the link is printed either way, with a hint to open it elsewhere (docs/web-ui.md). The
 * opener is never given the link itself, which holds the token, but an address that hands it over
 * (ui-handoff.ts): a command line is read by every user of the machine.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { call, type HomeOpts } from './client-commands.js';
import { printJson } from './output.js';
import { resolveHome } from '../home/home-dir.js';
import { HANDOFF_WAIT_MS, handOver } from './ui-handoff.js';

/** How long to wait for the opener to fail before assuming the browser is on its way, in ms. */
export const OPEN_WAIT_MS = 3_000;

export interface UiOptions extends HomeOpts {
  /** false with --no-open. */
  open?: boolean;
  newToken?: boolean;
}

/** The platform's "open this URL with the default application" command. */
export function openerFor(url: string, platform: NodeJS.Platform = process.platform): [string, string[]] {
  if (platform === 'darwin') return ['open', [url]];
  // `start` is built into cmd; its first quoted argument is a window title, hence the empty one.
  if (platform === 'win32') return ['cmd', ['/c', 'start', '""', url]];
  return ['xdg-open', [url]];
}

/**
 * Starts the opener detached (the browser outlives this command). Resolves with undefined once it is
 * running and has not failed within OPEN_WAIT_MS, or with why it could not open the link.
 */
export function openInBrowser(url: string, waitMs = OPEN_WAIT_MS): Promise<string | undefined> {
  const [cmd, args] = openerFor(url);
  return new Promise((resolve) => {
    let settled = false;
    const done = (problem: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.unref();
      resolve(problem);
    };
    const child = spawn(cmd, args, {
      detached: true,
      stdio: 'ignore',
      windowsVerbatimArguments: process.platform === 'win32',
    });
    const timer = setTimeout(() => done(undefined), waitMs);
    child.once('error', (err) => done(`${cmd}: ${err.message}`));
    child.once('exit', (code) => done(code === 0 ? undefined : `${cmd} exited with status ${code}`));
  });
}

export function registerUiCommand(program: Command): void {
  program
    .command('ui')
    .description("print the web UI's link (needs a running agent) and open it in the default browser")
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .option('--no-open', 'only print the link')
    .option('--new-token', 'replace the token first: links printed before stop working, open pages close')
    .action(async (opts: UiOptions) => {
      const { url } = await call(opts, 'ui.url', opts.newToken ? { newToken: true } : {});
      if (opts.json) printJson({ url });
      else console.log(url);
      if (opts.open === false) return;
      const handoff = await handOver(url, resolveHome(opts.home));
      const problem = await openInBrowser(handoff.target);
      if (problem !== undefined) {
        handoff.close();
        process.stderr.write(
          `clawbridge: could not open a browser (${problem}); open the link above in one yourself\n`,
        );
        return;
      }
      if (handoff.served && !(await handoff.served)) {
        process.stderr.write(
          `clawbridge: no browser asked for the link within ${HANDOFF_WAIT_MS / 1000} s; open the link above in one yourself\n`,
        );
      }
    });
}
