/** Node.js file helpers: open BTF from files, write atomically. @module */
export * from "./files.js";
export * from "./modules.js";
