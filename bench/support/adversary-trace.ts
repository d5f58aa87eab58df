/**
 * What happened to the orders a failing run names, for whoever reads the failure: each update sent
 * (with what makes it special), each POST Spot saw for the order, and each letter of the run.
 * `npm run property -- --trace` prints it under the failing scenario.
 */
import type { LocalStack } from "../../lib/local/local-stack.ts";
import type { Observed } from "./adversary-judge.ts";
import type { Produced } from "./adversary-produce.ts";

const ORDER_IN_PROBLEM = /\b(?:O\d{7}|ZUNKNOWN\d|ZRUN\d{4})\b/g;

/** The trace of every order the problems name, one line per event. */
export function traceProblems(
  problems: string[],
  produced: Produced,
  observed: Observed,
  stack: LocalStack,
): string[] {
  const orders = [...new Set(problems.flatMap((problem) => problem.match(ORDER_IN_PROBLEM) ?? []))];
  const posts = stack.sandbox.requests.filter((r) => r.method === "POST");
  const t0 = posts[0]?.receivedAt ?? Date.now();
  const at = (ms: number | undefined) => (ms === undefined ? "-" : `+${ms - t0}ms`);
  const lines: string[] = [];
  for (const publicId of orders) {
    lines.push(`${publicId}:`);
    for (const sent of produced.sent.filter((s) => s.publicId === publicId)) {
      const { metadata, version, ...flags } = sent;
      const rest = JSON.stringify({ ...flags, publicId: undefined });
      lines.push(`  sent ${JSON.stringify(metadata)} issuedAt ${at(version.issuedAt)} ${rest}`);
    }
    for (const r of posts.filter((p) => p.publicId === publicId)) {
      lines.push(
        `  POST ${at(r.receivedAt)} ${JSON.stringify(r.metadata)} fault ${r.fault ?? "-"} status ${r.status ?? "-"} answered ${at(r.answeredAt)} committed ${at(r.committedAt)}`,
      );
    }
    const letters = [
      ...observed.replayed.map((l) => ({ l, where: "replayed" })),
      ...observed.final.map((l) => ({ l, where: "final" })),
    ];
    for (const { l, where } of letters) {
      if (!l.body.includes(publicId)) continue;
      const f = l.failure;
      lines.push(
        `  letter (${where}) ${l.body} ${f?.reasonClass ?? "unclassified"} ${f?.status ?? ""} ${f?.reason ?? ""} attempts ${f?.attempts ?? "-"}`,
      );
    }
  }
  return lines;
}
