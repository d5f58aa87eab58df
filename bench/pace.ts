/**
 * Pace at Spot: the sandbox answers 429 past R requests per second (with and without `Retry-After`),
 * while the pipeline is configured to go faster. It should settle near R, dead-letter nothing and
 * apply every message. Reports the achieved rate next to R.
 *
 *   npx node bench/pace.ts [--messages 1000] [--limit 50] [--latency 20] [--rps 250] [--pollers 2]
 */
import { cpus } from "node:os";
import { fmt, numberFlag, runPipeline } from "./support/pipeline-run.ts";

const MESSAGES = numberFlag("messages", 1_000);
const LIMIT = numberFlag("limit", 50);
const LATENCY_MS = numberFlag("latency", 20);
const RPS = numberFlag("rps", 250);
const POLLERS = numberFlag("pollers", 2);
const TARGETS = { ofLimit: 0.8 };

const VARIANTS = [
  { name: "429 with Retry-After: 1", retryAfterSeconds: 1 },
  { name: "429 without Retry-After", retryAfterSeconds: undefined },
];

console.log(
  `pace benchmark: ${cpus().length} cores, Node ${process.version}; ${fmt(MESSAGES)} messages, Spot allows ${LIMIT}/s, pipeline configured for ${RPS}/s per instance, ${POLLERS} pollers, latency ${LATENCY_MS} ms`,
);
console.log(
  "\n| Spot's answer past the limit | applied | dead-lettered | messages/s | ÷ limit | calls | 429s | max accepted/s |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const variant of VARIANTS) {
  const run = await runPipeline({
    messages: MESSAGES,
    faults: {
      latencyMs: LATENCY_MS,
      rateLimit: {
        perSecond: LIMIT,
        ...(variant.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: variant.retryAfterSeconds }),
      },
    },
    handler: { concurrency: 10, requestsPerSecond: RPS },
    ledger: false,
    pollers: POLLERS,
    timeoutMs: Math.max(60_000, (MESSAGES / LIMIT) * 4_000),
  });
  const { tally } = run;
  const ok = tally.applied === MESSAGES && tally.deadLettered === 0;
  console.log(
    `| ${variant.name} | ${fmt(tally.applied)} | ${fmt(tally.deadLettered)} | ${fmt(run.messagesPerSecond, 1)} | ${fmt(run.messagesPerSecond / LIMIT, 2)} | ${fmt(run.calls)} | ${fmt(run.rateLimited)} | ${fmt(run.maxAcceptedPerSecond)} |${ok && run.finished ? "" : " MISSED: not every message applied"}`,
  );
}
console.log(
  `\ntargets: every message applied, none dead-lettered; the rate settles near the limit (≥ ${TARGETS.ofLimit * 100} % of it; Spot accepts at most ${LIMIT} in any of its windows)`,
);
