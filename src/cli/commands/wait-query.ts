// The --query language of `ferry wait-for`, a small subset of the
// reference's: comparisons of the entity's fields joined by && and ||, with
// ! and parentheses, e.g.
//   status=="active" && units>=3
//   workload-status=="active" || life=="dying"
//   !exists
// Fields are the entity's (see `fieldsOf` in wait-for.ts); a field that does
// not exist is an error at parse time, so a typo fails at once instead of
// waiting forever.

export type Value = string | number | boolean | undefined;
export type Fields = Record<string, Value>;

type Token =
  | { t: "id"; v: string }
  | { t: "lit"; v: string | number | boolean }
  | { t: "op"; v: "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||" | "!" | "(" | ")" };

type Expr =
  | { k: "field"; name: string }
  | { k: "lit"; v: string | number | boolean }
  | { k: "not"; e: Expr }
  | { k: "bin"; op: string; a: Expr; b: Expr };

export class QueryError extends Error {}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (["==", "!=", "<=", ">=", "&&", "||"].includes(two)) {
      out.push({ t: "op", v: two as "==" });
      i += 2;
      continue;
    }
    if ("<>!()".includes(c)) {
      out.push({ t: "op", v: c as "<" });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new QueryError(`unterminated string at column ${i + 1}`);
      out.push({ t: "lit", v: src.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: "lit", v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[a-zA-Z][a-zA-Z0-9_-]*/.exec(src.slice(i));
    if (id) {
      const w = id[0];
      out.push(w === "true" || w === "false" ? { t: "lit", v: w === "true" } : { t: "id", v: w });
      i += w.length;
      continue;
    }
    if (c === "=") throw new QueryError(`"=" at column ${i + 1}: compare with "=="`);
    throw new QueryError(`unexpected "${c}" at column ${i + 1}`);
  }
  return out;
}

/** Parses a query against the names of the fields it may use. */
export function parseQuery(src: string, fields: readonly string[]): (f: Fields) => boolean {
  const toks = tokenize(src);
  if (!toks.length) throw new QueryError("the query is empty");
  let p = 0;
  const peek = () => toks[p];
  const isOp = (v: string) => {
    const t = peek();
    return t?.t === "op" && t.v === v;
  };
  function primary(): Expr {
    const t = toks[p++];
    if (!t) throw new QueryError("the query ends too early");
    if (t.t === "op" && t.v === "!") return { k: "not", e: primary() };
    if (t.t === "op" && t.v === "(") {
      const e = or();
      if (!isOp(")")) throw new QueryError('missing ")"');
      p++;
      return e;
    }
    if (t.t === "lit") return { k: "lit", v: t.v };
    if (t.t === "id") {
      if (!fields.includes(t.v)) throw new QueryError(`unknown field "${t.v}": use ${fields.join(", ")}`);
      return { k: "field", name: t.v };
    }
    throw new QueryError(`unexpected "${t.v}"`);
  }
  function comparison(): Expr {
    const a = primary();
    const t = peek();
    if (t?.t === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(t.v)) {
      p++;
      return { k: "bin", op: t.v, a, b: primary() };
    }
    return a;
  }
  function and(): Expr {
    let e = comparison();
    while (isOp("&&")) {
      p++;
      e = { k: "bin", op: "&&", a: e, b: comparison() };
    }
    return e;
  }
  function or(): Expr {
    let e = and();
    while (isOp("||")) {
      p++;
      e = { k: "bin", op: "||", a: e, b: and() };
    }
    return e;
  }
  const expr = or();
  if (p < toks.length) throw new QueryError(`unexpected "${String(toks[p]!.v)}" after the end of the query`);
  return (f) => Boolean(evaluate(expr, f));
}

function evaluate(e: Expr, f: Fields): Value {
  switch (e.k) {
    case "field":
      return f[e.name];
    case "lit":
      return e.v;
    case "not":
      return !evaluate(e.e, f);
    case "bin": {
      if (e.op === "&&") return Boolean(evaluate(e.a, f)) && Boolean(evaluate(e.b, f));
      if (e.op === "||") return Boolean(evaluate(e.a, f)) || Boolean(evaluate(e.b, f));
      const a = evaluate(e.a, f);
      const b = evaluate(e.b, f);
      if (e.op === "==") return a === b;
      if (e.op === "!=") return a !== b;
      if (typeof a !== "number" || typeof b !== "number") return false;
      if (e.op === "<") return a < b;
      if (e.op === "<=") return a <= b;
      if (e.op === ">") return a > b;
      return a >= b;
    }
  }
}
