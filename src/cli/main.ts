/**
 * The `btfkit` command: parse arguments, call the library, print. Errors become one
 * line `btfkit: FILE: what is wrong` and exit code 1 (2 for usage errors).
 */
import { isBtfError } from "../internal/errors.js";
import { FileError } from "../io/files.js";
import { UsageError } from "./args.js";

interface Command {
  help: string;
  run(argv: string[]): Promise<number>;
}

/** Commands load on demand: a run pays only for the modules its command uses. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  dump: () => import("./commands/dump.js"),
  stats: () => import("./commands/stats.js"),
  modules: () => import("./commands/modules.js"),
  dedup: () => import("./commands/dedup.js"),
  merge: () => import("./commands/merge.js"),
  encode: () => import("./commands/encode.js"),
};

const HELP = `usage: btfkit COMMAND [ARGS]

BTF (BPF Type Format) toolkit.

commands:
  dump    print types as bpftool does (raw text or JSON)
  stats   type counts and bytes per kind
  modules check a kernel's module tree against its vmlinux
  dedup   deduplicate BTF as libbpf's btf__dedup does (also split BTF)
  merge   append several BTFs into one (btf__add_btf), optionally deduplicated
  encode  DWARF -> BTF as pahole -J does (vmlinux, modules split on a base)

'btfkit COMMAND --help' for a command's options.
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    process.stdout.write(HELP);
    return cmd ? 0 : 2;
  }
  if (cmd === "--version" || cmd === "-V") {
    process.stdout.write("btfkit 0.1.0\n");
    return 0;
  }
  const load = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!load) {
    process.stderr.write(`btfkit: unknown command '${cmd}'\n${HELP}`);
    return 2;
  }
  const c = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(c.help);
    return 0;
  }
  try {
    return await c.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`btfkit: ${e.message}\n${c.help}`);
      return 2;
    }
    if (e instanceof FileError) {
      process.stderr.write(`btfkit: ${e.file}: ${e.error.message}\n`);
      return 1;
    }
    if (isBtfError(e)) {
      process.stderr.write(`btfkit: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`btfkit: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    if (process.env.BTFKIT_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
    return 1;
  }
}
