/**
 * Files of order ids, one a line (`dlq … --public-ids`, `verify --ids`), read one way: spaces around
 * an id are trimmed, blank lines and `#` comments skipped, and the single quote that every CSV the
 * tools write puts before an id beginning with `-` (see csv-cell.ts) dropped, so a `public_id`
 * column copied out of a rejects file or a verify report works as it is. No id holds a quote.
 */

/** The id a line of an id file holds, or undefined for a blank line or a comment. */
export function idOnLine(line: string): string | undefined {
  const trimmed = line.trim();
  if (trimmed === "" || trimmed.startsWith("#")) return undefined;
  return /^'[=+\-@]/.test(trimmed) ? trimmed.slice(1) : trimmed;
}

/** A file's text as its lines, each with the id it holds (undefined: nothing to read there). */
export function idLines(text: string): Array<string | undefined> {
  return text.split(/\r?\n/).map(idOnLine);
}
