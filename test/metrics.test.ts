import { expect, it } from "vitest";
import { renderEmf } from "../lib/metrics.ts";

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
