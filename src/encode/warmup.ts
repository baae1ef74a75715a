/**
 * A warm-up for V8: encode a small linked ELF (./warmup-elf.ts: funcs.c and types.c of
 * the test fixtures, gcc -O2, DWARF 5) on a thread before its real work.
 *
 * Why: V8 optimizes a function with the type feedback of the calls it has seen so far.
 * The first units of a kernel never take many of the encoder's and dedup's paths (64-bit
 * enums, varargs, `restrict`, float types, forward declarations ...), so when a later
 * unit does, the optimized code is thrown away and compiled again: ~90 deoptimizations
 * in a vmlinux `encode -j2`, each recompiling a large function, on compiler threads that
 * take their CPU from the two threads at work. Run through those paths first (in the
 * interpreter, ~20 ms on a worker, ~50 ms with dedup), and ~30 of them never happen: the
 * compilers' CPU falls by ~0.3-0.4 s, the whole run's by ~0.5 s (BENCHMARKS.md, session
 * 15). Not all of them: V8 gives a function its feedback vector only after a few calls,
 * so what its first calls alone do teaches it nothing; and a fixture with more of a
 * kernel's constructs (2- and 4-byte member offsets, ...) removed ~14 more, for no
 * difference in time that could be measured.
 *
 * The encoding is a real one, whose result is thrown away, with its own ELF tables and
 * assembly: it changes no state the real work reads (the thread's loader and scratch
 * buffers are reused from unit to unit anyway, as `modules encode` does over a
 * thousand files).
 * @module
 */
import type { Btf } from "../btf/btf.js";
import { writeBtf } from "../btf/write.js";
import { ElfFile } from "../elf/elf.js";
import { dwarfFromElf } from "../dwarf/elf-dwarf.js";
import type { DwarfFile } from "../dwarf/dwarf.js";
import type { EncodeFeatures } from "./features.js";
import { compileUnits, dwarfStrings, elfContext, encodeOne, finishBtf, unitContext, type ElfContext } from "./index.js";
import { CuLoader } from "./loader.js";
import { Assembler } from "./merge.js";
import type { Fragment, UnitContext } from "./unit.js";
import { WARMUP_ELF } from "./warmup-elf.js";

/** The warm-up ELF's bytes. */
export function warmUpElf(): Uint8Array {
  const s = atob(WARMUP_ELF);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/**
 * The warm-up ELF, read: its DWARF and its ELF-side tables. Made apart from
 * {@link WarmUp.run} so that a thread can build these tables before it builds its real
 * input's, as the real work does (run after them, they would deoptimize the code V8 has
 * just optimized for the real input's).
 */
export class WarmUp {
  private readonly elf: ElfFile;
  private readonly dwarf: DwarfFile;
  private readonly ectx: ElfContext;

  constructor(private readonly features: EncodeFeatures) {
    this.elf = new ElfFile(warmUpElf());
    this.dwarf = dwarfFromElf(this.elf, { layout: "libdwfl", relocateInPlace: true });
    this.ectx = elfContext(this.elf, features);
  }

  /**
   * Encode the warm-up ELF: its units only (a worker's share of the work), or with
   * `dedup` also assembled, deduplicated as the parallel encoder does it (dedup
   * pipelined as the units are appended) and written (the appending thread's share).
   * Returns the BTF when deduplicated (pahole's for that file, which a test checks),
   * else undefined.
   *
   * `loader`, the thread's own (made with the same features), is used when it reads
   * x86-64 little-endian DWARF, as the warm-up ELF is: its tables are allocated once
   * (a loader of its own would hold ~8 MB more until a full GC frees it). `context`
   * gives the units the tables as the thread's real work gets them (a worker's come
   * from shared memory), from the warm-up ELF's.
   */
  run(dedup: boolean, loader?: CuLoader, context?: (ectx: ElfContext) => UnitContext): Btf | undefined {
    const { features, elf, dwarf, ectx } = this;
    const uctx = context ? context(ectx) : unitContext(features, ectx);
    const t = loader?.target;
    if (!loader || t!.machine !== ectx.machine || t!.littleEndian !== ectx.littleEndian) loader = new CuLoader({ machine: ectx.machine, littleEndian: ectx.littleEndian, features });
    const frags: Fragment[] = [];
    try {
      for (const u of compileUnits(dwarf)) frags.push(encodeOne(loader, u, uctx));
    } finally {
      loader.detach();
    }
    if (!dedup) return undefined;
    const asm = new Assembler({ endian: ectx.endian, features, functions: ectx.functions, sections: ectx.sections, strings: dwarfStrings(dwarf, elf), pipelineDedup: true });
    for (const f of frags) asm.add(f);
    const btf = asm.pipeline!.finish(finishBtf(asm, { dedup: false }));
    writeBtf(btf);
    return btf;
  }
}

/** `new WarmUp(features).run(dedup, loader)`. */
export function warmUpEncoder(features: EncodeFeatures, dedup: boolean, loader?: CuLoader): Btf | undefined {
  return new WarmUp(features).run(dedup, loader);
}
