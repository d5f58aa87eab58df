/**
 * Which Spot a command reads, and with which token: `SPOT_META_SPOT_BASE_URL` with
 * `SPOT_META_SPOT_TOKEN_SECRET_ID` (or, locally, `SPOT_META_SPOT_TOKEN`), else the sandbox of the
 * running `spot-meta dev`. Shared by `spot-meta verify` and `spot-meta smoke`.
 */
import { SpotMetaError } from "../../lambda/errors.ts";
import { secretsManagerToken, staticToken, type TokenProvider } from "../../lambda/token.ts";
import { readDevState } from "../../local/dev-state.ts";

/** No Spot is named and no dev stack runs, or a base URL is named without a token. */
export class SpotNotFoundError extends SpotMetaError {
  override name = "SpotNotFoundError";
}

export interface SpotTarget {
  baseUrl: string;
  token: TokenProvider;
  /** Where the base URL came from, for messages to the user. */
  origin: "SPOT_META_SPOT_BASE_URL" | "spot-meta dev";
}

/**
 * @param secretId a secret to read the token from when the environment names none (the `SecretArn`
 *   of an outputs file)
 * @throws SpotNotFoundError when no Spot is named, or no token for the one named
 */
export function resolveSpot(
  env: Record<string, string | undefined> = process.env,
  secretId?: string,
): SpotTarget {
  const baseUrl = env.SPOT_META_SPOT_BASE_URL;
  if (baseUrl !== undefined && baseUrl !== "") {
    const origin = "SPOT_META_SPOT_BASE_URL";
    if (env.SPOT_META_SPOT_TOKEN) return { baseUrl, token: staticToken(env.SPOT_META_SPOT_TOKEN), origin };
    const secret = env.SPOT_META_SPOT_TOKEN_SECRET_ID || secretId;
    if (secret) return { baseUrl, token: secretsManagerToken(secret), origin };
    throw new SpotNotFoundError(
      "SPOT_META_SPOT_BASE_URL is set but no token: set SPOT_META_SPOT_TOKEN_SECRET_ID (or SPOT_META_SPOT_TOKEN locally)",
    );
  }
  const dev = readDevState();
  if (dev !== undefined)
    return { baseUrl: dev.sandboxUrl, token: staticToken(dev.sandboxToken), origin: "spot-meta dev" };
  throw new SpotNotFoundError(
    "no Spot to read: set SPOT_META_SPOT_BASE_URL and its token, or start `spot-meta dev` here",
  );
}
