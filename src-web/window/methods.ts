/**
 * Every method and stream the browser node answers for the window, by area (ADR 0094). The window
 * shows a feature only when all it `needs` is here (features/served-features.ts), so what
 * is not listed (forwards, files, messages, approvals, settings…) is not offered in the browser. A new
 * area adds its file's list here, as a browser in a group brings its `groups.*` (methods-groups.ts).
 */
import type { Method, StreamMethodImpl } from './node-context.js';
import { GROUP_METHODS } from './methods-groups.js';
import { NODE_METHODS } from './methods-node.js';
import { PAIR_METHODS } from './methods-pair.js';
import { PEER_METHODS } from './methods-peers.js';
import { TERMINAL_METHODS, TERMINAL_STREAMS } from './methods-terminal.js';

export const METHODS: Readonly<Record<string, Method>> = {
  ...NODE_METHODS,
  ...PEER_METHODS,
  ...PAIR_METHODS,
  ...TERMINAL_METHODS,
  ...GROUP_METHODS,
};

export const STREAMS: Readonly<Record<string, StreamMethodImpl>> = {
  ...TERMINAL_STREAMS,
};
