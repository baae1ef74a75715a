/** Paths shared by the test suites. */
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { homedir } from "node:os";

/** Repository root (tests run from dist/test/..., sources live in test/). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const FIXTURES = join(ROOT, "test", "fixtures");
export const CLI = join(ROOT, "bin", "btfkit.js");
/** Kernel data fetched by scripts/fetch-kernels.sh. */
export const KERNELS = process.env.BTFKIT_DATA ?? join(homedir(), ".cache", "btfkit", "kernels");
/** Oracle tools from ../shared/oracle (modern.sh, build.sh). */
export const ORACLE_BIN = join(process.env.BTF_ORACLE_DIR ?? join(homedir(), ".cache", "btf-oracle"), "bin");
