/**
 * Node's compile cache, for a child given a bare environment, when the suite has one (vitest.config.ts
 * sets it): the child starts on half the CPU, and nothing it does depends on it.
 */
export const COMPILE_CACHE: Record<string, string> =
  process.env.NODE_COMPILE_CACHE === undefined ? {} : { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE };
