/**
 * The shared API contract suite (test/helpers/contract-suite.ts) through the window's IPC transport
 * (src-renderer/api/ipc-transport.ts, whose requests and events are ipc-bridge.ts) over a stand-in
 * preload bridge. The stand-in does what the
 * Electron main process does with each message — validates it against the contract (api/validate.ts),
 * then hands it to the agent — except that the agent is a separate process here, reached over its
 * control socket. Terminal streams over MessagePorts are covered in the browser (test/e2e/ipc-bridge).
 */
import { BridgeRequests, type ClawbridgeBridge } from '../../src-renderer/api/ipc-bridge.js';
import { apiErrorBody, validateRequest } from '../../src-main/api/validate.js';
import { ClawError, type ErrorCode } from '../../src-main/core/errors.js';
import { contractSuite } from '../helpers/contract-suite.js';
import { controlConnection } from '../helpers/control-connection.js';

/** The agent's error as it crossed the control socket: a plain Error with the contract's code. */
function asClawError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? new ClawError(code as ErrorCode, (err as Error).message) : err;
}

contractSuite('the IPC transport (fake preload bridge)', async ({ home }) => {
  const agent = await controlConnection(home);
  const bridge: ClawbridgeBridge = {
    request: async (method, params) => {
      try {
        validateRequest({ id: 0, method, params });
        return { ok: true, result: await agent.call(method, params) };
      } catch (err) {
        return { ok: false, error: apiErrorBody(asClawError(err)) };
      }
    },
    subscribe: (listener) => agent.onEvent(listener),
    openStream: () =>
      Promise.resolve({
        ok: false,
        error: { code: 'BAD_ARGUMENT', message: 'streams travel over MessagePorts in the browser tests' },
      }),
  };
  // IpcTransport's requests and events are BridgeRequests' (it only adds MessagePort streams).
  const transport = new BridgeRequests(bridge);
  return {
    call: (method, params) => transport.request(method, params),
    onEvent: (listener) => transport.subscribe(listener),
    close: () => agent.close(),
  };
});
