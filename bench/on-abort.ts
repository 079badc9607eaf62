/**
 * Undo that must run when a bench is stopped by a signal (Ctrl-C, `kill PID`, a timeout). Node exits
 * on SIGINT and SIGTERM without running `finally` blocks, so the processes a run started (those in a
 * network namespace too) and the namespaces themselves would outlive it: a Ctrl-C reaches only its
 * own process group, and a `kill PID` only the bench. Each resource registers its undo when it is made
 * and unregisters it when it is undone the normal way; the first SIGINT or SIGTERM runs every undo
 * still registered, newest first, then exits with 128 + the signal's number.
 */

type Undo = () => void;

const undos: Undo[] = [];
let installed = false;

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** Runs `undo` if the process is stopped by SIGINT or SIGTERM before the returned function is called. */
export function onAbort(undo: Undo): () => void {
  if (!installed) {
    installed = true;
    for (const signal of Object.keys(SIGNAL_EXIT) as (keyof typeof SIGNAL_EXIT)[]) {
      process.once(signal, () => {
        process.stderr.write(`${signal}: ending what this run started…\n`);
        runUndos();
        process.exit(SIGNAL_EXIT[signal]);
      });
    }
  }
  undos.push(undo);
  return () => {
    const i = undos.indexOf(undo);
    if (i >= 0) undos.splice(i, 1);
  };
}

/** Runs every registered undo, newest first; one that throws does not keep the others from running. */
function runUndos(): void {
  while (undos.length > 0) {
    try {
      undos.pop()!();
    } catch {
      /* best effort: the rest still run */
    }
  }
}
