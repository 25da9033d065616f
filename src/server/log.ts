// log.ts — the server's log: one timestamped line per event, never to clients.
//
// Events (start, quit, errors, refusals) are always written; details
// (connects, ctl commands, gaps, hubs started) only while verbose (-v, ctl
// debug; shutup stops it). The sink is a file (-l) or a stream (stderr for
// -i). A sink that fails is reported once on stderr and then dropped: a full
// disk must not stop the server.

import { appendFileSync } from 'node:fs';

export interface LogSink {
  write(line: string): void;
}

export function fileSink(path: string): LogSink {
  return { write: (line) => appendFileSync(path, line, { mode: 0o600 }) };
}

export function streamSink(stream: NodeJS.WritableStream): LogSink {
  return { write: (line) => void stream.write(line) };
}

export class Log {
  verbose: boolean;
  private sink: LogSink | null;

  constructor(sink: LogSink | null, verbose = false) {
    this.sink = sink;
    this.verbose = verbose;
  }

  /** Always logged. */
  event(text: string): void {
    this.emit(text);
  }

  /** Logged while verbose. */
  debug(text: string): void {
    if (this.verbose) this.emit(text);
  }

  private emit(text: string): void {
    if (!this.sink) return;
    try {
      this.sink.write(`${new Date().toISOString()} ${text}\n`);
    } catch (err) {
      this.sink = null;
      process.stderr.write(`io: log: ${(err as Error).message}; logging stopped\n`);
    }
  }
}
