/**
 * The holds on DLQ messages this process has not given back yet, for the way out of a second
 * Ctrl-C or a crash (lib/cli/shared/interrupts.ts). Apart from held-messages.ts, which sends the
 * visibility calls: a command that holds nothing (`import`'s main thread, a usage error) has no
 * reason to load the AWS SDK for it.
 */

/** A hold: releasing it makes its messages visible again, and counts those that could not be. */
export interface OpenHold {
  release(): Promise<number>;
}

const open = new Set<OpenHold>();

export function holdOpened(hold: OpenHold): void {
  open.add(hold);
}

/** Called once a hold's release has finished: an exit while it is under way waits for it. */
export function holdReleased(hold: OpenHold): void {
  open.delete(hold);
}

/** Releases every open hold. @returns how many messages could not be made visible */
export async function releaseEveryHold(): Promise<number> {
  const counts = await Promise.all([...open].map((hold) => hold.release()));
  return counts.reduce((sum, count) => sum + count, 0);
}
