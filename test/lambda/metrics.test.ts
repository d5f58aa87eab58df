import { expect, it } from "vitest";
import { addCounts, createMetrics, type EmfDocument } from "../../lib/lambda/metrics.ts";

const NOW = Date.now();

/** Flushes the counts through a store, as the middleware does after an invocation. */
function flushed(counts: Parameters<typeof addCounts>[1]): EmfDocument[] {
  const documents: EmfDocument[] = [];
  const metrics = createMetrics("SpotOrderMetadata", "fn", (document) => documents.push(document));
  metrics.setTimestamp(NOW);
  addCounts(metrics, counts);
  metrics.publishStoredMetrics();
  return documents;
}

it("flushes counts as one Embedded Metric Format document with the Service dimension", () => {
  expect(flushed({ Applied: 3, DeadLettered: 1 })).toStrictEqual([
    {
      _aws: {
        Timestamp: NOW,
        CloudWatchMetrics: [
          {
            Namespace: "SpotOrderMetadata",
            Dimensions: [["Service"]],
            Metrics: [
              { Name: "Applied", Unit: "Count" },
              { Name: "DeadLettered", Unit: "Count" },
            ],
          },
        ],
      },
      Service: "fn",
      Applied: 3,
      DeadLettered: 1,
    },
  ]);
});

it("gives the pace its rate unit and the age its seconds; the rest are counts", () => {
  const [document] = flushed({ Refused: 2, PacePerSecond: 12.5, OldestHandBackAgeSeconds: 40 });
  expect(document?._aws.CloudWatchMetrics[0]?.Metrics).toStrictEqual([
    { Name: "Refused", Unit: "Count" },
    { Name: "PacePerSecond", Unit: "Count/Second" },
    { Name: "OldestHandBackAgeSeconds", Unit: "Seconds" },
  ]);
});

it("keeps each store's counts apart and empties a store when it is flushed", () => {
  const documents: EmfDocument[] = [];
  const first = createMetrics("SpotOrderMetadata", "fn", (document) => documents.push(document));
  const second = createMetrics("SpotOrderMetadata", "fn", (document) => documents.push(document));
  addCounts(first, { Applied: 1 });
  addCounts(second, { Applied: 5 });
  first.publishStoredMetrics();
  first.publishStoredMetrics(); // nothing left: no second document
  second.publishStoredMetrics();
  expect(documents.map((document) => document.Applied)).toStrictEqual([1, 5]);
});
