/**
 * The Spot token: read from AWS Secrets Manager in Lambda and cached across invocations, or given
 * directly in local mode. Read again after a 401/403, in case an operator rotated it.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ConfigError } from "./errors.ts";

export interface TokenProvider {
  (): Promise<string>;
  /** Forget the cached token: the next call reads the secret again. */
  invalidate(): void;
}

/** How long a token read from Secrets Manager is trusted before it is read again. */
const CACHE_MS = 5 * 60_000;

export function staticToken(token: string): TokenProvider {
  return Object.assign(async () => token, { invalidate() {} });
}

/**
 * @throws {ConfigError} (from the returned provider) when the secret is empty: the operator has not filled it yet.
 */
export function secretsManagerToken(secretId: string, client = new SecretsManagerClient({})): TokenProvider {
  let cached: { value: string; until: number } | undefined;
  let pending: Promise<string> | undefined;
  const read = async (): Promise<string> => {
    const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    const value = parseSecret(result.SecretString);
    if (value === undefined) {
      throw new ConfigError([
        `secret ${secretId}: holds no Spot token yet (put the token in it; see docs/deploying.md)`,
      ]);
    }
    cached = { value, until: Date.now() + CACHE_MS };
    return value;
  };
  const provider = async () => {
    if (cached !== undefined && cached.until > Date.now()) return cached.value;
    // One read for all the concurrent calls of a batch.
    pending ??= read().finally(() => {
      pending = undefined;
    });
    return pending;
  };
  return Object.assign(provider, {
    invalidate() {
      cached = undefined;
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
