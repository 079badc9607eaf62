import { useAgent } from '../../api/hooks.js';
import type { Feature } from '../registry.js';
import { PAIR_SCREEN } from '../pair/pair-screen.js';
import { APPROVALS_LINKS } from './approvals-links.js';
import { ApprovalsView } from './ApprovalsView.js';
import { followRequestNotices } from './request-notices.js';

/** Devices asking to pair: counted in the sidebar, and worth a word wherever the window is. */
export const approvalsFeature: Feature = {
  id: 'approvals',
  label: 'Approvals',
  View: ApprovalsView,
  useCount: () => ({ count: useAgent((s) => s.pending.length) }),
  links: APPROVALS_LINKS,
  watch: ({ store, toasts, get }) => followRequestNotices(store, toasts, get(PAIR_SCREEN)),
};
