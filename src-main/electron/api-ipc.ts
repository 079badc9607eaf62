/**
 * The API contract over Electron IPC, main's side (docs/architecture.md §The API contract and its
 * transports): the preload (preload.cts) forwards the page's requests, subscriptions and stream opens
 * on the channels of api-ipc-channels.ts; here each is checked — the sender is the top frame of the
 * app's own page (ipc-validate.ts), the method is in the contract, its params pass the contract's
 * schemas (api/validate.ts; a streaming method's is the schema its domain's piece brings) — before the
 * agent sees it. Every answer is an `{ok, result} | {ok: false, error: {code, message, refusal?}}`
 * envelope: an Error thrown across `ipcRenderer.invoke` would lose its code.
 */
import { z } from 'zod';
import { ClawError, errorMessage } from '../core/errors.js';
import type { Disposer } from '../core/emitter.js';
import { apiErrorBody, validateRequest, type ApiErrorBody } from '../api/validate.js';
import { contractOf } from '../api/contract-registry.js';
import { domains } from '../app/domains.js';
import { describeZodError } from '../core/zod-error.js';
import type { AgentConnection } from './agent-connection.js';
import { API_IPC_CHANNELS, type AppEventName, type AppEvents } from './api-ipc-channels.js';
import { pipeStream, type MainMessagePort } from './api-ipc-stream.js';
import { checkSender, type SenderFrame } from './ipc-validate.js';

export { API_IPC_CHANNELS, type AppEvents } from './api-ipc-channels.js';

type Envelope = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody };

/** The part of a WebContents (the page that sent a message) used here. */
export interface IpcSender {
  readonly id: number;
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
  postMessage(channel: string, message: unknown, transfer?: MainMessagePort[]): void;
  once(event: 'destroyed', listener: () => void): unknown;
}

/** The part of an IpcMainInvokeEvent used here. */
export interface IpcInvokeEvent {
  senderFrame: SenderFrame | null;
  sender: IpcSender;
}

/** The parts of the `electron` module the transport uses. */
export interface ApiIpcElectron {
  ipcMain: {
    handle(channel: string, listener: (event: IpcInvokeEvent, ...args: unknown[]) => unknown): void;
    removeHandler(channel: string): void;
  };
  MessageChannelMain: new () => { port1: MainMessagePort; port2: MainMessagePort };
}

export interface ApiIpc {
  /** Sends an app event (not the agent's: its name starts with `app.`) to every subscribed page. */
  broadcast<E extends AppEventName>(event: E, data: AppEvents[E]): void;
  /** Removes the handlers and every subscription (the app is quitting). */
  dispose(): void;
}

/** A stream ID the page chose (ipc-transport.ts uses crypto.randomUUID()). */
const streamId = z.string().regex(/^[\w-]{1,64}$/, 'a stream id is 1–64 letters, digits, "_" or "-"');

/** How a refused message is answered; the renderer shows `message`. */
function refused(code: ApiErrorBody['code'], message: string): Envelope {
  return { ok: false, error: { code, message } };
}

/**
 * Registers the window's transport on `e.ipcMain`, serving `connection` to pages whose top frame is
 * `trustedUrl` (the file:// URL of dist/renderer/index.html).
 */
