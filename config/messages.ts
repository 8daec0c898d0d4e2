// How config errors quote values and suggest names. Every value a message quotes goes through `show`,
// which redacts what may be a credential: URL userinfo, query and fragment.
import { closest, distance } from "fastest-levenshtein";

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * `https://token@host/x?sig=1#f` -> `https://***@host/x?***`. Works on text, not on a parsed URL, so an
 * unparsable value is redacted too. Everything up to the last `@` is userinfo (a password may hold `/`
 * or `@`); `git` alone is kept, as it names the SSH user, not a secret.
 */
export function redact(text: string): string {
  const scheme = SCHEME_RE.exec(text)?.[0] ?? "";
  let rest = text.slice(scheme.length);
  const at = rest.lastIndexOf("@");
  if (at >= 0) rest = `${rest.slice(0, at) === "git" ? "git" : "***"}${rest.slice(at)}`;
  const query = rest.search(/[?#]/);
  if (query >= 0 && (scheme !== "" || at >= 0)) rest = `${rest.slice(0, query + 1)}***`;
  return scheme + rest;
}

/** A value as a message quotes it: JSON, with every string in it redacted. */
export const show = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === "string" ? redact(v) : v)) ?? String(value);

/** The known name closest to a mistyped one, when it is close enough to be what was meant. Case is
 * ignored (`readwrite` -> `readWrite`); short names allow two edits (`sprak` -> `spark`). */
export function suggest(input: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const lower = known.map((k) => k.toLowerCase());
  const best = closest(input.toLowerCase(), lower);
  const edits = distance(input.toLowerCase(), best);
  return edits <= Math.max(2, Math.floor(best.length / 3)) ? known[lower.indexOf(best)] : undefined;
}

/** ` (did you mean x?)` or nothing. */
export const didYouMean = (input: string, known: readonly string[]): string => {
  const match = suggest(input, known);
  return match === undefined ? "" : ` (did you mean ${match}?)`;
};
