/** Why a CSV import could not run at all (as opposed to rows it rejected, which it reports). */
import { SpotMetaError } from "../../lambda/errors.ts";

/** The file is not a CSV the importer can read: no `public_id` column, a malformed record. */
export class CsvFormatError extends SpotMetaError {
  override name = "CsvFormatError";
}

/** A checkpoint is in the way (an unfinished import without `--resume`) or belongs to another file. */
export class CheckpointError extends SpotMetaError {
  override name = "CheckpointError";
}

/** The target queue did not answer, or answered that it does not exist. */
export class QueueUnreachableError extends SpotMetaError {
  override name = "QueueUnreachableError";
}