export function registerApiIpc(
  e: ApiIpcElectron,
  connection: AgentConnection,
  trustedUrl: string,
  log: (line: string) => void = (line) => console.error(line),
): ApiIpc {
  const subscribers = new Map<number, { sender: IpcSender; dispose: Disposer }>();
  const watched = new Set<number>();
  // What the agent answers: the node's methods and its domains' (their contract pieces only).
  const contract = contractOf(domains.map((d) => d.contract));

  /** Runs `handler` for a trusted sender with exactly `arity` arguments; refuses anything else. */
  const handle = (
    channel: string,
    arity: number,
    handler: (event: IpcInvokeEvent, args: unknown[]) => Promise<Envelope> | Envelope,
  ) =>
    e.ipcMain.handle(channel, async (event, ...args): Promise<Envelope> => {
      const sender = checkSender(event.senderFrame, trustedUrl);
      if (!sender.ok) {
        log(`IPC refused on ${channel}: ${sender.reason}`);
        return refused('IPC_REJECTED', `IPC refused: ${sender.reason}`);
      }
      if (args.length > arity)
        return refused('BAD_ARGUMENT', `${channel} takes ${arity} arguments, got ${args.length}`);
      try {
        return await handler(event, args);
      } catch (err) {
        return { ok: false, error: apiErrorBody(err) };
      }
    });

  const unsubscribe = (id: number) => {
    subscribers.get(id)?.dispose();
    subscribers.delete(id);
  };

  handle(API_IPC_CHANNELS.request, 2, async (_event, [method, params]) => {
    const req = validateRequest({ id: 0, method, params }, contract);
    return { ok: true, result: await connection.call(req.method, req.params) };
  });

  handle(API_IPC_CHANNELS.subscribe, 0, ({ sender }) => {
    // A page that subscribes again (it reloaded) starts over, and gets the agent's first status again.
    unsubscribe(sender.id);
    const dispose = connection.onEvent((event, data) => {
      if (!sender.isDestroyed()) sender.send(API_IPC_CHANNELS.event, event, data);
    });
    subscribers.set(sender.id, { sender, dispose });
    if (!watched.has(sender.id)) {
      watched.add(sender.id);
      sender.once('destroyed', () => {
        watched.delete(sender.id);
        unsubscribe(sender.id);
      });
    }
    return { ok: true, result: null };
  });

  handle(API_IPC_CHANNELS.unsubscribe, 0, ({ sender }) => {
    unsubscribe(sender.id);
    return { ok: true, result: null };
  });

  handle(API_IPC_CHANNELS.openStream, 3, async ({ sender }, [method, params, id]) => {
    const idCheck = streamId.safeParse(id);
    if (!idCheck.success)
      throw new ClawError('BAD_ARGUMENT', `invalid stream id: ${describeZodError(idCheck.error)}`);
    if (!contract.isStreamMethod(method))
      throw new ClawError('BAD_ARGUMENT', `unknown streaming method '${String(method)}'`);
    const parsed = contract.streamParamsSchema(method).safeParse(params ?? {});
    if (!parsed.success)
      throw new ClawError(
        'BAD_ARGUMENT',
        `invalid parameters for ${method}: ${describeZodError(parsed.error)}`,
      );
    const stream = await connection.openStream(method, parsed.data);
    if (sender.isDestroyed()) {
      stream.channel.close();
      throw new ClawError('NO_AGENT', 'the window closed before its terminal opened');
    }
    const { port1, port2 } = new e.MessageChannelMain();
    pipeStream(port1, stream.channel);
    // Posted before the reply: the page listens for it before asking (ipc-transport.ts portFor).
    sender.postMessage(API_IPC_CHANNELS.stream, { streamId: idCheck.data }, [port2]);
    return { ok: true, result: stream.result };
  });

  const broadcast: ApiIpc['broadcast'] = (event, data) => {
    if (!event.startsWith('app.')) throw new RangeError(`app events start with 'app.', got '${event}'`);
    for (const { sender } of subscribers.values()) {
      try {
        if (!sender.isDestroyed()) sender.send(API_IPC_CHANNELS.event, event, data);
      } catch (err) {
        log(`IPC: sending ${event} failed: ${errorMessage(err)}`);
      }
    }
  };
  // While the agent restarts every call fails; the window hears why and when it comes back.
  const offHostState = connection.onHostState((state) => broadcast('app.host', state));

  return {
    broadcast,
    dispose() {
      offHostState();
      for (const channel of [
        API_IPC_CHANNELS.request,
        API_IPC_CHANNELS.subscribe,
        API_IPC_CHANNELS.unsubscribe,
        API_IPC_CHANNELS.openStream,
      ])
        e.ipcMain.removeHandler(channel);
      for (const id of [...subscribers.keys()]) unsubscribe(id);
    },
  };
}
