/** A terminal for tests of what the CLI shows: a TTY stream that keeps what is written to it. */
import { Writable } from "node:stream";

export function terminal() {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      written.push(String(chunk));
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  stream.isTTY = true;
  return {
    stream,
    /** As written, control sequences included. */
    raw: () => written.join(""),
    /** With each redrawn status line on a line of its own. */
    text: () => written.join("").replaceAll("\r\u001b[2K", "\n"),
  };
}
