/**
 * The counts and names docs/deploying.md and docs/cost.md give match the synthesized template and
 * the handler's metrics, so a new alarm or metric cannot leave the docs behind.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { MetricName } from "../../lib/lambda/metrics.ts";
import { cleanUp, templateOf } from "../infra/synth.ts";

afterAll(cleanUp);

const PREFIX = "spot-order-metadata";
/** A page with its line breaks and runs of spaces as single spaces, as it reads. */
const read = (path: string) => readFileSync(path, "utf8").replace(/\s+/g, " ");

function alarmNames(settings: Record<string, unknown> = {}): string[] {
  const alarms = templateOf(settings).findResources("AWS::CloudWatch::Alarm");
  return Object.values(alarms)
    .map(({ Properties }) => String(Properties.AlarmName).replace(`${PREFIX}-`, "<prefix>-"))
    .sort();
}

describe("docs/deploying.md", () => {
  const page = read("docs/deploying.md");
  const withLedger = alarmNames();
  const withoutLedger = alarmNames({ ledger: false });

  it("lists every alarm of the template in its table, and no other", () => {
    const rows = [...page.matchAll(/\| `(<prefix>-[a-z-]+)` \|/g)].map(([, name]) => name).sort();
    expect(rows, "the alarms table of docs/deploying.md").toStrictEqual(withLedger);
  });

  it("counts them as the template does, with and without the ledger", () => {
    const counted = `${withLedger.length} alarms (${withoutLedger.length} without the ledger)`;
    expect(page, `docs/deploying.md should say "${counted}"`).toContain(counted);
    expect(page).toContain(`${withLedger.length} alarms, ${withoutLedger.length} without the ledger`);
  });

  it("names the dashboard as the template does", () => {
    const dashboards = templateOf().findResources("AWS::CloudWatch::Dashboard");
    expect(JSON.stringify(Object.values(dashboards)[0]?.Properties.DashboardName)).toContain(`"${PREFIX}-"`);
    expect(page).not.toMatch(/`<prefix>` dashboard/);
    expect(page).toContain("the dashboard `<prefix>-<region>`");
  });
});

describe("docs/cost.md", () => {
  const page = read("docs/cost.md");

  it("counts the custom metrics the handler emits: those of lib/lambda/metrics.ts and ColdStart", () => {
    const named = Object.keys(MetricName).length;
    const counted = `at most ${named + 1}: the ${named} of \`lib/lambda/metrics.ts\``;
    expect(page, `docs/cost.md should say "${counted}"`).toContain(counted);
  });

  it("counts the alarms as the template has them", () => {
    expect(page).toContain(`${alarmNames().length} alarms`);
  });
});
