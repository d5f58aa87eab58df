/**
 * The function's environment, built with the handler's own `toEnvironment` so the stack and the
 * handler's validation cannot drift. Some values (the DLQ's URL, the secret's ARN, the table's name)
 * are CloudFormation tokens until deploy time; they are validated through a stand-in of the same
 * shape and put back afterwards.
 */
import { Token } from "aws-cdk-lib";
import {
  envName,
  type HandlerConfig,
  type HandlerConfigInput,
  readConfig,
  toEnvironment,
} from "../lib/lambda/config.ts";
import { ConfigError } from "../lib/lambda/errors.ts";

/** Passes every check a string setting has here (a URL, non-empty), as a deploy-time value will. */
const TOKEN_STAND_IN = "https://token.invalid/stand-in";

/**
 * Renders handler settings as the `SPOT_META_*` environment, tokens included.
 * @throws {ConfigError} when the settings would not pass the handler's `readConfig`.
 */
export function handlerEnvironment(settings: HandlerConfigInput): Record<string, string> {
  const tokens = new Map<keyof HandlerConfig, string>();
  const checkable: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (typeof value === "string" && Token.isUnresolved(value)) {
      tokens.set(key as keyof HandlerConfig, value);
      checkable[key] = TOKEN_STAND_IN;
    } else {
      checkable[key] = value;
    }
  }
  const env = toEnvironment(checkable as HandlerConfigInput);
  for (const [key, token] of tokens) env[envName(key)] = token;
  return env;
}

/**
 * What the handler would read from these settings (tokens stood in for), or the problems it would
 * report; used to check the stack's settings against the handler's at synth time.
 */
export function handlerSettingsStandIn(settings: HandlerConfigInput): HandlerConfig | ConfigError {
  try {
    return readConfig(handlerEnvironmentForCheck(settings));
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

function handlerEnvironmentForCheck(settings: HandlerConfigInput): Record<string, string> {
  const env = handlerEnvironment(settings);
  for (const [name, value] of Object.entries(env)) {
    if (Token.isUnresolved(value)) env[name] = TOKEN_STAND_IN;
  }
  return env;
}
