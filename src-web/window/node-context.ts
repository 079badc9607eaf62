/**
 * What each of the browser transport's methods is given (ADR 0094): the browser node and its store, the
 * device links the cards show, the terminal sessions, and a way to tell the window something changed
 * or happened. The methods are kept by area in their own files (methods-*.ts) and listed together in
 * methods.ts; a new area adds its file there, and what it keeps here (the groups: group-links.ts).
 */
import type { BrowserNode } from '../node/browser-node.js';
import type { BrowserNodeStore } from '../node/store.js';
import type { StreamChannel } from '../../src-renderer/api/transport.js';
import type { DeviceLinks } from './devices.js';
import type { GroupLinks } from './group-links.js';
import type { TerminalSessions } from './terminal-sessions.js';

export interface WindowNode {
  readonly node: Pick<BrowserNode, 'fingerprint' | 'pair' | 'identity' | 'rename'>;
  readonly store: Pick<BrowserNodeStore, 'devices' | 'forgetDevice'>;
  readonly relayUrl: string;
  readonly devices: Pick<DeviceLinks, 'peers' | 'reload' | 'paired'>;
  readonly terminals: TerminalSessions;
  /** The groups this browser is a member of, with their devices' states (group-links.ts). */
  readonly groups: Pick<GroupLinks, 'list' | 'find' | 'device' | 'join' | 'leave' | 'syncSoon'>;
  /** What the window shows changed: a fresh `status` event goes out. */
  changed(): void;
  /** An event for the window (`pairing` steps). */
  emit(event: string, data: unknown): void;
}

/** One method: its parameters as the window sent them (checked here), its result. */
export type Method = (node: WindowNode, params: unknown) => Promise<unknown>;

/** One streaming method: its result and the stream's channel. */
export type StreamMethodImpl = (
  node: WindowNode,
  params: unknown,
) => Promise<{ result: unknown; channel: StreamChannel }>;
