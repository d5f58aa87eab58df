/**
 * The ordering protocol, model-checked: fast-check drives attempts at 2-4 versions of one order (some
 * delivered twice) through admission, Spot's answers, writes landing late, the ledger's record,
 * settle and release, crashes and the clock, against the real DynamoLedger on the embedded DynamoDB
 * with a fake clock; a reference model of Spot checks the protocol's promise after every step and at
 * the end (./protocol-model.ts states it).
 *
 * A fixed seed in `npm test`: 40 runs (~3 s), past the last run at which a deliberate break of the
 * protocol was caught (36, docs/ordering.md); CI plays 400 runs of the same seed, of which these 40
 * are the first. `LEDGER_MODEL_RUNS=1000` draws more, from a fresh seed unless `LEDGER_MODEL_SEED`
 * gives one. A failure prints its seed, path and replayPath, and the story
 * of the shrunk run; `LEDGER_MODEL_SEED`, `LEDGER_MODEL_PATH` and `LEDGER_MODEL_REPLAY` replay it.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import fc from "fast-check";
import { afterAll, beforeAll, it } from "vitest";
import { compareVersions, versionKey } from "../../../lib/lambda/processor/version.ts";
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from "../../../lib/local/embedded-dynamodb.ts";
import { type Answer, LATE_WRITE_MS, MAX_CALL_MS, type Scenario, World } from "./protocol-model.ts";

const DEFAULT_RUNS = 40;
const DEFAULT_SEED = 20261207;
/**
 * A run takes ~0.08 s of CPU; the timeout leaves room for shrinking a failure, and for a machine whose
 * cores are shared with a dozen busy processes (100 runs took over 100 s there).
 */
const MS_PER_RUN = 3_000;

const { LEDGER_MODEL_RUNS, LEDGER_MODEL_SEED, LEDGER_MODEL_PATH, LEDGER_MODEL_REPLAY } = process.env;
const runs = LEDGER_MODEL_RUNS === undefined ? DEFAULT_RUNS : Number(LEDGER_MODEL_RUNS);
const seed =
  LEDGER_MODEL_SEED !== undefined
    ? Number(LEDGER_MODEL_SEED)
    : LEDGER_MODEL_RUNS === undefined
      ? DEFAULT_SEED
      : undefined;

/** 2-4 versions of one order, oldest first; two may share an `issuedAt`, told apart by the tie-break. */
const versions = fc
  .uniqueArray(
    fc.record({
      issuedAt: fc.integer({ min: 1_795_000_000_000, max: 1_795_000_000_002 }),
      tieBreak: fc.integer({ min: 0, max: 1 }),
    }),
    { minLength: 2, maxLength: 4, selector: versionKey },
  )
  .map((drawn) => drawn.toSorted(compareVersions));

/** One message per version, and up to three copies of some (SQS duplicates, replays). */
const scenarios: fc.Arbitrary<Scenario> = fc
  .record({ versions, copies: fc.array(fc.nat(), { maxLength: 3 }) })
  .map(({ versions, copies }) => ({
    versions,
    messages: [...versions.keys(), ...copies.map((copy) => copy % versions.length)],
  }));

type Step = fc.AsyncCommand<World, undefined>;

/** A step on the world; `check` says whether it applies in the world's state (fast-check skips it if not). */
function step(label: string, check: (world: World) => boolean, run: (world: World) => unknown): Step {
  return { check, run: async (world) => void (await run(world)), toString: () => label };
}

/** The `i`-th of the candidates, round the list. */
const pick = (candidates: number[], i: number) => candidates[i % candidates.length] as number;

const deliver = fc
  .record({ message: fc.nat(), callMs: fc.integer({ min: 1, max: MAX_CALL_MS }) })
  .map(({ message, callMs }) =>
    step(
      `deliver(${message}, ${callMs} ms)`,
      (world) => world.idle().length > 0,
      (world) => world.deliver(pick(world.idle(), message), callMs),
    ),
  );
