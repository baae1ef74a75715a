/** A tiny argument parser: long options, short aliases, `--opt=value`, `-jN`, positionals. */

export interface OptSpec {
  /** Long name without dashes. */
  name: string;
  /** Short aliases without dash, e.g. "B", "o". */
  short?: string[];
  /** Takes a value. */
  value?: boolean;
  /** May be given more than once (values collected). */
  many?: boolean;
}

export class UsageError extends Error {}

export interface Parsed {
  opts: Map<string, string[]>;
  positionals: string[];
}

export function parseArgs(argv: string[], specs: OptSpec[]): Parsed {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map<string, OptSpec>();
  for (const s of specs) for (const a of s.short ?? []) byShort.set(a, s);
  const opts = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: OptSpec | undefined;
    let inline: string | undefined;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (eq >= 0) inline = a.slice(eq + 1);
      spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown option ${a}`);
    } else if (a.startsWith("-") && a.length > 1) {
      spec = byShort.get(a.slice(1));
      if (!spec) {
        // A one-letter option with its value attached, as `-j2` or `-oout.btf`.
        const one = byShort.get(a[1]!);
        if (one?.value && a.length > 2) {
          spec = one;
          inline = a.slice(2);
        }
      }
      if (!spec) throw new UsageError(`unknown option ${a}`);
    } else {
      positionals.push(a);
      continue;
    }
    let v = "";
    if (spec.value) {
      if (inline !== undefined) v = inline;
      else if (i + 1 < argv.length) v = argv[++i]!;
      else throw new UsageError(`option --${spec.name} needs a value`);
    } else if (inline !== undefined) throw new UsageError(`option --${spec.name} takes no value`);
    const l = opts.get(spec.name);
    if (l && !spec.many) throw new UsageError(`option --${spec.name} given twice`);
    if (l) l.push(v);
    else opts.set(spec.name, [v]);
  }
  return { opts, positionals };
}

export const opt = (p: Parsed, name: string): string | undefined => p.opts.get(name)?.[0];
export const flag = (p: Parsed, name: string): boolean => p.opts.has(name);
