import { expect, it } from "vitest";
import { renderEmf } from "../../lib/lambda/metrics.ts";

it("renders counts as an Embedded Metric Format document with the Service dimension", () => {
  expect(JSON.parse(renderEmf("SpotOrderMetadata", "fn", { Applied: 3, DeadLettered: 1 }, 42))).toStrictEqual(
    {
      _aws: {
        Timestamp: 42,
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
  );
});

it("gives the pace its rate unit and the age its seconds; the rest are counts", () => {
  const document = JSON.parse(
    renderEmf(
      "SpotOrderMetadata",
      "fn",
      { Refused: 2, PacePerSecond: 12.5, OldestHandBackAgeSeconds: 40 },
      42,
    ),
  );
  expect(document._aws.CloudWatchMetrics[0].Metrics).toStrictEqual([
    { Name: "Refused", Unit: "Count" },
    { Name: "PacePerSecond", Unit: "Count/Second" },
    { Name: "OldestHandBackAgeSeconds", Unit: "Seconds" },
  ]);
});
