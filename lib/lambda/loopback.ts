/** Whether a URL points at this machine: the only place plain http, or placeholder credentials, are fine. */
export function isLoopbackUrl(url: string | URL): boolean {
  try {
    return ["localhost", "127.0.0.1", "[::1]"].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}
