import { SpotMetaError } from "../../lambda/errors.ts";

/** `spot-meta verify` cannot run, or cannot go on (nothing to resume, Spot refuses every read). */
export class VerifyError extends SpotMetaError {
  override name = "VerifyError";
}
