/** Whole module trees: check (and later encode, report) every module on one base. @module */
export * from "./check.js";
export * from "./closure.js";
export * from "./report.js";
