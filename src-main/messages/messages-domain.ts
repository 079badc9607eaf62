/**
 * The messages domain as the composition root lists it (links/domain.ts, app/domains.ts): the boxes
 * in the home, open before the node starts and closed after it stopped, and the `message` service
 * registered at once; delivery starts once the node runs (message-service.ts). The `messages.*`
 * methods and the `message`, `messages`, `message.state` and `message.states` events (messages-api.ts).
 */
import type { DomainDescription } from '../links/domain.js';
import { messagesContract } from './messages-contract.js';

export const messagesDomain: DomainDescription = {
  name: 'messages',
  folder: 'messages',
  window: 'messages',
  contract: messagesContract,
  // The service's modules load when an agent creates the domain, not when a client reads the list.
  create: async (ctx) => {
    const [{ openMessages }, { messageEventSources, messageHandlers }] = await Promise.all([
      import('./message-service.js'),
      import('./messages-api.js'),
    ]);
    const messages = await openMessages({
      home: ctx.home,
      log: ctx.log,
      services: ctx.services,
      peers: ctx.peers,
      connections: ctx.connections,
      audit: ctx.audit,
    });
    const api = { inbox: messages.inbox, outbox: messages.outbox, peers: ctx.peers };
    const events = messageEventSources(api);
    return {
      parts: { beforeNode: [messages.parts.boxes], afterNode: [messages.parts.delivery] },
      handlers: messageHandlers(api),
      events: {
        message: (listener) => events.onMessage(listener),
        messages: (listener) => events.onMessages(listener),
        'message.state': (listener) => events.onMessageState(listener),
        'message.states': (listener) => events.onMessageStates(listener),
      },
    };
  },
};
