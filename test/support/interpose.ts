/**
 * Puts a test between an object and one of its methods, chosen by name: to make a call of it slow,
 * or fail, without knowing what the method does. The name is a plain string, so a test keeps it in
 * one constant that follows a rename; a name the object has no method for throws at once, so a
 * renamed method never leaves a test interposing on nothing.
 */

/**
 * @param around runs in place of each call of `method`: `call` makes the real call (with the same
 *   arguments), `nth` counts the calls from 1.
 * @throws {TypeError} when the object has no method of that name
 */
export function interpose<T extends object>(
  target: T,
  method: string,
  around: (call: () => Promise<unknown>, nth: number) => Promise<unknown>,
): T {
  const original: unknown = Reflect.get(target, method);
  if (typeof original !== "function") throw new TypeError(`the object has no method "${method}"`);
  let calls = 0;
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property);
      if (property !== method) {
        // Bound to the object itself: its #private fields are not the proxy's.
        return typeof value === "function" ? value.bind(object) : value;
      }
      return (...args: unknown[]) => {
        calls += 1;
        return around(() => Promise.resolve(Reflect.apply(original, object, args)), calls);
      };
    },
  });
}
