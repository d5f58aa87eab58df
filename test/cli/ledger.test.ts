/**
 * lib/cli/shared/ledger.ts: the one rule by which every command finds the applied-updates ledger.
 * What a person names wins (the flag, the variable, the outputs file); the running dev stack's
 * ledger goes only with the dev stack's queues, or with a command that uses no queue.
 */
import { afterEach, describe, expect, it } from "vitest";
import { resolveLedger } from "../../lib/cli/shared/ledger.ts";
import { TARGET_ORIGINS } from "../../lib/cli/shared/target.ts";
import { writeDevState } from "../../lib/local/dev-state.ts";
import { type TempDir, tempDir } from "../tools/csv-import/support/files.ts";

let dir: TempDir | undefined;
afterEach(() => dir?.remove());

/** A dev stack's state file that announces a ledger, as a running `spot-meta dev` writes it. */
function devStack(): string {
  dir = tempDir();
  const devStateFile = `${dir.path}/dev.json`;
  writeDevState(
    {
      pid: process.pid,
      sqsEndpoint: "http://127.0.0.1:4566",
      region: "us-east-1",
      queueUrl: "http://127.0.0.1:4566/000000000000/q",
      dlqUrl: "http://127.0.0.1:4566/000000000000/dlq",
      sandboxUrl: "http://127.0.0.1:4567",
      sandboxToken: "local",
      ledgerEndpoint: "http://127.0.0.1:4568",
      ledgerTable: "dev-ledger",
    },
    devStateFile,
  );
  return devStateFile;
}

describe("resolveLedger", () => {
  it("takes what a person names first: --ledger-table, then SPOT_META_LEDGER_TABLE, then --outputs", () => {
    // Prepare
    const devStateFile = devStack();
    const outputs = dir?.write(
      "out.json",
      JSON.stringify({ Stack: { QueueUrl: "q", LedgerTableName: "out" } }),
    );
    const env = { SPOT_META_LEDGER_TABLE: "from-env" };

    // Act
    const flag = resolveLedger({ ledgerTable: "flag", outputs }, TARGET_ORIGINS.dev, { env, devStateFile });
    const variable = resolveLedger({ outputs }, TARGET_ORIGINS.dev, { env, devStateFile });
    const fromOutputs = resolveLedger({ outputs, region: "eu-west-1" }, TARGET_ORIGINS.dev, {
      env: { SPOT_META_LEDGER_TABLE: "" },
      devStateFile,
    });

    // Assess
    expect(flag).toStrictEqual({ ledgerTable: "flag", outputs, origin: "--ledger-table" });
    expect(variable).toStrictEqual({
      ledgerTable: "from-env",
      region: undefined,
      origin: "SPOT_META_LEDGER_TABLE",
    });
    expect(fromOutputs).toStrictEqual({ ledgerTable: "out", region: "eu-west-1", origin: "--outputs" });
  });

  it("discovers the dev stack's ledger with its queues, or for a command that uses none", () => {
    const devStateFile = devStack();
    const dev = {
      ledgerTable: "dev-ledger",
      ledgerEndpointUrl: "http://127.0.0.1:4568",
      region: "us-east-1",
      origin: "spot-meta dev",
    };

    expect(resolveLedger({}, TARGET_ORIGINS.dev, { env: {}, devStateFile })).toStrictEqual(dev);
    expect(resolveLedger({}, undefined, { env: {}, devStateFile })).toStrictEqual(dev);
  });

  it("never pairs the dev stack's ledger with queues a person named: their updates never reach it", () => {
    const devStateFile = devStack();

    for (const origin of [TARGET_ORIGINS.flag, TARGET_ORIGINS.env, TARGET_ORIGINS.outputs, "--dlq-url"]) {
      expect(resolveLedger({}, origin, { env: {}, devStateFile })).toBeUndefined();
    }
  });
});
