/** A one-line progress display on a TTY (nothing otherwise). Call with undefined to clear. */
export function progressLine(stream: NodeJS.WriteStream): (text: string | undefined) => void {
  if (!stream.isTTY) return () => undefined;
  let last = 0;
  return (text) => {
    if (text === undefined) {
      stream.write("\r\x1b[K");
      return;
    }
    const now = Date.now();
    if (now - last < 100) return;
    last = now;
    const cols = stream.columns ?? 80;
    stream.write("\r\x1b[K" + text.slice(0, cols - 1));
  };
}

/** Seconds left, from the share of `totalBytes` done since `t0` (Date.now()). */
export function etaSeconds(t0: number, bytes: number, totalBytes: number): number {
  const elapsed = (Date.now() - t0) / 1000;
  return bytes ? (elapsed * (totalBytes - bytes)) / bytes : 0;
}
