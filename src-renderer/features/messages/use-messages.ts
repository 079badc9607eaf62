import { useService, useStore } from '../../api/hooks.js';
import { MESSAGES, type MessagesSnapshot } from './messages-store.js';

/** The selected part of the messages snapshot (messages-store.ts), as useAgent reads the agent's. */
export function useMessages<T>(select: (s: MessagesSnapshot) => T): T {
  return useStore(useService(MESSAGES), select);
}
