import type { Feature } from '../registry.js';
import { ActivityView } from './ActivityView.js';

/** What happened here, from the audit log. */
export const activityFeature: Feature = { id: 'activity', label: 'Activity', View: ActivityView };
