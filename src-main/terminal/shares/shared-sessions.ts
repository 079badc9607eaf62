/**
 * The sessions a share may name, wherever they live (docs/adr/0123-shared-terminals.md): in the
 * session host (a watch connection to it, spliced to the viewer's gate) or in the agent (the session
 * watched directly). Both answer who opened a session and say when one is gone.
 */
import type { Socket } from 'node:net';
import type { Disposer, Emitter } from '../../core/emitter.js';
import { frameClientBytes } from '../session-host/agent-data-stream.js';
import type { SessionHostClient } from '../session-host/host-client.js';
import type { HostedSessions } from '../session-host/hosted-sessions.js';
import { WholeFrames } from '../session-host/whole-frames.js';
import type { SessionRegistry } from '../sessions/session-registry.js';
import type { ViewGate } from './view-gate.js';

export interface SharedSessions {
  /** What session `id` runs, when `opener` opened it here; undefined otherwise. */
  openedBy(id: string, opener: string): { what: string } | undefined;
  /** Makes `gate` a watcher of session `id`. @throws ClawError when the session is gone. */
  watch(id: string, gate: ViewGate): Promise<void>;
  onGone(listener: (id: string) => void): Disposer;
}

/** Sessions kept in the agent (no session host). */
export function agentSessions(sessions: SessionRegistry, gone: Emitter<{ gone: [string] }>): SharedSessions {
  return {
    openedBy: (id, opener) =>
      sessions.find(id, opener) ? { what: sessions.what(id) ?? 'shell' } : undefined,
    watch: (id, gate) => {
      const s = sessions.get(id);
      if (!s) gate.endWith('the shared terminal has ended');
      else s.watch(gate);
      return Promise.resolve();
    },
    onGone: (listener) => gone.on('gone', listener),
  };
}

/** Sessions kept in the session host. */
export function hostedSessions(hosted: HostedSessions, client: SessionHostClient): SharedSessions {
  return {
    openedBy: (id, opener) => hosted.openedBy(id, opener),
    watch: async (id, gate) => splice(await client.watch(id), gate),
    onGone: (listener) => client.onGone(listener),
  };
}

/** Joins the host's watch connection and the gate: whole frames out, the gate's input in. */
function splice(conn: { socket: Socket; rest: Buffer }, gate: ViewGate): void {
  const { socket } = conn;
  const frames = new WholeFrames();
  const out = (chunk: Buffer) => {
    let whole: Buffer;
    try {
      whole = frames.push(chunk);
    } catch {
      return socket.destroy();
    }
    if (whole.length > 0 && !gate.write(whole)) socket.pause();
  };
  gate.on('drain', () => socket.resume());
  socket.on('data', out);
  socket.on('end', () => gate.end());
  socket.on('error', () => undefined);
  socket.on('close', () => gate.destroy());
  gate.on('data', (frame: Buffer) => {
    for (const f of frameClientBytes(frame)) socket.write(f);
  });
  gate.on('error', () => undefined);
  gate.on('close', () => socket.destroy());
  if (conn.rest.length > 0) out(conn.rest);
  socket.resume();
}
