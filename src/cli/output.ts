/** Writing to stdout, tolerant of a closed pipe (`| head`). */

export function writeOut(data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    if (data.length === 0) return resolve();
    const cb = (err: Error | null | undefined) => {
      if (err && (err as NodeJS.ErrnoException).code !== "EPIPE") reject(err);
      else resolve();
    };
    process.stdout.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") resolve();
      else reject(err);
    });
    process.stdout.write(data, cb);
  });
}
