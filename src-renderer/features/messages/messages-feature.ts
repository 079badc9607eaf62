import type { Feature } from '../registry.js';
import { unreadCount } from './conversations.js';
import { MESSAGES_LINKS } from './messages-links.js';
import { MessagesView } from './MessagesView.js';
import { MESSAGES_PERMISSIONS } from './messages-permissions.js';
import { useMessages } from './use-messages.js';

/** Conversations with peers; the unread ones counted in the sidebar. */
export const messagesFeature: Feature = {
  id: 'messages',
  label: 'Messages',
  place: 30,
  View: MessagesView,
  useCount: () => ({ count: useMessages((s) => unreadCount(s.inbox)), counted: 'unread' }),
  permissions: MESSAGES_PERMISSIONS,
  links: MESSAGES_LINKS,
};
