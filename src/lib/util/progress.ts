/** "[#########---------]  45%": the bar both long commands draw. */
export function renderBar(ratio: number, width = 30): string {
  const r = Math.max(0, Math.min(1, Number.isFinite(ratio) ? ratio : 0));
  const filled = Math.round(r * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.round(r * 100)).padStart(3)}%`;
}

/** Writes a progress line: redrawn in place on a terminal, at most every few seconds otherwise. */
export function progressWriter(stream: NodeJS.WriteStream) {
  let last = 0;
  return (line: string, final = false) => {
    const now = Date.now();
    if (!final && now - last < (stream.isTTY ? 100 : 2000)) return;
    last = now;
    stream.write(stream.isTTY ? `\r${line.padEnd(100)}${final ? "\n" : ""}` : `${line}\n`);
  };
}
