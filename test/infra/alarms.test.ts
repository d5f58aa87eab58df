/**
 * Each alarm fires when its condition holds, fed the data points CloudWatch would see then (a
 * service emits some metrics only when something happens), and stays OK when nothing happens.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type AlarmProperties, evaluateAlarm, evaluateExpression, type Period } from "./alarm-model.ts";
import { cleanUp, templateOf } from "./synth.ts";

afterAll(cleanUp);

const PREFIX = "spot-order-metadata";

/**
 * Per alarm (its name after the prefix): the data points of a period in which its condition holds,
 * at the default thresholds. Only what the service would emit then has a value.
 */
const CONDITION_HOLDS: Readonly<Record<string, readonly [string, Period][]>> = {
  "dlq-not-empty": [["one message in the DLQ", { ApproximateNumberOfMessagesVisible: 1 }]],
  "oldest-message-too-old": [["a message older than an hour", { ApproximateAgeOfOldestMessage: 3601 }]],
  "function-errors": [["one failed invocation", { Errors: 1 }]],
  "function-throttles": [["one throttled invocation", { Throttles: 1 }]],
  "systemic-failures": [["one systemic failure", { SystemicFailures: 1 }]],
  "handed-back-too-long": [
    ["a hand-back first enqueued over an hour ago", { OldestHandBackAgeSeconds: 3601 }],
  ],
  "dlq-message-too-old": [["a DLQ message over 3 days old", { ApproximateAgeOfOldestMessage: 259_201 }]],
  "recursive-loop-dropped": [["one dropped loop", { RecursiveInvocationsDropped: 1 }]],
  "ledger-throttles": [
    // The hot path makes no GetItem: DynamoDB emits nothing for it.
    ["UpdateItem throttled, no GetItem at all", { "ThrottledRequests:UpdateItem": 2 }],
    ["GetItem throttled, no UpdateItem at all", { "ThrottledRequests:GetItem": 1 }],
    ["both throttled", { "ThrottledRequests:GetItem": 1, "ThrottledRequests:UpdateItem": 1 }],
  ],
  "ledger-errors": [
    ["UpdateItem failed, no GetItem at all", { "SystemErrors:UpdateItem": 1 }],
    ["GetItem failed, no UpdateItem at all", { "SystemErrors:GetItem": 1 }],
  ],
  "spot-drift": [["one drifted answer", { Drift: 1 }]],
};

/** The alarms of the default stack, by name after the prefix. */
function alarmsOf(settings: Record<string, unknown> = {}): Record<string, AlarmProperties> {
  const resources = templateOf(settings).findResources("AWS::CloudWatch::Alarm");
  return Object.fromEntries(
    Object.values(resources).map(({ Properties }) => [
      String(Properties.AlarmName).slice(PREFIX.length + 1),
      Properties as AlarmProperties,
    ]),
  );
}

describe("the alarms", () => {
  const alarms = alarmsOf();
  const cases = Object.entries(CONDITION_HOLDS).flatMap(([name, periods]) =>
    periods.map(([when, period]) => [name, when, period] as const),
  );

  it("are each fed a period in which their condition holds, here", () => {
    expect(Object.keys(alarms).sort()).toStrictEqual(Object.keys(CONDITION_HOLDS).sort());
  });

  it.each(cases)("%s fires: %s", (name, _when, period) => {
    expect(evaluateAlarm(alarms[name] as AlarmProperties, period)).toBe("ALARM");
  });

  it.each(Object.keys(CONDITION_HOLDS))("%s stays OK when nothing happens (no data point at all)", (name) => {
    // Prepare
    const alarm = alarms[name] as AlarmProperties;

    // Assess: missing data means nothing happened, so it is not breaching.
    expect(alarm.TreatMissingData).toBe("notBreaching");
    expect(evaluateAlarm(alarm, {})).toBe("OK");
  });

  it.each(["ledger-throttles", "ledger-errors"])("%s fills each term of its math with 0", (name) => {
    // Prepare
    const metrics = (alarms[name] as AlarmProperties).Metrics ?? [];
    const ids = metrics.filter((m) => m.MetricStat !== undefined).map((m) => m.Id);
    const [expression] = metrics.flatMap((m) => (m.Expression === undefined ? [] : [m.Expression]));

    // Assess
    expect(ids).toHaveLength(2);
    expect(expression).toBe(ids.map((id) => `FILL(${id}, 0)`).join(" + "));
  });
});

describe("the alarm model", () => {
  it("has no value for a sum whose terms are not all there, as CloudWatch: why the ledger's alarms FILL", () => {
    expect(evaluateExpression("getitem + updateitem", { getitem: undefined, updateitem: 2 })).toBeUndefined();
    expect(
      evaluateExpression("FILL(getitem, 0) + FILL(updateitem, 0)", { getitem: undefined, updateitem: 2 }),
    ).toBe(2);
    expect(evaluateExpression("FILL(a, 0) + FILL(b, 0)", { a: undefined, b: undefined })).toBe(0);
  });

  it("refuses metric math it does not model", () => {
    expect(() => evaluateExpression("MAX(METRICS())", {})).toThrow(/cannot model/);
  });
});
