/**
 * A terminal device's path, as `clawbridge term` offers its own terminal to its agent for direct I/O
 * (ADR 0037): Linux's and the BSDs' `/dev/pts/N`, macOS's `/dev/ttysNNN`. Pure.
 */
export const TERMINAL_DEVICE_PATH = /^\/dev\/(pts\/\d{1,7}|tty[A-Za-z0-9]{1,12})$/;

/**
 * A pipe of `clawbridge term`'s, by the name Linux gives another process's open files: its stdin or
 * stdout as `/proc/PID/fd/N` (ADR 0038). Opening it opens that very pipe. Pure.
 */
export const PROCESS_PIPE_PATH = /^\/proc\/\d{1,9}\/fd\/\d{1,4}$/;
