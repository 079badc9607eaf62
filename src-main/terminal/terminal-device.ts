/**
 * A terminal device's path, as `clawbridge term` offers its own terminal to its agent for direct I/O
 * (ADR 0037): Linux's and the BSDs' `/dev/pts/N`, macOS's `/dev/ttysNNN`. Pure.
 */
export const TERMINAL_DEVICE_PATH = /^\/dev\/(pts\/\d{1,7}|tty[A-Za-z0-9]{1,12})$/;
