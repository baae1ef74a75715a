/** Assertions shared by the unit tests. */
import assert from "node:assert/strict";
import { BtfError, isBtfError, type BtfErrorCode } from "../../src/internal/errors.js";

/** Assert that `fn` throws a BtfError with `code` whose message matches `re`; returns it. */
export function throwsBtf(fn: () => unknown, code: BtfErrorCode, re?: RegExp): BtfError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  return checkErr(caught, code, re);
}

/** Async version of {@link throwsBtf}. */
export async function rejectsBtf(p: Promise<unknown> | (() => Promise<unknown>), code: BtfErrorCode, re?: RegExp): Promise<BtfError> {
  let caught: unknown;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    caught = e;
  }
  return checkErr(caught, code, re);
}

function checkErr(caught: unknown, code: BtfErrorCode, re?: RegExp): BtfError {
  if (caught === undefined) assert.fail(`expected a BtfError ${code}, nothing was thrown`);
  if (!(caught instanceof BtfError) || !isBtfError(caught)) assert.fail(`expected a BtfError ${code}, got ${String((caught as Error)?.stack ?? caught)}`);
  assert.equal(caught.code, code, `error code (message: ${caught.message})`);
  if (re) assert.match(caught.message, re);
  return caught;
}
