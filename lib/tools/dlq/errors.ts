/** What the DLQ tool throws when it cannot do what it was asked. */
import { SpotMetaError } from "../../lambda/errors.ts";

/** An argument of a DLQ command is wrong (a duration, a reason class, a file of ids). */
export class DlqArgumentError extends SpotMetaError {
  override name = "DlqArgumentError";
}

/** The queue named as the DLQ does not look like this stack's DLQ; `--force` overrides. */
export class NotOurDlqError extends SpotMetaError {
  override name = "NotOurDlqError";
}

/** The SQS server has no message move tasks (fauxqs 2.4.1, the local stack): use `dlq replay`. */
export class MoveTasksUnsupportedError extends SpotMetaError {
  override name = "MoveTasksUnsupportedError";
}

/** The DLQ's URL is not known and could not be found from the source queue's redrive policy. */
export class DlqNotFoundError extends SpotMetaError {
  override name = "DlqNotFoundError";
}
