// inside.ts — IO_SESSION: which session a process runs in.
//
// A session process (and a host's shell) gets IO_SESSION=NAME,PID,TRIHUB: the
// server's name and pid, and its trihub. A terminal client started inside it
// that would attach to that same trihub would feed the session its own output
// as input, for ever; it is refused instead (tmux does the same with $TMUX).
// Unset IO_SESSION to attach all the same.
//
// Not here: setting it (server.ts, shell/local.ts), refusing (shell/shell.ts).

/** The value of IO_SESSION for a process on trihub N of server NAME (pid). */
export function sessionMark(name: string, pid: number, trihub: number): string {
  return `${name},${pid},${trihub}`;
}

/** mark (IO_SESSION, maybe unset) says this process runs on trihub N of server NAME (pid). */
export function isInside(mark: string | undefined, name: string, pid: number, trihub: number): boolean {
  return mark !== undefined && mark === sessionMark(name, pid, trihub);
}
