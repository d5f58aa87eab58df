/**
 * A stand-in for Secrets Manager on 127.0.0.1 that answers GetSecretValue (its JSON protocol) with
 * one token: the bundled handler reads its token as it does in AWS, so it loads the same client.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface SecretsStandIn {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  endpoint: string;
  stop(): Promise<void>;
}

/** The secret's ARN the stand-in answers with (any name is accepted). */
export const STAND_IN_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:spot-token-AbC123";

/** Starts the stand-in; every GetSecretValue gets `token`, whatever secret it names. */
export async function startSecretsStandIn(token: string): Promise<SecretsStandIn> {
  const secret = {
    ARN: STAND_IN_SECRET_ARN,
    Name: "spot-token",
    SecretString: token,
    VersionId: "v1",
    CreatedDate: 0,
  };
  const server = createServer((request, response) => {
    const ok = request.headers["x-amz-target"] === "secretsmanager.GetSecretValue";
    request.resume().on("end", () => {
      response
        .writeHead(ok ? 200 : 400, { "content-type": "application/x-amz-json-1.1" })
        .end(JSON.stringify(ok ? secret : { __type: "InvalidRequestException" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
