/**
 * What the instances that share Spot's limit share, and where: one record (an item of the ledger's
 * table, lib/lambda/pace/dynamo-pace-store.ts) holding Spot's limit as the fleet last measured it,
 * when, and each instance's last report of its calls.
 */

/** What the instances share. */
export interface FleetView {
  /** Spot's limit as last measured (calls per second of the fleet's schedule, all instances together). */
  limit?: number;
  /** When it was measured (epoch ms): the fleet's rate counts from then. */
  cutAt?: number;
  /** Each instance's last report. */
  reports: Array<{ instance: string } & PaceReport>;
}

/**
 * An instance's report: when, its calls answered in the second before and those Spot accepted, and
 * all it had answered since it started (an instance that has called Spot counts among those that
 * share its limit, even in a second it had no answer).
 */
export interface PaceReport {
  at: number;
  sent: number;
  accepted: number;
  answered: number;
}

/** Where the fleet's view lives. */
export interface PaceStore {
  /** Writes this instance's report, forgets the instances named, and returns the fleet's view. */
  report(instance: string, report: PaceReport, forget: string[]): Promise<FleetView>;
  /**
   * Records Spot's limit measured at `at`, unless a cut after `after` with a limit as high is
   * recorded already (another instance answered the same refusals, and saw as much of Spot's
   * second); returns the fleet's view either way.
   */
  cut(limit: number, at: number, after: number): Promise<FleetView>;
}
