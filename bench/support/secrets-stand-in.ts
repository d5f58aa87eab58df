/**
 * A stand-in for Secrets Manager on 127.0.0.1 that answers GetSecretValue (its JSON protocol) with
 * the secret's current value: the bundled handler reads its token as it does in AWS, so it loads the
 * same client, and the token's tests change the secret and count the reads.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface SecretsStandIn {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  endpoint: string;
  /** GetSecretValue calls answered so far. */
  readonly reads: number;
  /** What the secret holds from now on. */
  set(secretString: string): void;
  stop(): Promise<void>;
}

/** The secret's ARN the stand-in answers with (any name is accepted). */
export const STAND_IN_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:spot-token-AbC123";

/** Starts the stand-in; every GetSecretValue gets `secretString`, whatever secret it names. */
export async function startSecretsStandIn(secretString: string): Promise<SecretsStandIn> {
  const secret = {
    ARN: STAND_IN_SECRET_ARN,
    Name: "spot-token",
    SecretString: secretString,
    VersionId: "v1",
    CreatedDate: 0,
  };
  let reads = 0;
  const server = createServer((request, response) => {
    const ok = request.headers["x-amz-target"] === "secretsmanager.GetSecretValue";
    if (ok) reads += 1;
    request.resume().on("end", () => {
      response
        .writeHead(ok ? 200 : 400, { "content-type": "application/x-amz-json-1.1" })
        .end(JSON.stringify(ok ? secret : { __type: "InvalidRequestException" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get reads() {
      return reads;
    },
    set(value) {
      secret.SecretString = value;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
