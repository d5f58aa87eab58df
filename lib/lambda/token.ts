/**
 * The Spot token: read from AWS Secrets Manager in Lambda and cached across invocations, or given
 * directly in local mode. Read again after a 401/403, in case an operator rotated it.
 */
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ConfigError } from "./errors.ts";

export interface TokenProvider {
  (): Promise<string>;
  /** Forget the cached token: the next call reads the secret again. */
  invalidate(): void;
}

/** How long a token read from Secrets Manager is trusted before it is read again. */
const CACHE_SECONDS = 5 * 60;

export function staticToken(token: string): TokenProvider {
  return Object.assign(async () => token, { invalidate() {} });
}

/**
 * The token from Secrets Manager, cached by Powertools' `SecretsProvider` for five minutes; after
 * `invalidate()` (a 401 or 403 from Spot) or an empty secret, the next read bypasses the cache.
 * @throws {ConfigError} (from the returned provider) when the secret is empty: the operator has not filled it yet.
 */
export function secretsManagerToken(secretId: string, client = new SecretsManagerClient({})): TokenProvider {
  const secrets = new SecretsProvider({ awsSdkV3Client: client });
  let forceFetch = false;
  let pending: Promise<string> | undefined;
  const read = async (): Promise<string> => {
    const fresh = forceFetch;
    forceFetch = false;
    const secret = await secrets.get(secretId, { maxAge: CACHE_SECONDS, forceFetch: fresh });
    const value = parseSecret(typeof secret === "string" ? secret : undefined);
    if (value === undefined) {
      // Read it again next time: the operator may be filling it in right now.
      forceFetch = true;
      throw new ConfigError([
        `secret ${secretId}: holds no Spot token yet (put the token in it; see docs/deploying.md)`,
      ]);
    }
    return value;
  };
  // One read for all the concurrent calls of a batch (the cache only helps once a read has ended).
  const provider = () =>
    (pending ??= read().finally(() => {
      pending = undefined;
    }));
  return Object.assign(provider, {
    invalidate() {
      forceFetch = true;
    },
  });
}

/** The secret is the token itself, or JSON `{"token": "..."}` (what the console's key/value editor writes). */
function parseSecret(secret: string | undefined): string | undefined {
  const text = secret?.trim();
  if (!text) return undefined;
  if (!text.startsWith("{")) return text;
  try {
    const value = (JSON.parse(text) as { token?: unknown }).token;
    return typeof value === "string" && value.trim() ? value.trim() : undefined;
  } catch {
    return undefined;
  }
}
