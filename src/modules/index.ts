/** Whole module trees on one base: check, and report by the closure method (platform-neutral; `btfkit/node` has encodeModules and reportModuleTree, which encode DWARF in worker threads). @module */
export * from "./check.js";
export * from "./closure.js";
export * from "./report.js";
