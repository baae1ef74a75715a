/**
 * The convenient (slower, allocating) view: a unit as a tree of DIE objects with all
 * attributes decoded, and a text dump. For tests, tools and small inputs; the
 * encoder uses {@link DieCursor} directly.
 * @module
 */
import { atName, formName, tagName } from "./constants.js";
import type { AttrValue } from "./die.js";
import type { DwarfUnit } from "./dwarf.js";

/** A DIE with its attributes and children. */
export interface DieNode {
  /** Global offset. */
  offset: number;
  tag: number;
  /** Abbreviation code. */
  code: number;
  depth: number;
  attrs: AttrValue[];
  children: DieNode[];
  parent: DieNode | undefined;
}

/** The DIEs of `unit` as a tree (the root DIE). */
export function unitTree(unit: DwarfUnit): DieNode | undefined {
  const c = unit.cursor();
  let root: DieNode | undefined;
  const stack: DieNode[] = [];
  while (c.next()) {
    const node: DieNode = { offset: c.offset, tag: c.tag, code: c.code, depth: c.depth, attrs: c.attributes(), children: [], parent: undefined };
    stack.length = Math.min(stack.length, c.depth);
    const parent = stack[c.depth - 1];
    if (parent) {
      node.parent = parent;
      parent.children.push(node);
    } else root ??= node;
    stack[c.depth] = node;
  }
  return root;
}

/** A value as text: strings quoted, references as <0x..>, bytes in hex. */
export function formatAttrValue(a: AttrValue): string {
  const v = a.value;
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof Uint8Array) return `[${Array.from(v, (b) => b.toString(16).padStart(2, "0")).join(" ")}]`;
  if (a.cls === "reference") return `<0x${v.toString(16)}>`;
  if (a.cls === "address" || a.cls === "sec_offset") return `0x${v.toString(16)}`;
  return String(v);
}

/**
 * Text dump of every DIE of `unit`, one line per DIE and per attribute:
 * ```
 * <1><0x2d> DW_TAG_variable [3]
 *     <0x2e> DW_AT_name DW_FORM_string "x"
 * ```
 */
export function dumpUnit(unit: DwarfUnit, write: (line: string) => void): void {
  const c = unit.cursor();
  while (c.next()) {
    write(`<${c.depth}><0x${c.offset.toString(16)}> ${tagName(c.tag) ?? `DW_TAG_0x${c.tag.toString(16)}`} [${c.code}]`);
    for (const a of c.attributes()) {
      write(`    <0x${a.offset.toString(16)}> ${atName(a.at) ?? `DW_AT_0x${a.at.toString(16)}`} ${formName(a.form) ?? `DW_FORM_0x${a.form.toString(16)}`} ${formatAttrValue(a)}`);
    }
  }
}
