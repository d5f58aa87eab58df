/**
 * Spot's order as its API returns it (`OrderFull`, see docs/spot-api.md).
 *
 * Strict where this project relies on the response (`order_id`, `status`, `metadata`, and the
 * presence of the documented top-level fields), loose below that: every object accepts keys it does
 * not know, and fields we never read may be null or absent. So a harmless addition by Spot passes,
 * while a changed or broken response (another shape, a renamed field) is noticed.
 */

import * as z from "zod";
import { fnv1a } from "../fnv1a.ts";

const ORDER_STATUSES = ["pending", "in_progress", "completed", "canceled"] as const;
type OrderStatus = (typeof ORDER_STATUSES)[number];

/** A string we do not read: tolerated as string, null or absent. */
const text = z.string().nullish();
const timestamp = z.string().min(1);

const eventSchema = z.looseObject({ status: z.string(), created: timestamp });
const shipmentSchema = z.looseObject({ tracking_number: text, carrier: text, created: text });

const resultSchema = z.looseObject({
  result_type: text,
  name: text,
  time_collected: text,
  result: z.union([z.string(), z.number(), z.boolean()]).nullish(),
  unit_of_measure: text,
  range_minimum: z.number().nullish(),
  range_maximum: z.number().nullish(),
  comments: text,
});

const reportSchema = z.looseObject({
  report_id: text,
  results: z.array(resultSchema).optional(),
  pdf: text,
  txt: text,
  date_collected: text,
  date_received: text,
  date_resulted: text,
  is_amendment: z.boolean().nullish(),
});

const sampleSchema = z.looseObject({
  sample_id: text,
  status: text,
  events: z.array(eventSchema).optional(),
  type: text,
  shipments: z.array(shipmentSchema).optional(),
  panels: z.array(z.string()).optional(),
  reports: z.array(reportSchema).optional(),
});

const kitSchema = z.looseObject({
  kit_id: z.string(),
  type: text,
  status: text,
  events: z.array(eventSchema).optional(),
  shipment_to_customer: shipmentSchema.nullish(),
  registered_to: z
    .looseObject({
      patient_id: text,
      first_name: text,
      last_name: text,
      date_of_birth: text,
      sex: text,
      email: text,
      phone: text,
    })
    .nullish(),
  sample: sampleSchema.nullish(),
});

const recipientSchema = z.looseObject({
  first_name: text,
  last_name: text,
  email: text,
  phone: text,
  address: z
    .looseObject({ street1: text, street2: text, city: text, state: text, country: text, zip: text })
    .nullish(),
});

/** Spot's full order. Parse responses with it; `seedOrder` builds one. */
export const orderFullSchema = z.looseObject({
  order_id: z.string().min(1),
  status: z.enum(ORDER_STATUSES),
  recipient: recipientSchema,
  kit_types: z.array(z.string()),
  kits: z.array(kitSchema),
  created: timestamp,
  updated: timestamp,
  /** As stored now; null when the order never had any. */
  metadata: z.record(z.string(), z.json()).nullable(),
});

export type OrderFull = z.infer<typeof orderFullSchema>;
export type OrderMetadata = NonNullable<OrderFull["metadata"]>;

/** What `seedOrder` lets a caller fix; everything else is made up from the publicId. */
export interface SeedOrderOverrides {
  status?: OrderStatus;
  metadata?: OrderMetadata | null;
  created?: string;
  updated?: string;
}

const FIRST_NAMES = ["Alice", "Bruno", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana"];
const LAST_NAMES = ["Smith", "Okafor", "Nguyen", "Kowalski", "Haddad", "Silva", "Tanaka", "Moreau"];
const CITIES = [
  ["San Francisco", "CA", "94105"],
  ["Austin", "TX", "73301"],
  ["Denver", "CO", "80202"],
  ["Boston", "MA", "02108"],
] as const;
const SEED_TIME = "2023-01-01T04:30:11.222Z";

/**
 * Builds a realistic order shaped like the seed page's example, with made-up data derived from the
 * publicId (the same id always gives the same order), so the sandbox answers like Spot would.
 */
export function seedOrder(publicId: string, overrides: SeedOrderOverrides = {}): OrderFull {
  const n = fnv1a(publicId);
  const first = pick(FIRST_NAMES, n);
  const last = pick(LAST_NAMES, n >>> 3);
  const [city, state, zip] = pick(CITIES, n >>> 6);
  const email = `${first}.${last}${n % 1000}@example.com`.toLowerCase();
  const phone = `555${String(n % 10_000_000).padStart(7, "0")}`;
  const kitId = `SPOT${String(n % 1_000_000).padStart(6, "0")}`;
  const sampleId = `SPOT${String((n >>> 4) % 1_000_000).padStart(6, "0")}`;
  const tracking = `9400${String(n).padStart(10, "0")}00000000`;
  const created = overrides.created ?? SEED_TIME;
  const event = (status: string, day: number) => ({ status, created: `2023-01-${pad2(day)}T04:30:11.222Z` });
  return {
    order_id: publicId,
    status: overrides.status ?? "pending",
    recipient: {
      first_name: first,
      last_name: last,
      email,
      phone,
      address: { street1: `${(n % 900) + 100} Main St`, street2: "Apt 1", city, state, country: "US", zip },
    },
    kit_types: ["health_kit_1"],
    kits: [
      {
        kit_id: kitId,
        type: "health_kit_1",
        status: "preparing",
        events: [
          event("preparing", 1),
          event("in_transit", 5),
          event("delivered", 6),
          event("registered", 7),
        ],
        shipment_to_customer: { tracking_number: tracking, carrier: "usps", created: SEED_TIME },
        registered_to: {
          patient_id: fakeUuid(n),
          first_name: first,
          last_name: last,
          date_of_birth: "1990-01-01",
          sex: n % 2 === 0 ? "F" : "M",
          email,
          phone,
        },
        sample: {
          sample_id: sampleId,
          status: "awaiting_collection",
          events: [event("awaiting_collection", 1)],
          type: "adx100",
          shipments: [{ tracking_number: tracking, carrier: "usps", created: SEED_TIME }],
          panels: ["PANEL-123"],
          reports: [],
        },
      },
    ],
    created,
    updated: overrides.updated ?? created,
    metadata: overrides.metadata ?? null,
  };
}

function pick<T>(items: readonly T[], n: number): T {
  return items[n % items.length] as T;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

function fakeUuid(n: number): string {
  const hex = n.toString(16).padStart(8, "0");
  return `${hex}-0000-4000-8000-${hex}0000`;
}
