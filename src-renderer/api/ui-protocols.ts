/**
 * The WebSocket subprotocols every web UI socket offers (docs/web-ui.md): the server selects the first;
 * the second carries the token with the upgrade, so a flood of sockets without it cannot end ours
 * before our auth message is read. Must match UI_SUBPROTOCOL and TOKEN_SUBPROTOCOL_PREFIX in
 * src-main/api/web-ui/ws-session.ts (test/unit/renderer/ui-protocols.test.ts checks it). No DOM types
 * here, so tests of the main process can import it.
 */
export function uiProtocols(token: string): string[] {
  return ['clawbridge.v1', `clawbridge-token.${token}`];
}
