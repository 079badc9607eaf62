import { useAgent } from '../../api/hooks.js';
import { followRequestNotices } from '../../lib/request-notices.js';
import type { Feature } from '../registry.js';
import { ApprovalsView } from './ApprovalsView.js';

/** Devices asking to pair: counted in the sidebar, and worth a word wherever the window is. */
export const approvalsFeature: Feature = {
  id: 'approvals',
  label: 'Approvals',
  View: ApprovalsView,
  useCount: () => ({ count: useAgent((s) => s.pending.length) }),
  watch: ({ store, toasts, pairScreen }) => followRequestNotices(store, toasts, pairScreen),
};
