/**
 * `clawbridge file receive CODE` (ADR 0124, 0125): takes files someone offered with `file send --code`.
 * When this home's agent runs, the agent receives (`files.receiveCode`): its process is warm, where a
 * new one spends its first second starting Node, loading the receiver and compiling its hot code (ADR
 * 0125 has the figures). With no agent (or `--no-agent`, or an agent too old to
 * know the method), a throwaway node in this process receives (code-receiver.ts). Either way the same
 * lines are printed, the files land in the same folder, and Ctrl-C cancels: the sender is told, nothing
 * is kept.
 */
import { resolve } from 'node:path';
import { ControlClient } from '../../api/control-client.js';
import { ClawError, errorMessage } from '../../core/errors.js';
import { groupFingerprint } from '../../core/fingerprint.js';
import { controlSocketPath, resolveHome } from '../../home/home-dir.js';
import { formatBytes } from '../../cli/format-bytes.js';
import { printJsonLine, printLine, printNote, printProgress, useJsonLines } from '../../cli/output.js';
import { startupOver } from '../../runtime/compiler-tiers.js';
import type { CodeReceiveInfo, FileMethodResults, TransferInfo } from '../files-contract.js';
import { onInterrupt, plural } from './file-code-commands.js';
import { progressLine } from './file-progress.js';
import { followUntilEnded } from './follow-until-ended.js';

/** How long Ctrl-C waits for the agent to cancel the receive, in ms. */
const CANCEL_CALL_MS = 5000;
/**
 * How long Ctrl-C waits for this process's receive to end, in ms: the sender's stream to come if it had
 * not, then the sender to read the cancel (code-receiver.ts waits 5 s at most for each).
 */
const CANCEL_WAIT_MS = 10_000;

export interface ReceiveOpts {
  to?: string;
  relay?: string;
  relayFingerprint?: string;
  json?: boolean;
  /** The home whose agent receives, when it runs. */
  home?: string;
  /** false (`--no-agent`): receive in this process even when an agent runs. */
  agent?: boolean;
  /** false (`--no-direct`): through the relay only. */
  direct?: boolean;
}

type Relay = { url: string; fingerprint?: string };
type Moved = FileMethodResults['files.get'];

/** What a receive prints, whichever process receives: the same lines and JSON events. */
class ReceiveOutput {
  private drawn = false;
  private readonly tty: boolean;

  constructor(
    private readonly json: boolean,
    private readonly dir: string,
  ) {
    this.tty = !json && process.stderr.isTTY === true;
  }

  met(from: { name: string; fingerprint: string }, own: string, offer: CodeReceiveInfo['offer'] & {}): void {
    if (this.json)
      return printJsonLine({
        event: 'offer',
        from,
        own,
        names: offer.names,
        files: offer.files,
        bytes: offer.bytes,
      });
    printLine(`from ${from.name}, fingerprint ${groupFingerprint(from.fingerprint)}`);
    printLine(`(this side: ${groupFingerprint(own)}; compare with the sender's screen)`);
    printLine(`${plural(offer.files, 'file')} (${formatBytes(offer.bytes)}): ${offer.names.join(', ')}`);
  }

  progress(t: TransferInfo): void {
    if (this.json) return printJsonLine({ event: 'progress', ...t });
    if (this.tty && t.state === 'receiving') {
      printProgress(progressLine(t));
      this.drawn = true;
    }
  }

  /** A link to the sender came up: which path it took is news (direct is the fast one). */
  linked(sender: string, link: { path: 'direct' | 'relay'; remote: string }): void {
    if (this.json) return printJsonLine({ event: 'link', ...link });
    this.note(
      link.path === 'direct'
        ? `connected to ${sender} directly (${link.remote})`
        : `connected to ${sender} through the relay (${link.remote})`,
    );
  }

  note(line: string): void {
    if (this.json) return;
    this.clear();
    printNote(line);
  }

  done(sender: string, transfer: TransferInfo, moved: Moved): void {
    this.clear();
    if (this.json) return printJsonLine({ event: 'done', ...transfer, moved });
    for (const m of moved.moved) {
      if (m.to !== resolve(this.dir, m.name))
        printNote(`${m.name} exists in ${this.dir} already: kept it, saved as ${m.to}`);
      printLine(m.to);
    }
    for (const s of moved.skipped) printNote(`not saved: ${s.name} (${s.why})`);
    for (const l of moved.notKept) printNote(`not kept: ${l.path} (${l.why})`);
    printLine(
      `received ${plural(transfer.files, 'file')} (${formatBytes(transfer.bytes)}) from ${sender}, every one verified`,
    );
  }

  clear(): void {
    if (this.drawn) printProgress(null);
    this.drawn = false;
  }
}

export async function receiveCommand(text: string, opts: ReceiveOpts): Promise<void> {
  const json = opts.json === true;
  if (json) useJsonLines();
  const dir = resolve(opts.to ?? '.');
  const relay: Relay | undefined = opts.relay
    ? { url: opts.relay, ...(opts.relayFingerprint ? { fingerprint: opts.relayFingerprint } : {}) }
    : undefined;
  const out = new ReceiveOutput(json, dir);
  const direct = opts.direct !== false;
  const client = opts.agent === false ? undefined : await localAgent(opts.home);
  if (client) {
    try {
      const params = {
        text,
        dir,
        ...(relay ? { relay } : {}),
        ...(direct ? {} : { direct: false as const }),
      };
      if (await receiveInAgent(client, params, out)) return;
    } finally {
      client.close();
    }
  }
  await receiveHere(text, dir, relay, direct, out);
}

