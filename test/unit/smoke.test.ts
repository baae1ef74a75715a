import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBtf, BtfError } from "../../src/index.js";

test("parseBtf() rejects an empty buffer with a BtfError", () => {
  assert.throws(() => parseBtf(new Uint8Array(0)), (e: unknown) => e instanceof BtfError && e.code === "MALFORMED");
});
