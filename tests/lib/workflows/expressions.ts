// A small evaluator for the GitHub expressions in job `if:` conditions (see the section comment).
import { type Dict } from "./model";

// ---------------------------------------------------------------------------
// A small evaluator for GitHub expressions as used in job `if:` conditions:
// context paths, 'string' literals, true/false/null, numbers, == != && || ! ( ).
// Enough to check which deploy job runs for which event, without GitHub.

export type Value = string | number | boolean | null | Dict;

export const truthy = (v: Value): boolean => v !== null && v !== false && v !== 0 && v !== "";

export function evaluateCondition(expression: string | boolean | undefined, context: Dict): boolean {
  if (expression === undefined) return true; // default: success()
  if (typeof expression === "boolean") return expression;
  return truthy(evaluateExpression(expression, context));
}

/** The value of one expression (`${{ ... }}` or bare), e.g. a step's env value. */
export function evaluateExpression(expression: string, context: Dict): Value {
  let src = expression.trim();
  const wrapped = /^\$\{\{([\s\S]*)\}\}$/.exec(src);
  if (wrapped) src = wrapped[1];

  const tokens = src.match(/\s*('(?:[^']|'')*'|==|!=|&&|\|\||!|\(|\)|[A-Za-z_][\w.-]*|\d+(?:\.\d+)?)\s*/gy);
  if (tokens === null || tokens.join("").length !== src.length) {
    throw new Error(`unsupported expression: ${expression}`);
  }
  const toks = tokens.map((t) => t.trim());
  let pos = 0;
  const peek = (): string | undefined => toks[pos];
  const take = (expected?: string): string => {
    const t = toks[pos++];
    if (t === undefined || (expected !== undefined && t !== expected)) {
      throw new Error(`expected ${expected ?? "token"} in: ${expression}`);
    }
    return t;
  };

  const lookup = (name: string): Value => {
    let cur: unknown = context;
    for (const part of name.split(".")) {
      cur = cur !== null && typeof cur === "object" ? (cur as Dict)[part] : undefined;
    }
    return cur === undefined ? null : (cur as Value);
  };
  const equals = (a: Value, b: Value): boolean => (typeof a === "string" && typeof b === "string" ? a.toLowerCase() === b.toLowerCase() : a === b);

  const primary = (): Value => {
    const t = take();
    if (t === "(") {
      const v = or();
      take(")");
      return v;
    }
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    if (t === "true") return true;
    if (t === "false") return false;
    if (t === "null") return null;
    if (/^\d/.test(t)) return Number(t);
    if (peek() === "(") throw new Error(`functions are not supported: ${t}() in ${expression}`);
    return lookup(t);
  };
  const comparison = (): Value => {
    const left = primary();
    const op = peek();
    if (op === "==" || op === "!=") {
      take();
      const right = primary();
      return op === "==" ? equals(left, right) : !equals(left, right);
    }
    return left;
  };
  const unary = (): Value => {
    if (peek() === "!") {
      take();
      return !truthy(unary());
    }
    return comparison();
  };
  const and = (): Value => {
    let v = unary();
    while (peek() === "&&") {
      take();
      const r = unary();
      v = truthy(v) ? r : v;
    }
    return v;
  };
  const or = (): Value => {
    let v = and();
    while (peek() === "||") {
      take();
      const r = and();
      v = truthy(v) ? v : r;
    }
    return v;
  };

  const result = or();
  if (pos !== toks.length) throw new Error(`trailing tokens in: ${expression}`);
  return result;
}

export interface Scenario {
  label: string;
  event_name: string;
  ref: string;
  inputs?: Dict;
}

export function contextFor(s: Scenario): Dict {
  const inputs = s.inputs ?? {};
  return { github: { event_name: s.event_name, ref: s.ref, event: { inputs } }, inputs };
}
