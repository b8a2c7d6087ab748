// One "did you mean" for the whole app: rule names, workloads, commands and flags.

/** The known name within two edits, differing only in case, or that the value begins (3 letters at least): for "did you mean". */
export function closest(value: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const [v, n] = [value.toLowerCase(), name.toLowerCase()];
    const distance = v === n ? 0 : v.length >= 3 && n.startsWith(v) ? 1 : editDistance(v, n);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