const land = fc.nat().map((write) =>
  step(
    `land(${write})`,
    (world) => world.pending.length > 0,
    (world) => world.land(write % world.pending.length),
  ),
);
const answer = fc
  .record({
    attempt: fc.nat(),
    kind: fc.constantFrom<Answer>("ok", "okEarlier", "uncertain", "refused"),
  })
  .map(({ attempt, kind }) =>
    step(
      `answer(${attempt}, ${kind})`,
      (world) => {
        const calling = world.calling();
        // A refusal means nothing was written: not once the write has landed.
        return calling.length > 0 && (kind !== "refused" || world.unlanded(pick(calling, attempt)));
      },
      (world) => world.answer(pick(world.calling(), attempt), kind),
    ),
  );
const tell = fc.record({ attempt: fc.nat(), ownFailure: fc.boolean() }).map(({ attempt, ownFailure }) =>
  step(
    `tell(${attempt}${ownFailure ? ", own failure" : ""})`,
    (world) => world.answered().length > 0,
    (world) => world.tell(pick(world.answered(), attempt), ownFailure),
  ),
);
const crash = fc.nat().map((attempt) =>
  step(
    `crash(${attempt})`,
    (world) => world.working().length > 0,
    (world) => world.crash(pick(world.working(), attempt)),
  ),
);
const advance = fc
  .record({
    // Mostly within one window, W and W + 1 often: the edges of a write's last moment and of the
    // order's reopening; now and then past a whole hold.
    ms: fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: LATE_WRITE_MS }), weight: 2 },
      { arbitrary: fc.constantFrom(LATE_WRITE_MS, LATE_WRITE_MS + 1), weight: 1 },
      { arbitrary: fc.integer({ min: 1, max: MAX_CALL_MS + LATE_WRITE_MS + 10 }), weight: 1 },
    ),
    landMask: fc.nat(),
  })
  .map(({ ms, landMask }) =>
    step(
      `advance(${ms} ms, lands ${landMask.toString(2)})`,
      () => true,
      (world) => world.advance(ms, landMask),
    ),
  );

/** The clock runs to the end of the order's hold, or just past it (a holder too slow to keep it). */
const lapse = fc.record({ past: fc.boolean(), landMask: fc.nat() }).map(({ past, landMask }) =>
  step(
    `lapse(${past ? "past" : "to"} the hold, lands ${landMask.toString(2)})`,
    (world) => world.holdUntil !== undefined && world.holdUntil + Number(past) > world.now,
    (world) => world.advance((world.holdUntil ?? 0) + Number(past) - world.now, landMask),
  ),
);

/**
 * Crashes and stray landings are rarer than the protocol's own moves. Long runs: a slow holder
 * overtaken after its hold lapsed takes five or six steps in the right order, and 80-step runs found
 * it in fewer runs, for the time, than 30- or 50-step ones.
 */
const steps = fc.commands(
  [deliver, deliver, deliver, answer, answer, tell, tell, advance, advance, lapse, lapse, land, crash],
  {
    maxCommands: 80,
    size: "max",
    ...(LEDGER_MODEL_REPLAY === undefined ? {} : { replayPath: LEDGER_MODEL_REPLAY }),
  },
);

let db: EmbeddedDynamoDb;
let client: DynamoDBClient;
let orders = 0;

beforeAll(async () => {
  db = await startEmbeddedDynamoDb();
  client = db.client();
});
afterAll(async () => {
  client.destroy();
  await db.stop();
});

it(
  "keeps one write of an order in flight at a time, and ends with its newest update in Spot and the ledger",
  async () => {
    await fc.assert(
      fc.asyncProperty(scenarios, steps, fc.nat(), async (scenario, commands, landMask) => {
        // Prepare
        const world = new World(scenario, { client, table: db.table }, `M${++orders}`);

        // Act (each step checks the promise as it goes; the world holds the real ledger beside the model)
        await fc.asyncModelRun(() => ({ model: world, real: undefined }), commands);
        await world.drain(landMask);

        // Assess
        await world.assessEnd();
      }),
      {
        numRuns: runs,
        ...(seed === undefined ? {} : { seed }),
        ...(LEDGER_MODEL_PATH === undefined ? {} : { path: LEDGER_MODEL_PATH }),
      },
    );
  },
  Math.max(30_000, runs * MS_PER_RUN),
);
