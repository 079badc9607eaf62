/**
 * A control for `ui-echo`: the web UI's terminal path (`/api/stream` of agent a, the same
 * `terminal.open` on b and the same raw `cat`, ECHO_COMMAND) driven by a Node WebSocket client instead
 * of Chromium. Next to the CLI's echo and the page's, it tells clawbridge's WebSocket path apart from
 * what the browser itself adds. Terminal frames as docs/web-ui.md describes them.
 */
import WebSocket from 'ws';
import { encodeTerminalFrame, TerminalFrameDecoder } from '../src-main/protocol/terminal-frames.js';
import { runCli } from './cli-agents.js';
import { withDeadline } from './measure.js';
import { ECHO_COMMAND, READY_MARKER, TERM_ECHO_DEADLINE_MS, TERM_OPEN_TIMEOUT_MS } from './terminal-echo.js';

export interface WsViewer {
  /** Sends one key as a DATA frame and resolves with the ms until its echo came back. */
  key(ch: string): Promise<number>;
  close(): void;
}

/** Opens `cat` on peer b through agent a's web UI stream socket, with the token `clawbridge ui` prints. */
export async function openWsViewer(homeA: string): Promise<WsViewer> {
  const { url } = JSON.parse(await runCli(['ui', '--no-open', '--json', '--home', homeA])) as { url: string };
  const peers = JSON.parse(await runCli(['peers', '--json', '--home', homeA])) as {
    name: string;
    fingerprint: string;
  }[];
  const b = peers.find((p) => p.name === 'b');
  if (!b) throw new Error('peer b is not listed on a');
  const page = new URL(url);
  const token = new URLSearchParams(page.hash.slice(1)).get('token') ?? '';
  const ws = new WebSocket(`ws://${page.host}/api/stream`, {
    origin: `http://${page.host}`,
    perMessageDeflate: false,
  });
  let seen = '';
  let failed: string | undefined;
  let waiter: { text: string; resolve: () => void } | undefined;
  const decoder = new TerminalFrameDecoder();
  ws.on('message', (msg: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      const m = JSON.parse(msg.toString()) as { type: string; error?: { message: string } };
      if (m.type === 'error') failed = m.error?.message ?? 'terminal.open failed';
      return;
    }
    for (const frame of decoder.push(msg)) {
      if (frame.type !== 'data') continue;
      seen = (seen + Buffer.from(frame.data).toString('latin1')).slice(-1000);
      if (waiter && seen.includes(waiter.text)) {
        const w = waiter;
        waiter = undefined;
        w.resolve();
      }
    }
  });
  const closed = new Promise<never>((_, reject) =>
    ws.once('close', (code: number) => reject(new Error(failed ?? `the stream socket closed (${code})`))),
  );
  closed.catch(() => undefined);
  const until = (text: string, ms: number, what: string) =>
    withDeadline(
      Promise.race([
        new Promise<void>((resolve) => {
          waiter = { text, resolve };
          if (seen.includes(text)) resolve();
        }),
        closed,
      ]),
      ms,
      what,
    );
  try {
    await withDeadline(
      Promise.race([new Promise((resolve) => ws.once('open', resolve)), closed]),
      TERM_OPEN_TIMEOUT_MS,
      'the web UI stream socket',
    );
    ws.send(JSON.stringify({ type: 'auth', token }));
    ws.send(
      JSON.stringify({
        type: 'open',
        method: 'terminal.open',
        params: { peer: b.fingerprint, command: ECHO_COMMAND, cols: 80, rows: 24 },
      }),
    );
    await until(READY_MARKER, TERM_OPEN_TIMEOUT_MS, 'terminal.open over the web UI stream socket');
  } catch (err) {
    ws.terminate();
    throw err;
  }
  return {
    key: async (ch) => {
      seen = '';
      const t = performance.now();
      ws.send(encodeTerminalFrame({ type: 'data', data: Buffer.from(ch) }));
      await until(ch, TERM_ECHO_DEADLINE_MS, 'keystroke echo over the web UI stream socket');
      return performance.now() - t;
    },
    close: () => ws.terminate(),
  };
}
