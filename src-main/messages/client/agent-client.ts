/**
 * `import { connectAgent } from 'clawbridge/client'`: messages between programs on paired nodes, from
 * a Node program, without shelling out to the CLI (docs/api.md §Messages from a program). It
 * talks to this machine's running agent over its control socket, as every `clawbridge` command does,
 * so it needs no token: the socket is reachable by this user only.
 *
 * ```ts
 * const agent = await connectAgent();                       // or connectAgent({ home: '/srv/node' })
 * await agent.send('office', 'backup done', { topic: 'jobs', wait: 'delivered' });
 * const reply = await agent.ask('office', 'status', { topic: 'status', timeoutMs: 10_000 });
 * agent.listen({ topic: 'jobs' }, (m) => console.log(m.from.name, m.text));
 * ```
 */
import { controlSocketPath, resolveHome } from '../../home/home-dir.js';
import { ControlClient } from '../../api/control-client.js';
import { MessagesClient } from './messages-client.js';

export type {
  InboxMessage,
  MessagePeer,
  MessageState,
  MessageWhy,
  OutboxMessage,
} from '../messages-contract.js';
export type { AwaitedState, BodyParams, MessageBody } from './message-bodies.js';
export { bodyBytes } from './message-bodies.js';
export type { ListenOptions, Listening, SendOptions, ServeAnswer, WaitOptions } from './client-types.js';
export { DEFAULT_WAIT_MS } from './client-types.js';
export { MessageStateError } from './receipt-errors.js';
export { ClawError, isClawError, type ErrorCode } from '../../core/errors.js';

export interface ConnectOptions {
  /**
   * The node's home directory, as `clawbridge --home` takes it; default `CLAWBRIDGE_HOME`, else the
   * desktop app's data directory (the same node the CLI talks to).
   */
  home?: string;
}

/** The running agent of one node, for messages: send, list, ack, outbox, delete, listen, ask, serve. */
export class AgentClient extends MessagesClient {
  constructor(private readonly connection: ControlClient) {
    super(connection);
  }

  /** True once the connection to the agent is gone (it stopped, or close() was called). */
  get closed(): boolean {
    return this.connection.closed;
  }

  /** Ends the connection; listeners end with it. */
  close(): void {
    this.endHere();
    this.connection.close();
  }
}

/**
 * Connects to the node's running agent.
 * @throws ClawError('NO_AGENT') saying how to start one when none runs for that home
 */
export async function connectAgent(opts: ConnectOptions = {}): Promise<AgentClient> {
  const home = resolveHome(opts.home);
  return new AgentClient(await ControlClient.connect(controlSocketPath(home), home));
}
