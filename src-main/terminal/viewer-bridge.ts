/**
 * The requesting agent's `terminal.open` streaming method: opens a session on the peer for a CLI (or
 * any control-socket client) and then relays terminal frames between the CLI's upgraded socket and the
 * session (terminal-client.ts). Backpressure runs through: a CLI that reads slowly leaves the socket's
 * writes pending, which withholds ACKs and pauses the stream, which pauses the remote PTY.
 */
import type { Socket } from 'node:net';
import { ClawError, errorMessage, isClawError } from '../core/errors.js';
import type { StreamMethodParams, UpgradedStream } from '../api/stream-upgrade.js';
import type { Agent, PeerEntry } from '../agent/agent.js';
import { resolvePeer } from '../agent/peer-api.js';
import {
  encodeDataFrames,
  encodeTerminalFrame,
  fitText,
  TERMINAL_SERVICE,
  TerminalFrameDecoder,
  type TerminalFrame,
} from '../protocol/terminal-frames.js';
import { TerminalClient, type TerminalStreamOpener } from './terminal-client.js';

/** Keeps the peer's own reason and drops the mux's "peer refused the … stream:" wrapper. */
function refusal(err: unknown): unknown {
  if (!isClawError(err, 'STREAM_REJECTED')) return err;
  return new ClawError('STREAM_REJECTED', err.message.replace(/^peer refused the "terminal" stream: /, ''));
}

/** Resolves once `fingerprint` has a live path (or is no longer a peer), or after `maxMs`. */
function whenReachable(agent: Agent, find: () => PeerEntry | undefined, maxMs: number): Promise<void> {
  const ready = () => {
    const entry = find();
    return !entry || entry.links.active !== undefined;
  };
  if (ready()) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      dispose();
      resolve();
    };
    const timer = setTimeout(finish, Math.max(0, maxMs));
    const dispose = agent.events.on('changed', () => {
      if (ready()) finish();
    });
  });
}

/** An opener that reaches the peer `entry` through the agent's links, whichever path is up. */
export function agentOpener(agent: Agent, entry: PeerEntry): TerminalStreamOpener {
  const fingerprint = entry.record.fingerprint;
  const find = () => agent.peerEntries().find((e) => e.record.fingerprint === fingerprint);
  return {
    peerName: entry.record.name,
    open: async (args) => {
      const current = find();
      if (!current) throw new ClawError('PEER_NOT_FOUND', `${entry.record.name} is no longer a peer`);
      try {
        return await agent.openStream(current, TERMINAL_SERVICE, args);
      } catch (err) {
        throw refusal(err);
      }
    },
    whenReachable: (maxMs) => whenReachable(agent, find, maxMs),
  };
}

/**
 * The `terminal.open` handler: starts the session, and once the reply is out, bridges the socket.
 * `clients` tracks live sessions so the agent can hang them up when it stops.
 */
export function terminalOpenHandler(
  agent: Agent,
  clients: Set<TerminalClient>,
): (params: StreamMethodParams<'terminal.open'>) => Promise<UpgradedStream<'terminal.open'>> {
  return async (params) => {
    const entry = resolvePeer(agent, params.peer);
    const client = new TerminalClient(agentOpener(agent, entry), {
      resumeMs: agent.settings.get().terminalResumeMs,
      log: agent.log,
    });
    await client.start({ command: params.command, cols: params.cols, rows: params.rows });
    clients.add(client);
    const forget = () => clients.delete(client);
    client.on('exit', forget);
    client.on('failed', forget);
    return {
      result: { path: client.path!, remote: client.remote },
      attach: (socket) => bridgeViewer(socket, client, forget),
      cancel: () => {
        forget();
        client.close();
      },
    };
  };
}

/** Relays frames between the viewer's socket and the session until either side ends. */
export function bridgeViewer(
  socket: Socket,
  client: TerminalClient,
  onClosed: () => void = () => undefined,
): void {
  const decoder = new TerminalFrameDecoder();
  let ended = false;
  let waitingForDrain = false;
  const end = (frame: TerminalFrame) => {
    if (ended) return;
    ended = true;
    if (!socket.destroyed) socket.end(encodeTerminalFrame(frame));
  };
  client.on('data', (chunk) => {
    if (ended || socket.destroyed) return;
    const frames = encodeDataFrames(chunk);
    let ok = true;
    frames.forEach((frame, i) => {
      ok = socket.write(frame, i === frames.length - 1 ? () => client.consumed(chunk.length) : undefined);
    });
    if (!ok && !waitingForDrain) {
      waitingForDrain = true;
      client.pauseOutput();
      socket.once('drain', () => {
        waitingForDrain = false;
        client.resumeOutput();
      });
    }
  });
  client.on('status', (state, detail) => {
    if (!ended && !socket.destroyed)
      socket.write(encodeTerminalFrame({ type: 'status', state, detail: fitText(detail) }));
  });
  client.on('exit', (status) => end({ type: 'exit', status }));
  client.on('failed', (err) => end({ type: 'error', message: fitText(err.message) }));
  client.on('drain', () => socket.resume());
  socket.on('data', (chunk: Buffer) => {
    try {
      for (const frame of decoder.push(chunk)) {
        if (frame.type === 'data') {
          if (!client.write(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength))) {
            socket.pause();
          }
        } else if (frame.type === 'resize') {
          client.resize(frame.cols, frame.rows);
        } else {
          throw new ClawError('PROTOCOL', `unexpected ${frame.type.toUpperCase()} frame from the viewer`);
        }
      }
    } catch (err) {
      end({ type: 'error', message: fitText(`bad terminal frame from the viewer: ${errorMessage(err)}`) });
      client.close();
    }
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    onClosed();
    client.close();
  });
  socket.resume();
  client.resumeOutput();
}
