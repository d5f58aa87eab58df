/**
 * The settings of the source queue and its DLQ, in one place: the CDK stack provisions them and the
 * local stack creates the embedded queues with the same values.
 */
export interface QueueSettings {
  /** Receives before SQS's redrive moves a message to the DLQ (the handler dead-letters on this one itself). */
  maxReceiveCount: number;
  /** The source queue's visibility timeout: at least 6 × the function timeout + the batching window (AWS's rule). */
  visibilityTimeoutSeconds: number;
  /** How long the source queue keeps a message. */
  retentionSeconds: number;
  /** The DLQ keeps the SQS maximum, longer than the source: a dead-lettered message keeps its first enqueue time. */
  dlqRetentionSeconds: number;
  /** A FIFO pair (message group = the order) instead of standard queues. */
  fifo: boolean;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  maxReceiveCount: 8,
  visibilityTimeoutSeconds: 6 * 60 + 5,
  retentionSeconds: 4 * 24 * 3600,
  dlqRetentionSeconds: 14 * 24 * 3600,
  fifo: false,
};

/** AWS's rule for an SQS event source: visibility ≥ 6 × function timeout + batching window. */
export function minimumVisibilityTimeoutSeconds(
  functionTimeoutSeconds: number,
  batchingWindowSeconds: number,
) {
  return 6 * functionTimeoutSeconds + batchingWindowSeconds;
}

/** Queue names: a FIFO queue's name must end in `.fifo`. */
export function queueNames(prefix: string, fifo: boolean): { source: string; dlq: string } {
  const suffix = fifo ? ".fifo" : "";
  return { source: `${prefix}${suffix}`, dlq: `${prefix}-dlq${suffix}` };
}