/** This home's running agent, or undefined when none runs. */
async function localAgent(homeFlag: string | undefined): Promise<ControlClient | undefined> {
  const home = resolveHome(homeFlag);
  try {
    return await ControlClient.connect(controlSocketPath(home), home);
  } catch (err) {
    if (err instanceof ClawError && err.code === 'NO_AGENT') return undefined;
    throw err;
  }
}

/**
 * The agent receives; this command follows it (the `file.codeReceive` event, and a read every second
 * besides) until it ends, and Ctrl-C cancels it.
 * @returns false when the agent does not know the method (older than this command): receive here
 */
async function receiveInAgent(
  client: ControlClient,
  params: { text: string; dir: string; relay?: Relay; direct?: false },
  out: ReceiveOutput,
): Promise<boolean> {
  let receive: CodeReceiveInfo | undefined;
  const stop = onInterrupt(async () => {
    out.clear();
    if (!receive) return;
    try {
      await client.call('files.cancelReceive', { id: receive.id }, CANCEL_CALL_MS);
      printNote('cancelled: the sender is told; nothing of it is kept here');
    } catch (err) {
      printNote(`interrupted, but the agent could not cancel the receive (${errorMessage(err)})`);
    }
  });
  try {
    try {
      receive = await client.call('files.receiveCode', params);
    } catch (err) {
      if (err instanceof ClawError && /unknown method/.test(err.message)) return false;
      throw err;
    }
    const end = await followReceive(client, receive.id, out);
    if (stop.interrupted) return await stop.done;
    if (end.state === 'done' && end.progress && end.moved) {
      out.done(end.from?.name ?? 'the sender', end.progress, end.moved);
      return true;
    }
    throw new ClawError('TRANSFER_FAILED', end.why ?? `the receive ${end.state}`);
  } catch (err) {
    if (stop.interrupted) return await stop.done;
    throw err;
  } finally {
    stop.dispose();
  }
}

/** Prints what receive `id` says until it ends; the agent going away ends it too. */
function followReceive(client: ControlClient, id: string, out: ReceiveOutput): Promise<CodeReceiveInfo> {
  let met = false;
  let notesSeen = 0;
  let lastProgress = '';
  let lastLink = '';
  const show = (r: CodeReceiveInfo) => {
    if (!met && r.from && r.own && r.offer) {
      met = true;
      out.met(r.from, r.own, r.offer);
    }
    // The agent keeps the last few notes and counts them all: the ones not printed yet.
    const fresh = Math.max(0, Math.min(r.noteCount - notesSeen, r.notes.length));
    for (const line of r.notes.slice(r.notes.length - fresh)) out.note(line);
    notesSeen = Math.max(notesSeen, r.noteCount);
    const link = r.link ? `${r.link.path} ${r.link.remote}` : '';
    if (r.link && link !== lastLink) out.linked(r.from?.name ?? 'the sender', r.link);
    lastLink = link;
    const p = r.progress;
    const key = p ? `${p.state}:${p.bytesDone}:${p.filesDone}` : '';
    if (p && key !== lastProgress && r.state === 'receiving') out.progress(p);
    lastProgress = key;
  };
  return followUntilEnded(client, {
    id,
    event: 'file.codeReceive',
    list: () => client.call('files.codeReceives', {}, 10_000),
    show,
    ended: (r) => r.state !== 'meeting' && r.state !== 'receiving',
    gone: 'the local agent stopped, and the receive with it: ask for the code again',
  });
}

/** A throwaway node in this process receives (no agent here). */
async function receiveHere(
  text: string,
  dir: string,
  relay: Relay | undefined,
  direct: boolean,
  out: ReceiveOutput,
): Promise<void> {
  const { receiveWithCode } = await import('../code-receiver.js');
  const abort = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  let senderName = 'the sender';
  const stop = onInterrupt(async () => {
    out.clear();
    abort.abort();
    // The receive ends (the sender told, its staging removed) before the process does.
    await Promise.race([running.catch(() => undefined), new Promise((r) => setTimeout(r, CANCEL_WAIT_MS))]);
    printNote('cancelled: the sender is told; nothing of it is kept here');
  });
  try {
    const receiving = receiveWithCode({
      text,
      dir,
      ...(relay ? { relay } : {}),
      direct,
      signal: abort.signal,
      on: {
        met: (sender, own) => {
          senderName = sender.name;
          // The transfer starts: this process moves every byte of it, as an agent does, so V8's
          // compilers come on now rather than after a CLI command's start (ADR 0062), which a transfer
          // of a few hundred MiB ran through on the interpreter.
          startupOver();
          out.met({ name: sender.name, fingerprint: sender.fingerprint }, own, sender.offer);
        },
        progress: (t) => out.progress(t),
        note: (line) => out.note(line),
        linked: (path, remote) => out.linked(senderName, { path, remote }),
      },
    });
    running = receiving;
    const result = await receiving;
    out.done(result.sender.name, result.transfer, result.moved);
  } catch (err) {
    if (stop.interrupted) return await stop.done;
    throw err;
  } finally {
    stop.dispose();
  }
}
