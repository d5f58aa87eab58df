/** The token from Secrets Manager (a stand-in speaking its protocol over HTTP): cached, read again when told. */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterEach, describe, expect, it } from "vitest";
import { type SecretsStandIn, startSecretsStandIn } from "../../bench/support/secrets-stand-in.ts";
import { ConfigError } from "../../lib/lambda/errors.ts";
import { secretsManagerToken } from "../../lib/lambda/token.ts";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../lib/local/local-aws.ts";

let standIn: SecretsStandIn | undefined;
afterEach(() => standIn?.stop());

async function tokenFrom(secretString: string) {
  standIn = await startSecretsStandIn(secretString);
  const client = new SecretsManagerClient({
    endpoint: standIn.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  return { standIn, token: secretsManagerToken("spot-token", client) };
}

describe("the Spot token from Secrets Manager", () => {
  it("is read once for a batch's concurrent calls, then served from the cache", async () => {
    const { standIn, token } = await tokenFrom("t-1");
    expect(await Promise.all([token(), token(), token()])).toStrictEqual(["t-1", "t-1", "t-1"]);
    expect(await token()).toBe("t-1");
    expect(standIn.reads).toBe(1);
  });

  it("is read again after invalidate (Spot refused it: the operator may have rotated it)", async () => {
    const { standIn, token } = await tokenFrom("t-1");
    await token();
    standIn.set("t-2");
    expect(await token()).toBe("t-1");
    token.invalidate();
    expect(await token()).toBe("t-2");
    expect(standIn.reads).toBe(2);
  });

  it("refuses an empty secret, naming it, and reads it again next time", async () => {
    const { standIn, token } = await tokenFrom("  ");
    const empty: unknown = await token().catch((error: unknown) => error);
    standIn.set('{"token": "t-3"}');
    expect(empty).toBeInstanceOf(ConfigError);
    expect((empty as Error).message).toContain("secret spot-token: holds no Spot token yet");
    expect(await token()).toBe("t-3");
  });
});
