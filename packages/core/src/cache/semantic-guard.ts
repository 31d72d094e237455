/**
 * What a semantic match must also pass, because sentence embeddings miss it: MiniLM puts "convert a string to an
 * integer" and "convert an integer to a string" at 0.996, and "World War II" next to "World War I" (the labelled
 * set, semantic-eval.test.ts). So two prompts pair only when they name the same literals (numbers, Roman
 * numerals, quoted text, code identifiers) and are not the same words in another order. Both rules only ever turn
 * a hit into a miss.
 */

const STOPWORDS = new Set(
  "a an the of to in on for with by at from into onto and or but is are was were be been do does did how what which who whom whose when where why can could should would will shall may might i you we they it its this that these those my your our their me us them there here please".split(
    " ",
  ),
);

const ROMAN = /^(?:II|III|IV|V|VI|VII|VIII|IX|X|XI|XII|XX|XL|L|C|D|M)$/;

/**
 * The literals a prompt names: numbers, Roman numerals, quoted text, identifiers that look like code. Part of the
 * semantic key's exact context (cache/key.ts): prompts that differ only in a number are never even compared.
 */
export function literals(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/(["'`])([^"'`]{1,200})\1/g)) out.add(`q:${m[2]!.toLowerCase()}`);
  const tokens = text.split(/[^\p{L}\p{N}_.()]+/u).filter(Boolean);
  tokens.forEach((raw, i) => {
    const t = raw.replace(/[.]+$/, "");
    if (/\d/.test(t)) out.add(`n:${t.toLowerCase()}`);
    else if (ROMAN.test(t)) out.add(`r:${t}`);
    // "World War I": a lone I after a capitalised word inside the sentence is a numeral, not the pronoun.
    else if (t === "I" && i > 1 && /^\p{Lu}/u.test(tokens[i - 1]!)) out.add("r:I");
    else if (/[_.]\w|\w\(|[a-z][A-Z]/.test(t)) out.add(`c:${t}`);
  });
  return out;
}

/** The prompt's content words, in order: lower-case, stopwords out, a plural's s off. */
function contentWords(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}']+/u)
    .map((w) => w.replace(/'s$/, ""))
    .filter((w) => w && !STOPWORDS.has(w))
    .map((w) => (w.length > 3 && w.endsWith("s") && !w.endsWith("ss") ? w.slice(0, -1) : w));
}

const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

/** Whether a semantic match between these two prompts may be served. */
export function compatiblePrompts(a: string, b: string): boolean {
  if (!sameSet(literals(a), literals(b))) return false;
  const wa = contentWords(a);
  const wb = contentWords(b);
  // The same words in another order ("string to integer" / "integer to string"): meanings an embedding cannot tell.
  const reordered = wa.length === wb.length && wa.join(" ") !== wb.join(" ") && [...wa].sort().join(" ") === [...wb].sort().join(" ");
  return !reordered;
}
