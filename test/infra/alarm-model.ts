/**
 * A model of how CloudWatch evaluates the stack's alarms over one period, for the alarm tests: the
 * data points each metric has (none, when the service emitted nothing), the metric math the
 * template writes (`+`, `FILL(x, c)`, numbers, metric ids), and what the alarm does with a period
 * that has no value (`TreatMissingData`).
 *
 * What it takes from CloudWatch: arithmetic on a missing data point gives a missing data point (so
 * `a + b` has no value where `a` has none); `FILL(x, c)` gives `c` where `x` has none.
 */

/** One alarm as the template declares it. */
export interface AlarmProperties {
  AlarmName: string;
  MetricName?: string;
  Threshold: number;
  ComparisonOperator: string;
  TreatMissingData?: string;
  Metrics?: {
    Id: string;
    Expression?: string;
    ReturnData?: boolean;
    MetricStat?: { Metric: { MetricName: string; Dimensions?: { Name: string; Value: unknown }[] } };
  }[];
}

/**
 * The data points of one period, by metric name, or `<name>:<Operation>` for a metric with an
 * `Operation` dimension (DynamoDB's per-operation metrics). A metric not named has no data point.
 */
export type Period = Readonly<Record<string, number>>;

export type AlarmState = "ALARM" | "OK" | "INSUFFICIENT_DATA";

/** The state the alarm goes to after a period with these data points. */
export function evaluateAlarm(alarm: AlarmProperties, period: Period): AlarmState {
  const value = alarmValue(alarm, period);
  if (value === undefined) {
    if (alarm.TreatMissingData === "notBreaching") return "OK";
    if (alarm.TreatMissingData === "breaching") return "ALARM";
    return "INSUFFICIENT_DATA";
  }
  return breaches(value, alarm.ComparisonOperator, alarm.Threshold) ? "ALARM" : "OK";
}

/** The value the alarm compares with its threshold: its metric's, or its returned expression's. */
export function alarmValue(alarm: AlarmProperties, period: Period): number | undefined {
  if (alarm.MetricName !== undefined) return period[alarm.MetricName];
  const metrics = alarm.Metrics ?? [];
  const returned = metrics.filter((m) => m.ReturnData !== false && m.Expression !== undefined);
  if (returned.length !== 1 || returned[0]?.Expression === undefined) {
    throw new Error(`${alarm.AlarmName}: expected one returned expression`);
  }
  const values: Record<string, number | undefined> = {};
  for (const metric of metrics) {
    if (metric.MetricStat === undefined) continue;
    const { MetricName, Dimensions = [] } = metric.MetricStat.Metric;
    const operation = Dimensions.find((d) => d.Name === "Operation")?.Value;
    values[metric.Id] = period[operation === undefined ? MetricName : `${MetricName}:${String(operation)}`];
  }
  return evaluateExpression(returned[0].Expression, values);
}

function breaches(value: number, operator: string, threshold: number): boolean {
  switch (operator) {
    case "GreaterThanThreshold":
      return value > threshold;
    case "GreaterThanOrEqualToThreshold":
      return value >= threshold;
    case "LessThanThreshold":
      return value < threshold;
    case "LessThanOrEqualToThreshold":
      return value <= threshold;
    default:
      throw new Error(`unknown comparison operator ${operator}`);
  }
}

/**
 * Evaluates the metric math the stack writes: sums of terms, each a metric id, a number or
 * `FILL(term, number)`. Anything else is an error, so a new construct is modelled before it is trusted.
 */
export function evaluateExpression(
  expression: string,
  values: Readonly<Record<string, number | undefined>>,
): number | undefined {
  const tokens = expression.match(/[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|[()+,]/g) ?? [];
  if (tokens.join("") !== expression.replace(/\s+/g, "")) throw new Error(`cannot model ${expression}`);
  let at = 0;
  const take = (expected?: string): string => {
    const token = tokens[at++];
    if (token === undefined || (expected !== undefined && token !== expected)) {
      throw new Error(`cannot model ${expression}: expected ${expected ?? "a term"} at token ${at}`);
    }
    return token;
  };
  const term = (): number | undefined => {
    const token = take();
    if (/^\d/.test(token)) return Number(token);
    if (token === "FILL") {
      take("(");
      const filled = term();
      take(",");
      const fill = Number(take());
      take(")");
      return filled ?? fill;
    }
    if (!(token in values)) throw new Error(`cannot model ${expression}: unknown id ${token}`);
    return values[token];
  };
  let sum = term();
  while (at < tokens.length) {
    take("+");
    const next = term();
    sum = sum === undefined || next === undefined ? undefined : sum + next;
  }
  return sum;
}
