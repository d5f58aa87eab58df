/**
 * Loaded into a `spot-meta dlq replay` child with `--import`: once the replay reports its first
 * batch, an exception is thrown from a timer, outside any of the command's own `try`, as a bug in a
 * callback would be.
 */
const write = process.stderr.write.bind(process.stderr);
let thrown = false;
process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
  if (!thrown && String(chunk).includes("replayed 1/")) {
    thrown = true;
    setImmediate(() => {
      throw new Error("a bug outside the command's try");
    });
  }
  return write(chunk, ...rest);
}) as typeof process.stderr.write;
