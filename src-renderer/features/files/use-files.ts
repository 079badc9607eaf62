import { useService, useStore } from '../../api/hooks.js';
import { FILES, type FilesSnapshot } from './files-store.js';

/** The selected part of the files snapshot (files-store.ts), as useAgent reads the agent's. */
export function useFiles<T>(select: (s: FilesSnapshot) => T): T {
  return useStore(useService(FILES), select);
}
