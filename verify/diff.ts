// Structural comparison of JSON values, for messages that name the difference instead of dumping both
// documents: `Statement[ReadObjects].Action: unexpected ["s3:PutObject"]`.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === "string");

export const show = (value: unknown): string => (value === undefined ? "(absent)" : JSON.stringify(value));

/** The value with object keys sorted (recursively), so equal documents print and compare equal. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isObject(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((key) => value[key] !== undefined)
        .map((key) => [key, canonical(value[key])]),
    );
  }
  return value;
}

export const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/**
 * Every difference between `expected` and `found`, one message each, with its path.
 * Arrays of strings are compared as sets (policy actions, principals, resources); other arrays by position.
 */
export function differences(expected: unknown, found: unknown, path = ""): string[] {
  const at = path === "" ? "(document)" : path;
  if (isStringArray(expected) && isStringArray(found)) {
    const missing = [...new Set(expected)].filter((item) => !found.includes(item)).sort();
    const extra = [...new Set(found)].filter((item) => !expected.includes(item)).sort();
    const parts = [...(missing.length > 0 ? [`missing ${show(missing)}`] : []), ...(extra.length > 0 ? [`unexpected ${show(extra)}`] : [])];
    return parts.length === 0 ? [] : [`${at}: ${parts.join(", ")}`];
  }
  if (Array.isArray(expected) && Array.isArray(found)) {
    if (expected.length !== found.length) return [`${at}: expected ${show(canonical(expected))}, found ${show(canonical(found))}`];
    return expected.flatMap((item, index) => differences(item, found[index], `${path}[${index}]`));
  }
  if (isObject(expected) && isObject(found)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(found)])].sort();
    return keys.flatMap((key) => {
      const child = path === "" ? key : `${path}.${key}`;
      if (expected[key] === undefined && found[key] !== undefined) return [`${child}: unexpected ${show(canonical(found[key]))}`];
      if (expected[key] !== undefined && found[key] === undefined) return [`${child}: missing (expected ${show(canonical(expected[key]))})`];
      return differences(expected[key], found[key], child);
    });
  }
  return sameJson(expected, found) ? [] : [`${at}: expected ${show(canonical(expected))}, found ${show(canonical(found))}`];
}

/** A list turned into an object keyed by `keyOf`, so differences name the entry (`Statement[ReadObjects]`). */
export function keyed<T>(items: readonly T[], keyOf: (item: T, index: number) => string): Record<string, T> {
  const result: Record<string, T> = {};
  items.forEach((item, index) => {
    let key = keyOf(item, index);
    while (key in result) key = `${key}#${index}`;
    result[key] = item;
  });
  return result;
}
